import Testing

@testable import NN

/// Spec §10.4 on small synthetic categories whose ranks are known, against hand computations.
@Suite struct RandomVersusGreedyTests {
    /// Ten rows of category (1, 1): A_s 99 and A_r `10 + i` (or the given values), so the point falls with `i`.
    static func rows(remove: [Double] = (0..<10).map { 10 + Double($0) }) throws -> [ExhaustiveSearch.Row] {
        try remove.enumerated().map { i, value in
            ExhaustiveSearch.Row(
                index: i, selection: try SelectedNeurons([1: [i / 5], 2: [i % 5]]),
                accuracies: SelectionAccuracies(separate: 99, remove: value))
        }
    }

    @Test func distinctRanksMatchTheClosedForms() throws {
        let rows = try Self.rows()
        // Greedy's row 2 is third best: m = 3. 4 s of greedy at 1 s per evaluation buys k = 2 rows.
        let analysis = try RandomVersusGreedy(
            rows: rows, base: 99.36, greedy: rows[2].selection, greedySeconds: 4, secondsPerEvaluation: 1,
            trials: 20000, seed: 7)
        #expect(analysis.rows == 10 && analysis.greedyRank == 3 && analysis.rowsAtLeastAsGood == 3)
        #expect(analysis.drawsWithinGreedyTime == 2)
        // E[min of 2 distinct draws from ranks 1…10] = (N + 1)/(k + 1) = 11/3.
        let exact = try #require(analysis.expectedBestRank)
        #expect(abs(exact - 11.0 / 3) < 1e-12)
        // The simulation's standard error is about 2.2/√20000 ≈ 0.016.
        let simulated = try #require(analysis.meanBestRank)
        #expect(abs(simulated - exact) < 0.06, "\(simulated)")
        // (N + 1)/(m + 1) = 11/4 draws of 2 s each; with replacement N/m = 10/3 draws.
        #expect(abs(analysis.expectedDrawsToGreedyRank - 2.75) < 1e-12)
        #expect(abs(analysis.secondsToGreedyRank - 5.5) < 1e-12)
        #expect(abs(analysis.secondsToGreedyRankWithReplacement - 20.0 / 3) < 1e-12)
        // The same seed replays the same simulation.
        let again = try RandomVersusGreedy(
            rows: rows, base: 99.36, greedy: rows[2].selection, greedySeconds: 4, secondsPerEvaluation: 1,
            trials: 20000, seed: 7)
        #expect(again.meanBestRank == simulated)
    }

    @Test func tiesShareTheBestRank() throws {
        // Rows 1 and 2 tie: ranks 1, 2, 2, 4, 5, …, 10.
        var remove = (0..<10).map { 10 + Double($0) }
        remove[2] = remove[1]
        let rows = try Self.rows(remove: remove)
        let analysis = try RandomVersusGreedy(
            rows: rows, base: 99.36, greedy: rows[2].selection, greedySeconds: 4.5, secondsPerEvaluation: 1,
            trials: 20000, seed: 1)
        #expect(analysis.greedyRank == 2 && analysis.rowsAtLeastAsGood == 3 && analysis.drawsWithinGreedyTime == 2)
        // P(smallest sorted index = j) = (9 − j)/45: Σ rank_j (9 − j)/45 = 158/45; the simulation agrees.
        #expect(abs((analysis.expectedBestRank ?? 0) - 158.0 / 45) < 1e-12)
        #expect(abs((analysis.meanBestRank ?? 0) - 158.0 / 45) < 0.06)
        #expect(abs(analysis.expectedDrawsToGreedyRank - 2.75) < 1e-12)
    }

    @Test func budgetsAtTheEdges() throws {
        let rows = try Self.rows()
        // Less than one row's time: random sampling scores nothing.
        let none = try RandomVersusGreedy(
            rows: rows, base: 99.36, greedy: rows[0].selection, greedySeconds: 1.9, secondsPerEvaluation: 1)
        #expect(none.drawsWithinGreedyTime == 0 && none.meanBestRank == nil && none.expectedBestRank == nil)
        // Time for every row: the best is always found.
        let all = try RandomVersusGreedy(
            rows: rows, base: 99.36, greedy: rows[0].selection, greedySeconds: 100, secondsPerEvaluation: 1)
        #expect(all.drawsWithinGreedyTime == 10 && all.meanBestRank == 1 && all.expectedBestRank == 1)
        // Greedy first of one: (N + 1)/2 draws.
        #expect(all.expectedDrawsToGreedyRank == 5.5)
    }

    @Test func theOriginalsWithReplacementFigure() throws {
        // Spec §10.4, MNIST (1, 1): 96 rows, greedy rank 1, 2 s per trial (1 s per evaluation): drawing with
        // replacement needs 96 draws, 192 s; the original's simulation printed 190 s.
        let rows = try (0..<96).map { i in
            ExhaustiveSearch.Row(
                index: i, selection: try SelectedNeurons([1: [i / 16], 2: [i % 16]]),
                accuracies: SelectionAccuracies(separate: 99, remove: 10 + Double(i) / 10))
        }
        let analysis = try RandomVersusGreedy(
            rows: rows, base: 99.36, greedy: rows[0].selection, greedySeconds: 22, secondsPerEvaluation: 1,
            trials: 20000)
        #expect(analysis.secondsToGreedyRankWithReplacement == 192)
        #expect(analysis.drawsWithinGreedyTime == 11)
        #expect(abs((analysis.expectedBestRank ?? 0) - 97.0 / 12) < 1e-12)
        // The best of 11 among 96 spreads widely (standard deviation ≈ 7.5): standard error ≈ 0.05.
        #expect(abs((analysis.meanBestRank ?? 0) - 97.0 / 12) < 0.2, "\(analysis.meanBestRank ?? 0)")
    }

    @Test func badInputIsRefused() throws {
        let rows = try Self.rows()
        let stranger = try SelectedNeurons([1: [0], 2: [9]])
        #expect(throws: NNError.self) {
            try RandomVersusGreedy(rows: rows, base: 99.36, greedy: stranger, greedySeconds: 4, secondsPerEvaluation: 1)
        }
        #expect(throws: NNError.self) {
            try RandomVersusGreedy(
                rows: rows, base: 99.36, greedy: rows[0].selection, greedySeconds: 4, secondsPerEvaluation: 0)
        }
        #expect(throws: NNError.self) {
            try RandomVersusGreedy(
                rows: rows, base: 99.36, greedy: rows[0].selection, greedySeconds: 4, secondsPerEvaluation: 1,
                trials: 0)
        }
    }
}
