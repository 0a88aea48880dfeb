import Foundation

/// The five data sets of PrivDNN, with where they live on disk and the facts of spec §2.
public enum Dataset: String, CaseIterable, Sendable, Codable {
    /// MNIST digits, 1×28×28, 10 classes.
    case mnist
    /// EMNIST `letters`, 1×28×28, labels 1…26 with 27 model outputs.
    case emnist
    /// German traffic signs, resized to 3×32×32, 43 classes.
    case gtsrb
    /// CIFAR-10, 3×32×32, 10 classes.
    case cifar10
    /// TinyImageNet, 3×64×64, 200 classes, scored top-5.
    case tinyimagenet

    /// The parts of a data set used by training, selection and the attacks.
    public enum Subset: String, CaseIterable, Sendable {
        /// The official training set.
        case train
        /// The first half of the official test set (recovery and from-scratch attacks draw from it).
        case validate
        /// The second half of the official test set (all reported accuracies).
        case test
    }

    /// Parses a name case-insensitively: `MNIST`, `emnist`, `GTSRB`, `CIFAR10`/`cifar-10`, `TinyImageNet`.
    public init?(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard let value = Dataset(rawValue: key) else { return nil }
        self = value
    }

    /// The original's display name (`MNIST`, `EMNIST`, `GTSRB`, `CIFAR10`, `TinyImageNet`), used in checkpoint names.
    public var displayName: String {
        switch self {
        case .mnist: "MNIST"
        case .emnist: "EMNIST"
        case .gtsrb: "GTSRB"
        case .cifar10: "CIFAR10"
        case .tinyimagenet: "TinyImageNet"
        }
    }

