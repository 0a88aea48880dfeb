import CKKS
import Foundation
import NN

/// Inputs of the selection commands (`select`, `test --selection`): model files, evaluation halves and selection
/// files, each failing with one line that names the file.
enum SelectionInputs {
    /// Loads a safetensors model file for `dataset`'s architecture.
    /// - Throws: ``ToolError`` when the file is missing, `DataFileError` naming it when it is not safetensors or
    ///   holds tensors of another architecture.
    static func model(_ path: String, dataset: Dataset) throws -> Model {
        guard FileManager.default.fileExists(atPath: path) else { throw ToolError("\(path): no such model file") }
        return try Model(contentsOf: URL(fileURLWithPath: path), architecture: dataset.architecture)
    }

    /// The validate or test half as model input, optionally only its first `limit` images.
    /// - Throws: ``ToolError`` naming the missing or bad data file.
    static func half(_ subset: Dataset.Subset, data: DataOptions, limit: Int?) throws -> (
        images: Tensor, labels: [Int]
    ) {
        let dataset = data.dataset
        do {
            var set = try data.load(subset)
            if let limit, limit < set.count { set = set.subset(Array(0..<limit)) }
            return (set.tensor(normalization: dataset.normalization), set.intLabels)
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
    }

    /// An evaluator on one half (the factored fast path for LeNet-5).
    /// - Throws: ``ToolError`` when the data do not fit the model.
    static func evaluator(
        model: Model, subset: Dataset.Subset, data: DataOptions, limit: Int?
    ) throws -> any SelectionEvaluator {
        let dataset = data.dataset
        let (images, labels) = try half(subset, data: data, limit: limit)
        do {
            return try SelectionEvaluators.make(model: model, images: images, labels: labels)
        } catch let error as NNError {
            throw ToolError("\(dataset.displayName) \(subset.rawValue) half: \(error)")
        }
    }

    /// Runs a greedy search (greedy, or pruning-greedy's pruned one) on `evaluator` with a progress bar on a
    /// terminal: the one selection path of `privdnn select --algorithm greedy` and `privdnn demo`.
    /// - Throws: the search's `NNError` (callers turn it into their one-line error).
    static func greedy(_ search: GreedySelection, on evaluator: any SelectionEvaluator, label: String) throws
        -> SelectedNeurons
    {
        let progress = ProgressReporter(
            label: label, total: search.plannedEvaluations(layerSizes: evaluator.layerSizes), unit: "eval")
        let selection = try search.run(on: evaluator, progress: progress)
        progress.finish()
        return selection
    }

    /// Reads a selection file and checks it against the model's layer widths.
    /// - Throws: ``ToolError`` naming the file: missing, malformed, or filters the model does not have.
    static func selection(_ path: String, layerSizes: [Int]) throws -> SelectedNeurons {
        do {
            let selection = try SelectedNeurons(contentsOf: URL(fileURLWithPath: path))
            try selection.validate(layerSizes: layerSizes)
            return selection
        } catch let error as DataFileError {
            throw ToolError(error.description)
        } catch let error as NNError {
            throw ToolError("\(path): \(error)")
        }
    }

    /// Parses a comma-separated list of non-negative integers (`--count 1,2`).
    /// - Throws: ``ToolError`` naming the flag and the bad entry.
    static func integers(_ text: String, flag: String) throws -> [Int] {
        let values = try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let value = Int(trimmed), value >= 0 else {
                throw ToolError("\(flag): '\(trimmed)' is not a non-negative integer")
            }
            return value
        }
        guard !values.isEmpty else { throw ToolError("\(flag): empty list") }
        return values
    }

    /// Writes text to a file, creating its folder.
    /// - Throws: ``ToolError`` naming the file.
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            try AtomicFile.write([Array(text.utf8)], to: path)
        } catch let error as CKKSError {
            throw ToolError(error.description)
        }
    }

    /// Writes a selection file.
    /// - Throws: ``ToolError`` naming the file.
    static func write(_ selection: SelectedNeurons, to path: String) throws {
        try write(selection.jsonString + "\n", to: path)
    }

    /// Writes a figure into `folder`.
    /// - Throws: ``ToolError`` naming the file.
    static func write(_ plot: SVGPlot, folder: String, name: String) throws {
        let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: folder), withIntermediateDirectories: true)
            try plot.write(to: url)
        } catch let error as DataFileError {
            throw ToolError(error.description)
        } catch {
            throw ToolError("\(folder): cannot create the folder")
        }
    }
}

/// The closing test of one selection (spec §5), as printed by `select` and `test --selection`.
struct ClosingSummary: Encodable {
    /// A_o in percent.
    var accuracy_o: Double
    /// A_s in percent.
    var accuracy_s: Double
    /// A_r in percent.
    var accuracy_r: Double
    /// The point against `base`.
    var score: Double
    /// The A_base the score used.
    var base: Double
    /// Which half the numbers come from.
    var half: String
    /// Images scored.
    var images: Int
    /// Per-label accuracies (`null` for a label with no image).
    var per_label: PerLabel
    /// Labels where the deployed model does worse than the thief's.
    var labels_separate_below_remove: [Int]

    struct PerLabel: Encodable {
        var original: [Double?]
        var separate: [Double?]
        var remove: [Double?]
    }

    init(_ test: ClosingTest, base: Double, half: Dataset.Subset) {
        let rounded: ([Double?]) -> [Double?] = { $0.map { $0.map { ($0 * 100).rounded() / 100 } } }
        accuracy_o = test.original.roundedAccuracy
        accuracy_s = test.separate.roundedAccuracy
        accuracy_r = test.remove.roundedAccuracy
        score = test.point
        self.base = base
        self.half = half.rawValue
        images = test.original.samples
        per_label = PerLabel(
            original: rounded(test.original.labelAccuracy), separate: rounded(test.separate.labelAccuracy),
            remove: rounded(test.remove.labelAccuracy))
        labels_separate_below_remove = test.labelsWhereSeparateBelowRemove
    }

    /// Three lines for a terminal.
    var text: String {
        """
        \(half) half (\(images) images): A_o \(format(accuracy_o))  A_s \(format(accuracy_s))  A_r \(format(accuracy_r))
        score \(String(format: "%.4f", score)) (base \(format(base)))
        labels where A_s < A_r: \(labels_separate_below_remove.isEmpty ? "none" : labels_separate_below_remove.map(String.init).joined(separator: ", "))
        """
    }

    private func format(_ value: Double) -> String { String(format: "%.2f%%", value) }
}
