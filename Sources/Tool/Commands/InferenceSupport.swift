import ArgumentParser
import Foundation
import NN
import PrivateInference

extension ParameterPreset: ExpressibleByArgument {}
extension Packing: ExpressibleByArgument {}

/// `--packing` on the commands that run requests: a packing, or `auto` (by the number of images).
enum PackingChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, batch, pixels

    /// The forced packing, or `nil` for automatic.
    var packing: Packing? { Packing(rawValue: rawValue) }
}

/// `owner package --packing`: which packings' operands the package holds.
enum PackageLayouts: String, ExpressibleByArgument, CaseIterable {
    /// Every packing the network can serve (``Packing/servable(by:)``): both for the five PrivDNN networks.
    case auto
    case batch, pixels, both

    /// The packings for a package of the model at `modelURL` (read only for ``auto``).
    func packings(modelURL: URL) throws -> [Packing] {
        switch self {
        case .auto: try Packing.servable(by: Model(contentsOf: modelURL))
        case .both: Packing.allCases
        case .batch: [.batch]
        case .pixels: [.pixels]
        }
    }
}

/// Shared pieces of the owner/user/inference/demo commands.
enum InferenceSupport {
    /// Runs `body`, turning library errors into one-line tool errors.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InferenceError {
            throw ToolError(error.description)
        } catch let error as DataFileError {
            throw ToolError(String(describing: error))
        } catch let error as NNError {
            throw ToolError(String(describing: error))
        } catch let error as OwnerServiceError where error.code == OwnerServiceError.untrustedCertificate {
            throw ToolError(error.description + " (a certificate of a private CA: give --ca-file with that CA's PEM)")
        } catch let error as OwnerServiceError {
            throw ToolError(error.description)
        }
    }

    /// A selection JSON file (`{"1": [..], "2": [..]}`).
    static func selection(_ path: String) throws -> SelectedNeurons {
        try run { try SelectedNeurons(contentsOf: URL(fileURLWithPath: path)) }
    }

    /// MNIST-style IDX image bytes: `count` images from `offset`.
    static func images(_ path: String, offset: Int, count: Int?) throws -> (pixels: [UInt8], count: Int) {
        let (dims, bytes) = try run { try IDXLoader.read(URL(fileURLWithPath: path), rank: 3) }
        let total = dims[0], size = dims[1] * dims[2]
        guard offset >= 0, offset < total else { throw ToolError("\(path): offset \(offset) outside 0..<\(total)") }
        let n = min(count ?? (total - offset), total - offset)
        guard n > 0 else { throw ToolError("\(path): no images selected") }
        return (Array(bytes[(offset * size)..<((offset + n) * size)]), n)
    }

    /// The images `inference` classifies: the data set's test half (or `synthetic` seeded random images of its
    /// shape), its first `limit` when given.
    /// - Throws: ``ToolError`` naming the missing or bad data file, or a `--synthetic` count outside 1...65536.
    static func testImages(_ data: DataOptions, limit: Int?, synthetic: Int?, seed: UInt64) throws -> LabeledImages {
        var images: LabeledImages
        if let synthetic {
            guard (1...65536).contains(synthetic) else { throw ToolError("--synthetic takes 1...65536 images") }
            images = data.dataset.synthetic(count: synthetic, seed: seed)
        } else {
            images = try run { try data.load(.test) }
        }
        if let limit { images = images.subset(Array(0..<min(max(0, limit), images.count))) }
        return images
    }

    /// A progress callback drawing a bar on a terminal (silent otherwise).
    static func progress(_ label: String) -> (@Sendable (Int, Int) -> Void, ProgressBox) {
        let box = ProgressBox(label: label)
        return ({ done, total in box.update(done, total) }, box)
    }

    /// `--memory-budget` (GiB) as bytes: the default when not given.
    /// - Throws: ``ToolError`` for a budget outside 1/16 … 1024 GiB.
    static func memoryBudget(_ gib: Double?) throws -> Int {
        guard let gib else { return UserRole.defaultMemoryBudget }
        guard gib.isFinite, gib >= 1.0 / 16, gib <= 1024 else {
            throw ToolError("--memory-budget takes 0.0625…1024 GiB")
        }
        return Int(gib * Double(1 << 30))
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 30 { return String(format: "%.2f GiB", Double(n) / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
        return String(format: "%.1f KiB", Double(n) / 1024)
    }
}

/// Lazily creates a ``ProgressReporter`` once the total is known.
final class ProgressBox: @unchecked Sendable {
    private let lock = NSLock()
    private var reporter: ProgressReporter?
    private var last = 0
    let label: String

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        if reporter == nil { reporter = ProgressReporter(label: label, total: total, unit: "step") }
        reporter?.advance(by: max(0, done - last))
        last = max(last, done)
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        reporter?.finish()
    }
}