    /// `data/<name>` relative to the current directory (the repository root when run from there).
    public var defaultRoot: URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("data").appendingPathComponent(rawValue)
    }

    /// Input shape (channels, height, width) after preprocessing.
    public var inputShape: (channels: Int, height: Int, width: Int) {
        switch self {
        case .mnist, .emnist: (1, 28, 28)
        case .gtsrb, .cifar10: (3, 32, 32)
        case .tinyimagenet: (3, 64, 64)
        }
    }

    /// Model output width (EMNIST letters has 26 labels 1…26 but 27 outputs).
    public var outputCount: Int {
        switch self {
        case .mnist, .cifar10: 10
        case .emnist: 27
        case .gtsrb: 43
        case .tinyimagenet: 200
        }
    }

    /// The test transform's normalization.
    public var normalization: Normalization {
        switch self {
        case .mnist, .emnist, .tinyimagenet: .unit
        case .gtsrb: .imageNet
        case .cifar10: .symmetric
        }
    }

    /// k of the reported top-k accuracy (5 for TinyImageNet, else 1).
    public var topK: Int { self == .tinyimagenet ? 5 : 1 }

    /// `accuracy_base` of `bin/run.sh` (percent), the plaintext accuracy the selection score compares against.
    public var accuracyBase: Double {
        switch self {
        case .mnist: 99.36
        case .emnist: 93.08
        case .gtsrb: 93.51
        case .cifar10: 90.76
        case .tinyimagenet: 72.00
        }
    }

    /// Test batch size of the original cipher-domain runs (at most 8,192 CKKS slots).
    public var testBatchSize: Int {
        switch self {
        case .mnist, .cifar10: 5000
        case .emnist: 5200
        case .gtsrb: 6315
        case .tinyimagenet: 2500
        }
    }

    /// Loads one subset from `root` (default ``defaultRoot``).
    ///
    /// Validate and test are the ``DatasetSplit`` halves of the official test set, except for TinyImageNet when its
    /// root has `validate/` and `test/` folders (the authors' layout), which are used as they are.
    /// - Throws: ``DataFileError`` naming the missing or bad file.
    public func load(_ subset: Subset, root: URL? = nil) throws -> LabeledImages {
        let root = root ?? defaultRoot
        if self == .tinyimagenet {
            let base = try TinyImageNetPaths(root: root)
            let classes = try TinyImageNetLoader.classNames(folder: base.train)
            switch subset {
            case .train:
                return try TinyImageNetLoader.load(folder: base.train, classNames: classes)
            case .validate, .test:
                if let folder = subset == .validate ? base.validate : base.test {
                    return try TinyImageNetLoader.load(folder: folder, classNames: classes)
                }
                guard let val = base.officialVal else {
                    throw DataFileError(file: root.path, problem: "no validate/, test/ or val/ folder")
                }
                let official = try TinyImageNetLoader.load(folder: val, classNames: classes)
                let split = DatasetSplit(count: official.count)
                return subset == .validate ? split.validate(official) : split.test(official)
            }
        }
        switch subset {
        case .train: return try loadOfficial(train: true, root: root)
        case .validate, .test:
            let official = try loadOfficial(train: false, root: root)
            let split = DatasetSplit(count: official.count)
            return subset == .validate ? split.validate(official) : split.test(official)
        }
    }

    /// Loads the official training (`train: true`) or test set, unsplit.
    ///
    /// - Throws: ``DataFileError`` naming the missing or bad file.
    public func loadOfficial(train: Bool, root: URL? = nil) throws -> LabeledImages {
        let root = root ?? defaultRoot
        switch self {
        case .mnist:
            let prefix = train ? "train" : "t10k"
            let folders = [root, root.appendingPathComponent("raw"), root.appendingPathComponent("MNIST/raw")]
            return try IDXLoader.load(
                images: try Dataset.locate("\(prefix)-images-idx3-ubyte", in: folders),
                labels: try Dataset.locate("\(prefix)-labels-idx1-ubyte", in: folders),
                labelNames: (0..<10).map { String($0) })
        case .emnist:
            let prefix = train ? "emnist-letters-train" : "emnist-letters-test"
            let folders = [
                root, root.appendingPathComponent("raw"), root.appendingPathComponent("EMNIST/raw"),
                root.appendingPathComponent("gzip"),
            ]
            // Letters: label 0 is unused ("N/A"), 1…26 are a…z.
            let names = ["N/A"] + (0..<26).map { String(UnicodeScalar(UInt8(ascii: "a") + UInt8($0))) }
            return try IDXLoader.load(
                images: try Dataset.locate("\(prefix)-images-idx3-ubyte", in: folders),
                labels: try Dataset.locate("\(prefix)-labels-idx1-ubyte", in: folders),
                labelNames: names)
        case .cifar10:
            let folders = [root.appendingPathComponent("cifar-10-batches-bin"), root]
            let names = train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
            let files = try names.map { try Dataset.locate($0, in: folders, allowGzip: false) }
            let labelNames = try CIFAR10Loader.labelNames(folder: files[0].deletingLastPathComponent())
            return try CIFAR10Loader.load(files: files, labelNames: labelNames)
        case .gtsrb:
            let candidates =
                train
                ? ["GTSRB/Final_Training/Images", "Final_Training/Images", "GTSRB/Training", "Training"]
                : ["GTSRB/Final_Test/Images", "Final_Test/Images"]
            let folder = try Dataset.locateFolder(candidates, in: root)
            return try GTSRBLoader.load(folder: folder, size: inputShape.height)
        case .tinyimagenet:
            let base = try TinyImageNetPaths(root: root)
            let classes = try TinyImageNetLoader.classNames(folder: base.train)
            guard let folder = train ? base.train : (base.test ?? base.officialVal) else {
                throw DataFileError(file: root.path, problem: "no test/ or val/ folder")
            }
            return try TinyImageNetLoader.load(folder: folder, classNames: classes)
        }
    }

    /// The first of `name` or `name.gz` found in `folders`.
    static func locate(_ name: String, in folders: [URL], allowGzip: Bool = true) throws -> URL {
        let manager = FileManager.default
        for folder in folders {
            for candidate in allowGzip ? [name, name + ".gz"] : [name] {
                let url = folder.appendingPathComponent(candidate)
                if manager.fileExists(atPath: url.path) { return url }
            }
        }
        throw DataFileError(
            file: folders[0].appendingPathComponent(name).path,
            problem: "no such file\(allowGzip ? " (nor .gz)" : "") in \(folders.map(\.path).joined(separator: ", "))")
    }

    static func locateFolder(_ candidates: [String], in root: URL) throws -> URL {
        for candidate in candidates {
            let url = root.appendingPathComponent(candidate)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
                return url
            }
        }
        throw DataFileError(file: root.path, problem: "none of \(candidates.joined(separator: ", ")) exists")
    }
}

/// The split folders of a TinyImageNet root (`<root>` or `<root>/tiny-imagenet-200`).
struct TinyImageNetPaths {
    var train: URL
    var validate: URL?
    var test: URL?
    var officialVal: URL?

    init(root: URL) throws {
        let manager = FileManager.default
        func folder(_ url: URL) -> URL? {
            var isFolder: ObjCBool = false
            return manager.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue ? url : nil
        }
        let nested = root.appendingPathComponent("tiny-imagenet-200")
        let base = folder(nested.appendingPathComponent("train")) != nil ? nested : root
        guard let train = folder(base.appendingPathComponent("train")) else {
            throw DataFileError(file: root.path, problem: "no train/ folder (nor tiny-imagenet-200/train/)")
        }
        self.train = train
        validate = folder(base.appendingPathComponent("validate"))
        // The official test/ folder has no labels (flat images/); only a folder of class subfolders counts.
        let testFolder = folder(base.appendingPathComponent("test"))
        test = testFolder.flatMap { url in
            manager.fileExists(atPath: url.appendingPathComponent("images").path) ? nil : url
        }
        if validate == nil { test = nil }
        officialVal = folder(base.appendingPathComponent("val"))
    }
}
