import Foundation
import Testing

@testable import NN

/// An analytic stand-in for a model: each conv1 filter i has removal cost `removalCost1[i]`, each conv2 filter j
/// `removalCost2[j]`, and cutting plaintext conv2 filter j off from encrypted conv1 filter i costs `cut[i][j]`.
final class AnalyticEvaluator: SelectionEvaluator {
    let layerSizes: [Int]
    let removalCost1: [Double]
    let removalCost2: [Double]
    let cut: [[Double]]
    let weights: [[[Float]]]
    private(set) var evaluationCount = 0

    init(removalCost1: [Double], removalCost2: [Double], cut: [[Double]], weights: [[[Float]]] = [[], []]) {
        layerSizes = [removalCost1.count, removalCost2.count]
        self.removalCost1 = removalCost1
        self.removalCost2 = removalCost2
        self.cut = cut
        self.weights = weights
    }

    /// A reproducible evaluator of the MNIST LeNet-5's shape (6 and 16 filters).
    static func mnistShaped(seed: UInt64 = 7) -> AnalyticEvaluator {
        var generator = Xoshiro256(seed: seed)
        func value(_ scale: Double) -> Double { Double(generator.next() % 1000) / 1000 * scale }
        return AnalyticEvaluator(
            removalCost1: (0..<6).map { _ in value(12) }, removalCost2: (0..<16).map { _ in value(4) },
            cut: (0..<6).map { _ in (0..<16).map { _ in value(1.5) } },
            weights: [
                (0..<6).map { _ in (0..<25).map { _ in Float(value(2) - 1) } },
                (0..<16).map { _ in (0..<150).map { _ in Float(value(2) - 1) } },
            ])
    }

    func accuracy(_ selection: SelectedNeurons, mode: FilterMaskMode?) -> Double {
        guard let mode else { return 99.4 }
        switch mode {
        case .remove:
            return 99.4 - selection[1].reduce(0) { $0 + removalCost1[$1] }
                - selection[2].reduce(0) {
                    $0 + removalCost2[$1]
                }
        case .separate:
            guard selection.layerNumbers.contains(2) else { return 99.4 }
            let plaintext = (0..<layerSizes[1]).filter { !selection[2].contains($0) }
            return 99.4 - selection[1].reduce(0) { sum, i in sum + plaintext.reduce(0) { $0 + cut[i][$1] } }
        }
    }

    func evaluate(_ selection: SelectedNeurons, mode: FilterMaskMode?) throws -> EvaluationResult {
        try selection.validate(layerSizes: layerSizes)
        evaluationCount += 1
        let correct = Int((max(0, accuracy(selection, mode: mode)) * 100).rounded())
        return EvaluationResult(
            samples: 10_000, correct: correct, topK: 1, labelTotals: [10_000], labelCorrect: [correct])
    }

    func filterWeights(layer: Int) -> [[Float]] { weights[layer - 1] }
}

@Suite struct SelectionScoreTests {
    @Test func pointMatchesTheFormula() {
        // The spec's §10.3 MNIST (2,6) best and worst annotations, point computed with Python's math.exp.
        #expect(abs(SelectionScore.point(separate: 99.26, remove: 77.32, base: 99.36) - 0.4627477565621104) < 1e-12)
        #expect(abs(SelectionScore.point(separate: 92.12, remove: 93.42, base: 99.36) + 0.5639194942102626) < 1e-12)
        #expect(SelectionAccuracies(separate: 99.26, remove: 77.32).point(base: 99.36) > 0)
    }
}

