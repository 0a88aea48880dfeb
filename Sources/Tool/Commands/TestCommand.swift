import ArgumentParser
import Foundation
import NN

/// `privdnn test`: accuracy of a model file on the validate or test half, overall and per label.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Measure a model's accuracy (top-1, or top-5 for TinyImageNet) on the test or validate half.")

    @OptionGroup var data: DataOptions

    @OptionGroup var trained: ModelOption

    @Option(help: "Which half of the official test set: test (reporting) or validate.")
    var split: Dataset.Subset = .test

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @OptionGroup var selectionOptions: TestSelectionOptions

    /// What `test` reports.
    struct Report: Codable, Equatable {
        /// One row of the per-label table.
        struct Label: Codable, Equatable {
            var label: Int
            var name: String
            var samples: Int
            var correct: Int
            var accuracy: Double?
        }

        var dataset: String
        var model: String
        var split: String
        var samples: Int
        var correct: Int
        var topK: Int
        /// Percent, rounded to 2 decimals as the original reports it.
        var accuracy: Double
        var seconds: Double
        var perLabel: [Label]
    }

    func validate() throws {
        if split == .train { throw ValidationError("--split must be test or validate") }
        _ = try trained.required()
    }

    /// Loads the model and data, evaluates, and builds the report.
    func evaluate(progress: ProgressOutput = .automatic) throws -> Report {
        let dataset = data.dataset, model = try trained.required()
        let architecture = dataset.architecture
        let network = try Model(contentsOf: URL(fileURLWithPath: model), architecture: architecture)
        let images = try data.load(split)
        let labels = images.intLabels
        let started = Date()
        let reporter = ProgressReporter(label: "test", total: images.count, unit: "img", output: progress)
        var parts: [Tensor] = []
        var start = 0
        while start < images.count {
            let end = min(images.count, start + network.evaluationBatchSize)
            let batch = images.tensor(start..<end, normalization: dataset.normalization)
            try network.validateInput(batch)
            parts.append(network.logits(batch))
            reporter.advance(by: end - start)
            start = end
        }
        reporter.finish()
        try network.validateLabels(labels, count: images.count)
        let result = Evaluation.score(logits: Tensor.concatenate(parts), labels: labels, topK: architecture.topK)
        let rows = result.labelTotals.indices.map { label in
            Report.Label(
                label: label, name: label < images.labelNames.count ? images.labelNames[label] : "\(label)",
                samples: result.labelTotals[label], correct: result.labelCorrect[label],
                accuracy: result.labelAccuracy[label].map { ($0 * 100).rounded() / 100 })
        }
        return Report(
            dataset: dataset.rawValue, model: model, split: split.rawValue, samples: result.samples,
            correct: result.correct, topK: result.topK, accuracy: result.roundedAccuracy,
            seconds: Date().timeIntervalSince(started), perLabel: rows)
    }

    func run() throws {
        if try selectionOptions.runIfRequested(self) { return }
        let report = try evaluate(progress: json ? .silent : .automatic)
        if json {
            print(try JSONOutput.text(report))
            return
        }
        let k = report.topK == 1 ? "top-1" : "top-\(report.topK)"
        print(
            "\(report.dataset) \(report.split) half: \(report.correct)/\(report.samples) correct, \(k) accuracy \(String(format: "%.2f", report.accuracy))%"
        )
        print("label  name                 samples  correct  accuracy")
        for row in report.perLabel where row.samples > 0 {
            let name = row.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            let accuracy = row.accuracy.map { String(format: "%7.2f%%", $0) } ?? "      -"
            print(
                String(format: "%5d  ", row.label) + name + String(format: " %7d  %7d  ", row.samples, row.correct)
                    + accuracy)
        }
    }
}
