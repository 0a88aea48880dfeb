import Foundation
import NN

/// `select --algorithm greedy --amend --percent 50,55,…`: greedy's nested percent series, each selection continuing
/// the previous one, written as `selected_neurons_<P>%.json`.
extension SelectCommand {
    /// Runs greedy's percent series and reports each selection's closing test.
    func runAmend(_ context: inout RunContext) throws -> SelectionRunReport {
        let evaluator = context.scoring
        let percents = try SelectionInputs.integers(percent ?? "", flag: "--percent")
        guard percents == percents.sorted(), Set(percents).count == percents.count,
            let last = percents.last, last <= 100
        else { throw ToolError("--percent: the amend series must be ascending, distinct and at most 100") }
        let progress = context.progress(
            "amend", total: try Self.amendEvaluations(percents: percents, layerSizes: evaluator.layerSizes))
        let before = evaluator.evaluationCount
        let series = try run {
            try GreedySelection.percentSeries(
                percents: percents, base: context.base, evaluator: evaluator, progress: progress)
        }
        progress.finish()
        let used = evaluator.evaluationCount - before
        var report = context.report(evaluations: used)
        let folder = out ?? "."
        var points: [(encrypted: Double, accuracies: SelectionAccuracies)] = []
        let widths = Double(evaluator.layerSizes.reduce(0, +))
        for (percent, selection) in series {
            try SelectionInputs.write(
                selection,
                to: URL(fileURLWithPath: folder).appendingPathComponent("selected_neurons_\(percent)%.json").path)
            var entry = try context.entry(selection, evaluations: 0)
            entry.percent = percent
            report.selections.append(entry)
            points.append(
                (
                    100 * Double(selection.count) / widths,
                    SelectionAccuracies(separate: entry.test.accuracy_s, remove: entry.test.accuracy_r)
                ))
        }
        if let plotDir {
            try SelectionInputs.write(
                SelectionPlots.accuracyVersusEncrypted(dataset: context.dataset.displayName, points: points),
                folder: plotDir, name: "accuracy_vs_encrypted.svg")
        }
        return report
    }

    /// Evaluations of the amend series with step 1: each percentage continues from the previous counts; a fully
    /// selected first layer makes the second fully selected without evaluation.
    static func amendEvaluations(percents: [Int], layerSizes: [Int]) throws -> Int {
        var previous = [0, 0], total = 0
        let widths = Array(layerSizes.prefix(2))
        for percent in percents {
            let counts = try SelectionCount.percent(percent).counts(layerSizes: widths)
            total += (previous[0]..<max(previous[0], counts[0])).reduce(0) { $0 + widths[0] - $1 }
            if counts[0] < widths[0] {
                total += 2 * (previous[1]..<max(previous[1], counts[1])).reduce(0) { $0 + widths[1] - $1 }
                previous = counts
            } else {
                previous = widths
            }
        }
        return total
    }
}