@Suite struct GreedySelectionTests {
    @Test func costMatchesTheSpecFormula() {
        let mnist = GreedySelection(counts: [1, 1], base: 99.36)
        #expect(mnist.plannedEvaluations(layerSizes: [6, 16]) + 3 == 41)
        #expect(GreedySelection(counts: [1, 1], base: 93.08).plannedEvaluations(layerSizes: [10, 20]) + 3 == 53)
        #expect(GreedySelection(counts: [32, 32], base: 90.76).plannedEvaluations(layerSizes: [64, 64]) + 3 == 4659)
        #expect(GreedySelection(counts: [4, 12], base: 93.51).plannedEvaluations(layerSizes: [96, 256]) + 3 == 6393)
        #expect(
            GreedySelection(counts: [48, 128], base: 93.51).plannedEvaluations(layerSizes: [96, 256]) + 3 == 52763)
    }

    @Test func choicesAgreeWithTheExhaustiveOracle() throws {
        let evaluator = AnalyticEvaluator.mnistShaped()
        let greedy = GreedySelection(counts: [1, 1], base: 99.36)
        let progress = ProgressReporter(label: "greedy", total: 38, output: .silent)
        let selection = try greedy.run(on: evaluator, progress: progress)
        #expect(evaluator.evaluationCount == 38 && progress.snapshot.completed == 38)
        let closing = try ClosingTest(selection: selection, evaluator: evaluator, base: 99.36)
        #expect(evaluator.evaluationCount == 41)
        // Layer 1: the filter whose removal hurts least (lowest removal cost; ties to the lower index).
        let cheapest = evaluator.removalCost1.indices.min {
            (evaluator.removalCost1[$0], $0) < (evaluator.removalCost1[$1], $1)
        }
        #expect(selection[1] == [try #require(cheapest)])
        // Layer 2: the best point among all (1,1) selections sharing that conv1 filter, found by exhaustive search.
        let rows = try ExhaustiveSearch(grid: .mnist).run(
            on: AnalyticEvaluator.mnistShaped(), categories: [ExhaustiveGrid.mnist.categories[0]])
        #expect(rows.count == 96)
        let sameFirst = rows.filter { $0.selection[1] == selection[1] }
        let best = sameFirst.max {
            ($0.accuracies.point(base: 99.36), $0.selection[2][0]) < (
                $1.accuracies.point(base: 99.36), $1.selection[2][0]
            )
        }
        #expect(selection == best?.selection)
        #expect(closing.point == closing.accuracies.point(base: 99.36))
        #expect(closing.original.roundedAccuracy == 99.4)
        let rank = try #require(ExhaustiveSearch.rank(of: selection, among: rows, base: 99.36))
        #expect(rank.of == 96 && rank.rank >= 1)
        // Sharded runs reproduce the same rows with global indices, across a category boundary.
        let search = ExhaustiveSearch(grid: .mnist)
        let shard = try search.run(on: AnalyticEvaluator.mnistShaped(), indices: 90..<100)
        #expect(shard.map(\.index) == Array(90..<100))
        #expect(Array(shard.prefix(6)) == Array(rows[90..<96]))
        #expect(shard[6].selection == (try SelectedNeurons([1: [0], 2: [0, 1]])))
    }

    @Test func stepsTiesFullLayersAndAmend() throws {
        // Equal removal costs: the first layer takes the lowest indices.
        let flat = AnalyticEvaluator(
            removalCost1: [1, 1, 1, 1], removalCost2: [0.5, 0.2, 0.9], cut: Array(repeating: [0.1, 0.1, 0.1], count: 4))
        let two = try GreedySelection(counts: [2, 1], base: 99.4, step: 3).run(on: flat)
        #expect(two[1] == [0, 1] && two[2].count == 1)  // step 3 does not overshoot counts of 2 and 1
        // A fully selected first layer encrypts everything after it.
        let full = try GreedySelection(counts: [4, 1], base: 99.4).run(on: flat)
        #expect(full[1] == [0, 1, 2, 3] && full[2] == [0, 1, 2])
        // Amend keeps the previous filters and adds to them.
        let evaluator = AnalyticEvaluator.mnistShaped()
        let small = try GreedySelection(counts: [1, 2], base: 99.36).run(on: evaluator)
        let larger = try GreedySelection(counts: [2, 4], base: 99.36).run(on: evaluator, startingFrom: small)
        #expect(Set(small[1]).isSubset(of: Set(larger[1])) && Set(small[2]).isSubset(of: Set(larger[2])))
        #expect(larger[1].count == 2 && larger[2].count == 4)
        #expect(throws: NNError.self) { try GreedySelection(counts: [7, 1], base: 99).run(on: evaluator) }
    }

    @Test func prunedGreedyUsesPools() throws {
        let evaluator = AnalyticEvaluator.mnistShaped()
        let greedy = try GreedySelection.pruned(counts: [1, 1], base: 99.36, criterion: .l2, evaluator: evaluator)
        #expect(greedy.pools[1]?.count == 2 && greedy.pools[2]?.count == 2)
        #expect(greedy.plannedEvaluations(layerSizes: evaluator.layerSizes) + 3 == 9)
        let selection = try greedy.run(on: evaluator)
        #expect(evaluator.evaluationCount == 6)
        #expect(
            greedy.pools[1]?.contains(selection[1][0]) == true && greedy.pools[2]?.contains(selection[2][0]) == true)
    }
}

