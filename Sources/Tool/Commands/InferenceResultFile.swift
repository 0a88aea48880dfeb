import Foundation
import NN
import PrivateInference

/// What makes two `inference` processes parts of one run.
///
/// `merge` combines only result files whose identities are equal. Everything the one-process run's output depends on is
/// here: the model's and the images' content hashes (so a copy of the data on another machine counts as the same,
/// another data set or `--limit` does not), the selection, the parameters and the packing.
struct InferenceRunIdentity: Codable, Equatable {
    /// One layer's encrypted filters.
    struct LayerFilters: Codable, Equatable {
        var layer: Int
        var filters: [Int]
    }

    var dataset: String
    var synthetic: Bool
    var seed: UInt64
    var randomModel: Bool
    /// BLAKE2b-256 of the model file.
    var modelHash: String
    /// BLAKE2b-256 of the pixels and labels of every selected image, in order (all slices, not only this one's).
    var imagesHash: String
    /// Images of the whole run (all slices).
    var totalImages: Int
    var selection: [LayerFilters]
    var share: Double?
    var params: String
    /// The packing every slice uses: the one the whole run would choose.
    var packing: Packing
    var memoryBudgetBytes: Int

    /// The identity of a run over `images` (all slices) of `dataset` with the model file at `modelURL`.
    /// - Throws: ``ToolError`` naming the model file if it cannot be read.
    init(
        dataset: Dataset, synthetic: Bool, seed: UInt64, randomModel: Bool, modelURL: URL, images: LabeledImages,
        selection: SelectedNeurons, share: Double?, params: ParameterPreset, packing: Packing, memoryBudget: Int
    ) throws {
        let modelBytes: Data
        do {
            modelBytes = try Data(contentsOf: modelURL)
        } catch {
            throw ToolError("\(modelURL.path): cannot read (\(error.localizedDescription))")
        }
        var hasher = ContentHasher()
        hasher.update(images.pixels)
        images.labels.withUnsafeBytes { hasher.update($0) }
        self.dataset = dataset.rawValue
        self.synthetic = synthetic
        self.seed = seed
        self.randomModel = randomModel
        self.modelHash = ContentHasher.hash([UInt8](modelBytes))
        self.imagesHash = hasher.finalize()
        self.totalImages = images.count
        self.selection = selection.layers.keys.sorted().map { LayerFilters(layer: $0, filters: selection[$0]) }
        self.share = share
        self.params = params.rawValue
        self.packing = packing
        self.memoryBudgetBytes = memoryBudget
    }

    /// The run's settings as `inference --json` prints them beside the report's figures.
    var jsonFields: [String: Any] {
        [
            "dataset": dataset, "synthetic": synthetic, "random_model": randomModel, "share": share ?? NSNull(),
            "params": params, "memory_budget_bytes": memoryBudgetBytes,
            "selection": selection.map { ["layer": $0.layer, "filters": $0.filters] },
        ]
    }

    /// The names of the fields in which `other` differs from this identity (empty when the runs are the same).
    func differences(from other: InferenceRunIdentity) -> [String] {
        let mine = Mirror(reflecting: self).children, theirs = Mirror(reflecting: other).children
        return zip(mine, theirs).compactMap { a, b in
            String(describing: a.value) == String(describing: b.value) ? nil : a.label
        }
    }
}

/// The file `inference --out` writes and `merge` reads: one slice's report with its per-image predictions, the slice it
/// covers and the identity of the run it belongs to.
struct InferenceResultFile: Codable {
    /// The value of ``format`` in every such file.
    static let formatName = "privdnn-inference-result"
    /// The layout written; `merge` refuses other versions.
    static let currentVersion = 1

    var format = formatName
    var version = currentVersion
    /// Which slice of the run (`--shard`); 0 of 1 for a whole run.
    var shard: Int
    var shards: Int
    /// Index of the slice's first image among the run's selected images.
    var firstImage: Int
    /// Shards combined into this file by `merge --out` (its timings are then sums, its memory a maximum); nil for a
    /// file written by `inference`.
    var mergedShards: Int?
    var run: InferenceRunIdentity
    var report: InferenceReport

    /// The file of slice `slice` of `run`, starting at image `firstImage`.
    init(
        slice: ShardSlice, firstImage: Int, run: InferenceRunIdentity, report: InferenceReport,
        mergedShards: Int? = nil
    ) {
        shard = slice.index
        shards = slice.count
        self.firstImage = firstImage
        self.run = run
        self.report = report
        self.mergedShards = mergedShards
    }

    /// The slice this file covers.
    var slice: ShardSlice { ShardSlice(index: shard, count: shards) }

    /// Reads and checks a result file: its format, version, slice numbers, and predictions that fit its image count and
    /// its slice of the run.
    /// - Throws: ``ToolError`` naming `path` and the problem.
    static func read(_ path: String) throws -> InferenceResultFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ToolError("\(path): cannot read (\(error.localizedDescription))")
        }
        let file: InferenceResultFile
        do {
            file = try JSONDecoder().decode(InferenceResultFile.self, from: data)
        } catch {
            throw ToolError("\(path): not a result file of `privdnn inference --out` (\(Self.reason(error)))")
        }
        guard file.format == formatName else {
            throw ToolError("\(path): format '\(file.format)' is not \(formatName)")
        }
        guard file.version == currentVersion else {
            throw ToolError("\(path): result file version \(file.version); this privdnn reads \(currentVersion)")
        }
        guard file.shards >= 1, file.shard >= 0, file.shard < file.shards else {
            throw ToolError("\(path): shard \(file.shard)/\(file.shards) is not i/n with 0 ≤ i < n")
        }
        let expected = file.slice.range(of: file.run.totalImages)
        let predictions = file.report.predictions
        guard predictions.isConsistent, predictions.count == file.report.images,
            file.firstImage == expected.lowerBound, file.report.images == expected.count
        else {
            throw ToolError(
                "\(path): holds \(predictions.count) predictions for images from \(file.firstImage), but shard "
                    + "\(file.slice.text) of \(file.run.totalImages) images is images \(expected.lowerBound)..<"
                    + "\(expected.upperBound)")
        }
        return file
    }

    /// Writes the file as one JSON object.
    /// - Throws: ``ToolError`` naming `path` when it cannot be written.
    func write(to path: String) throws {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ToolError("\(path): cannot write (\(error.localizedDescription))")
        }
    }

    /// A decoding error in one line: the missing or malformed field.
    private static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not JSON" : "bad field '\(path)'"
        default: return "\(error)"
        }
    }
}
