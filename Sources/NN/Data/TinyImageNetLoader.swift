import Foundation

/// Loader for TinyImageNet (200 classes, 64×64 JPEG) in `ImageFolder` layout.
///
/// The spec's authors re-packed the set as `tiny-imagenet-200/{train,validate,test}/<wnid>/…/*.JPEG`, read with
/// torchvision's `ImageFolder`: classes are the sorted subfolder names, images are every `.jpeg`/`.jpg` file below a
/// class folder, sorted by path. The official `val/` folder (flat `images/` plus `val_annotations.txt`) is also
/// accepted; its labels then come from the annotation file, and class names from the training split.
public enum TinyImageNetLoader {
    /// Side of a TinyImageNet image.
    public static let side = 64

    /// Loads one split folder.
    ///
    /// - Parameters:
    ///   - folder: `train`, `validate`, `test` or the official `val` folder.
    ///   - classNames: the class list to label against (pass the training split's to keep indices aligned);
    ///     `nil` uses the folder's own sorted subfolders.
    ///   - size: output side; images of another size are resized with PIL bilinear.
    /// - Returns: the images, 3 channels of `size`×`size`, labelled by their index in the class list.
    /// - Throws: ``DataFileError`` for a missing or empty folder, an unknown class or a bad JPEG.
    public static func load(folder: URL, classNames: [String]? = nil, size: Int = side) throws -> LabeledImages {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataFileError(file: folder.path, problem: "no such folder")
        }
        let annotations = folder.appendingPathComponent("val_annotations.txt")
        let samples: [(URL, String)]
        if manager.fileExists(atPath: annotations.path) {
            samples = try annotatedSamples(annotations)
        } else {
            samples = try folderSamples(folder)
        }
        let names = classNames ?? Array(Set(samples.map { $0.1 })).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        guard !samples.isEmpty else {
            throw DataFileError(file: folder.path, problem: "no JPEG images in class subfolders")
        }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(samples.count * 3 * size * size)
        var labels: [Int32] = []
        for (url, className) in samples {
            guard let label = index[className] else {
                throw DataFileError(
                    file: url.path, problem: "class '\(className)' is not among the \(names.count) known classes")
            }
            let image = try JPEG.decode(try FileBytes.read(url), file: url.path)
            Resize.bilinear(image, width: size, height: size).appendPlanar(to: &pixels)
            labels.append(Int32(label))
        }
        return LabeledImages(
            unchecked: labels.count, channels: 3, height: size, width: size, pixels: pixels, labels: labels,
            labelNames: names)
    }

    /// The sorted class subfolders of an `ImageFolder` split.
    public static func classNames(folder: URL) throws -> [String] {
        Array(Set(try folderSamples(folder).map { $0.1 })).sorted()
    }

    private static func isJPEGName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".jpeg") || lower.hasSuffix(".jpg")
    }

    private static func folderSamples(_ folder: URL) throws -> [(URL, String)] {
        let manager = FileManager.default
        guard let classes = try? manager.contentsOfDirectory(atPath: folder.path) else {
            throw DataFileError(file: folder.path, problem: "cannot list the folder")
        }
        var samples: [(URL, String)] = []
        for className in classes.sorted() {
            let classFolder = folder.appendingPathComponent(className)
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: classFolder.path, isDirectory: &isFolder), isFolder.boolValue else {
                continue
            }
            let files = (manager.subpaths(atPath: classFolder.path) ?? []).filter(isJPEGName).sorted()
            samples += files.map { (classFolder.appendingPathComponent($0), className) }
        }
        return samples
    }

    private static func annotatedSamples(_ annotations: URL) throws -> [(URL, String)] {
        guard let text = String(bytes: try FileBytes.read(annotations), encoding: .utf8) else {
            throw DataFileError(file: annotations.path, problem: "not UTF-8 text")
        }
        let imagesFolder = annotations.deletingLastPathComponent().appendingPathComponent("images")
        var samples: [(URL, String)] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count >= 2, isJPEGName(fields[0]), !fields[0].contains("/") else {
                throw DataFileError(
                    file: annotations.path, problem: "line \(number + 1): expected '<file>.JPEG<TAB><wnid>'")
            }
            samples.append((imagesFolder.appendingPathComponent(fields[0]), fields[1]))
        }
        return samples.sorted { $0.0.path < $1.0.path }
    }
}
