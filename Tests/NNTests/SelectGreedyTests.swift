import Foundation
import Testing

@testable import NN

@Suite struct SelectGreedyTests {
    /// Three filters per layer; every number below was worked out by hand from ``AnalyticEvaluator``'s rules.
    @Test func tinyCaseMatchesTheHandComputation() throws {
        let evaluator = AnalyticEvaluator(
            removalCost1: [2, 1, 3], removalCost2: [0.5, 4, 2],
            cut: [[9, 9, 9], [1.0, 0.2, 0.3], [9, 9, 9]])
        let selection = try GreedySelection(counts: [1, 1], base: 99.36).run(on: evaluator)
        // Layer 1, A_r of {1: [c]} = 99.4 − cost: 97.4, 98.4, 96.4 → filter 1 hurts least.
        // Layer 2 with S₁ = [1]: A_r = 98.4 − cost₂ = 97.9, 94.4, 96.4; A_s = 99.4 − cuts to plaintext filters
        // = 98.9, 98.1, 98.2; point = σ((A_s − A_r)/5) − σ(99.36 − A_s) = −0.0632, −0.1020, −0.1723 → filter 0.
        #expect(selection == (try SelectedNeurons([1: [1], 2: [0]])))
        #expect(evaluator.evaluationCount == 3 + 2 * 3)
        let accuracies = try evaluator.accuracies(selection)
        #expect(accuracies == SelectionAccuracies(separate: 98.9, remove: 97.9))
        #expect(abs(accuracies.point(base: 99.36) - -0.063180178826856) < 1e-9)

        // Two per layer: layer 1 adds 0 next (A_r 96.4 with [1, 0] beats 95.4 with [1, 2]).
        let two = try GreedySelection(counts: [2, 2], base: 99.36).run(
            on: AnalyticEvaluator(
                removalCost1: [2, 1, 3], removalCost2: [0.5, 4, 2],
                cut: [[1.0, 0.2, 0.3], [1.0, 0.2, 0.3], [9, 9, 9]]))
        #expect(two[1] == [0, 1])
    }

    @Test func categoriesOfAnySize() throws {
        let category = try ExhaustiveGrid.mnist.category(layer1Count: 3, layer2Count: 2)
        #expect(category.combinations == 20 * 120)
        #expect(throws: NNError.self) { try ExhaustiveGrid.mnist.category(layer1Count: 0, layer2Count: 2) }
        #expect(throws: NNError.self) { try ExhaustiveGrid.mnist.category(layer1Count: 1, layer2Count: 17) }
        let rows = try ExhaustiveSearch(grid: .mnist).run(on: AnalyticEvaluator.mnistShaped(), categories: [category])
        #expect(rows.count == 2400 && Set(rows.map(\.selection)).count == 2400)
    }

    @Test func rankFigureSamplesBestToWorst() throws {
        let rows = try ExhaustiveSearch(grid: .mnist).run(
            on: AnalyticEvaluator.mnistShaped(), categories: [ExhaustiveGrid.mnist.categories[1]])
        let plot = SelectionPlots.accuracyVersusRank(title: "t", rows: rows, base: 99.36, samples: 50)
        #expect(plot.series.count == 2)
        let ranks = plot.series[0].points.map(\.x)
        #expect(ranks.count == 50 && ranks.first == 1 && ranks.last == 720 && ranks == ranks.sorted())
        // The first point is the best row by point.
        let best = rows.max { $0.accuracies.point(base: 99.36) < $1.accuracies.point(base: 99.36) }
        #expect(plot.series[0].points[0].y == best?.accuracies.separate)
        #expect(plot.render().contains("A_r (encrypted zeroed)"))
    }
}