@Suite struct PruningAndRandomSelectionTests {
    @Test func pruningCriteria() throws {
        let filters: [[Float]] = [[0, 0], [1, 0], [0, 3]]
        #expect(try PruningCriterion.l2.scores(filters) == [0, 1, 3])
        #expect(try PruningCriterion.l2.strongest(1, of: filters) == [2])
        // FPGM distance sums: 1 + 3, 1 + √10, 3 + √10.
        let fpgm = try PruningCriterion.fpgm.scores(filters)
        #expect(abs(fpgm[1] - (1 + 10.0.squareRoot())) < 1e-12)
        #expect(try PruningCriterion.fpgm.strongest(2, of: filters) == [1, 2])
        #expect(try PruningCriterion.l2.strongest(2, of: [[1], [1], [1]]) == [0, 1])
        // HRank ranks by the feature-map averages it is given, not by the weights; without one per filter it fails.
        #expect(try PruningCriterion.hrank.strongest(1, of: filters, featureMapRanks: [5, 2, 1]) == [0])
        // HRank's ties go to the higher index, as the original's descending sort of [rank, index].
        #expect(try PruningCriterion.hrank.strongest(2, of: filters, featureMapRanks: [3, 3, 3]) == [1, 2])
        #expect(throws: NNError.self) { try PruningCriterion.hrank.scores(filters) }
        #expect(throws: NNError.self) { try PruningCriterion.hrank.scores(filters, featureMapRanks: [1, 2]) }
    }

    @Test func pruningSelectionCostsNoEvaluation() throws {
        let evaluator = AnalyticEvaluator.mnistShaped()
        let selection = try PruningSelection(counts: [2, 6], criterion: .fpgm).run(on: evaluator)
        #expect(selection[1].count == 2 && selection[2].count == 6 && evaluator.evaluationCount == 0)
        #expect(selection[2] == (try PruningCriterion.fpgm.strongest(6, of: evaluator.filterWeights(layer: 2))))
    }

    @Test func randomSelectionWithBudgets() throws {
        let evaluator = AnalyticEvaluator.mnistShaped()
        let outcome = try RandomSelection(counts: [1, 2], base: 99.36, budget: .trials(25), seed: 3).run(on: evaluator)
        #expect(outcome.trials == 25 && evaluator.evaluationCount == 50)
        #expect(outcome.selection[1].count == 1 && outcome.selection[2].count == 2)
        // With a budget above the 96 distinct (1,1) selections, random search finds the exhaustive optimum.
        let all = try RandomSelection(counts: [1, 1], base: 99.36, budget: .trials(10_000), seed: 1)
            .run(on: AnalyticEvaluator.mnistShaped())
        #expect(all.trials == 96)
        let rows = try ExhaustiveSearch(grid: .mnist).run(
            on: AnalyticEvaluator.mnistShaped(), categories: [ExhaustiveGrid.mnist.categories[0]])
        let bestPoint = rows.map { $0.accuracies.point(base: 99.36) }.max()
        #expect(all.point == bestPoint)
        let timed = try RandomSelection(counts: [1, 1], base: 99.36, budget: .seconds(0.05), seed: 2)
            .run(on: AnalyticEvaluator.mnistShaped())
        #expect(timed.trials >= 1)
    }
}

