import Foundation
import NN

extension SelectCommand {
    /// Shared state of one run.
    struct RunContext {
        /// The parsed command line.
        let command: SelectCommand
        /// The data set the model was trained on.
        let dataset: Dataset
        /// The trained model (HRank runs it on training images).
        let model: Model
        /// Evaluates selections on the half they are scored on (`--score-on`).
        let scoring: any SelectionEvaluator
        /// Evaluates the closing test on the test half (the scoring evaluator itself with `--score-on test`).
        let reporting: any SelectionEvaluator
        /// A_base of the score, in percent.
        let base: Double

        /// A progress reporter counting `total` evaluations.
        func progress(_ label: String, total: Int) -> ProgressReporter {
            ProgressReporter(label: label, total: total, unit: "eval")
        }

        /// The report skeleton shared by every algorithm.
        func report(evaluations: Int) -> SelectionRunReport {
            SelectionRunReport(
                algorithm: command.algorithm.rawValue, dataset: dataset.rawValue, model: command.trained.model ?? "",
                score_on: command.scoreOn.rawValue, base: base, evaluations: evaluations, seconds: 0)
        }

        /// Closing test on the test half plus the scoring half's A_s/A_r.
        func entry(_ selection: SelectedNeurons, evaluations: Int) throws -> SelectionRunReport.Entry {
            let closing = try ClosingTest(selection: selection, evaluator: reporting, base: base)
            var scored: SelectionRunReport.Scored?
            if command.scoreOn == .validate {
                let accuracies = try scoring.accuracies(selection)
                scored = .init(
                    accuracy_s: accuracies.separate, accuracy_r: accuracies.remove,
                    score: accuracies.point(base: base))
            }
            return .init(
                selection: selection, counts: selection.layerNumbers.map { selection[$0].count },
                evaluations: evaluations, scoring: scored,
                test: ClosingSummary(closing, base: base, half: .test))
        }
    }
}
