import Foundation
import NN

/// `select --algorithm greedy | random | pruning | pruning-greedy`: one selection of the requested counts.
extension SelectCommand {
    /// Runs the algorithm once for the `--count` or `--percent` counts and reports the selection's closing test.
    func runSingle(_ context: inout RunContext) throws -> SelectionRunReport {
        let evaluator = context.scoring
        let counts = try counts(layerSizes: evaluator.layerSizes)
        let greedy = GreedySelection(counts: counts, base: context.base, step: step)
        // HRank ranks filters by their output maps on training images, computed before any evaluation is counted.
        let hrank = try hrankRanks(context, layers: counts.count)
        let ranks = hrank?.ranks ?? [:]
        let before = evaluator.evaluationCount
        let selection: SelectedNeurons
        switch algorithm {
        case .greedy, .pruningGreedy:
            let search =
                algorithm == .greedy
                ? greedy
                : try run {
                    try GreedySelection.pruned(
                        counts: counts, base: context.base, criterion: norm, evaluator: evaluator, step: step,
                        featureMapRanks: ranks)
                }
            selection = try run { try SelectionInputs.greedy(search, on: evaluator, label: algorithm.rawValue) }
        case .pruning:
            selection = try run {
                try PruningSelection(counts: counts, criterion: norm, featureMapRanks: ranks).run(on: evaluator)
            }
        case .random:
            let budget: RandomSelection.Budget
            let total: Int
            if let budgetSeconds {
                guard budgetSeconds > 0 else { throw ToolError("--budget-seconds must be positive") }
                (budget, total) = (.seconds(budgetSeconds), 0)
            } else {
                let evaluations = budgetEvaluations ?? greedy.plannedEvaluations(layerSizes: evaluator.layerSizes)
                guard evaluations >= 2 else {
                    throw ToolError("--budget-evaluations: \(evaluations) is below one selection (2 evaluations)")
                }
                (budget, total) = (.trials(evaluations / 2), evaluations / 2 * 2)
            }
            let progress = context.progress("random", total: total)
            selection = try run {
                try RandomSelection(counts: counts, base: context.base, budget: budget, seed: seed)
                    .run(on: evaluator, progress: progress).selection
            }
            progress.finish()
        case .exhaustive:
            throw ToolError("internal: exhaustive is not a single selection")
        }
        let used = evaluator.evaluationCount - before
        if let out { try SelectionInputs.write(selection, to: out) }
        if plotDir != nil {
            throw ToolError("--plot-dir: figures come from --algorithm exhaustive (rankings) or --amend (series)")
        }
        var report = context.report(evaluations: used)
        report.hrank = hrank?.summary
        report.selections = [try context.entry(selection, evaluations: used)]
        return report
    }
}