@Suite struct AmendSeriesTests {
    @Test func percentSeriesIsNested() throws {
        let evaluator = AnalyticEvaluator.mnistShaped()
        let series = try GreedySelection.percentSeries(
            percents: [20, 50, 100], base: 99.36, evaluator: evaluator)
        #expect(series.map(\.percent) == [20, 50, 100])
        // 20 % of (6, 16) is (1, 3); 50 % is (3, 8); 100 % is everything.
        #expect(series.map { [$0.selection[1].count, $0.selection[2].count] } == [[1, 3], [3, 8], [6, 16]])
        for (smaller, larger) in zip(series, series.dropFirst()) {
            #expect(Set(smaller.selection[1]).isSubset(of: Set(larger.selection[1])))
            #expect(Set(smaller.selection[2]).isSubset(of: Set(larger.selection[2])))
        }
    }
}

@Suite struct ExhaustiveLogTests {
    @Test func appendReadAndResume() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("MNIST.jsonl")
        #expect(try ExhaustiveLog.nextIndex(url) == 0)
        let search = ExhaustiveSearch(grid: .mnist)
        let evaluator = AnalyticEvaluator.mnistShaped()
        try ExhaustiveLog.append(try search.run(on: evaluator, indices: 0..<40), to: url)
        // A run killed mid-line leaves a partial row, which is dropped and redone.
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"index\":40,\"sel".utf8))
        try handle.close()
        let next = try ExhaustiveLog.nextIndex(url)
        #expect(next == 40)
        try ExhaustiveLog.append(try search.run(on: evaluator, indices: next..<100), to: url)
        let rows = try ExhaustiveLog.read(url)
        #expect(rows.map(\.index) == Array(0..<100))
        #expect(rows == (try search.run(on: AnalyticEvaluator.mnistShaped(), indices: 0..<100)))
    }

    @Test func resumeChecksTheShare() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("MNIST.jsonl")
        let categories = ExhaustiveGrid.mnist.categories
        let share = ExhaustiveResume(categories: categories, rows: 20..<60)
        #expect(share.category(ofRow: 0) == categories[0])
        #expect(share.category(ofRow: categories[0].combinations) == categories[1])
        #expect(share.category(ofRow: ExhaustiveGrid.mnist.totalCount) == nil)
        // A missing log resumes at the share's first row.
        #expect(try share.resumeIndex(log: url) == 20)
        let search = ExhaustiveSearch(grid: .mnist)
        try ExhaustiveLog.append(try search.run(on: AnalyticEvaluator.mnistShaped(), indices: 20..<30), to: url)
        #expect(try share.resumeIndex(log: url) == 30)
        #expect(try share.loggedRows(log: url).map(\.index) == Array(20..<30))
        // Another shard's or another category's log is refused rather than resumed at a wrong row.
        #expect(throws: ExhaustiveResume.ForeignRow.self) {
            try ExhaustiveResume(categories: categories, rows: 0..<20).resumeIndex(log: url)
        }
        let wider = try ExhaustiveGrid.mnist.category(layer1Count: 1, layer2Count: 2)
        #expect(throws: ExhaustiveResume.ForeignRow.self) {
            try ExhaustiveResume(categories: [wider], rows: 0..<100).resumeIndex(log: url)
        }
    }

    @Test func corruptLineIsReported() throws {
        let folder = try TemporaryFolder()
        let url = try folder.write(Array("{\"index\":0}\nnot json\n".utf8), to: "bad.jsonl")
        #expect(throws: DataFileError(file: url.path, problem: "line 1 is not an exhaustive-search row")) {
            try ExhaustiveLog.read(url)
        }
    }
}
