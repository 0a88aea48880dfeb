/// Random sampling against greedy on one fully scored exhaustive category (spec §10.4, `random_selection.py`):
/// (a) the mean best rank random sampling reaches in greedy's time, and (b) the time it needs to reach greedy's
/// rank.
///
/// Ranks are by point, descending, among the category's rows, ties sharing the best rank (as
/// ``ExhaustiveSearch/rank(of:among:base:)``). One random trial scores one row, which costs two evaluations (A_s
/// and A_r), so within greedy's `T` seconds random sampling scores `k = ⌊T / (2·t)⌋` rows when one evaluation
/// takes `t` seconds. Draws are without replacement, as ``RandomSelection`` never scores a selection twice.
public struct RandomVersusGreedy: Sendable, Equatable {
    /// Evaluations per random trial (one row: A_s and A_r).
    public static let evaluationsPerRow = 2

    /// Rows of the category (`N`).
    public var rows: Int
    /// Greedy's rank among them.
    public var greedyRank: Int
    /// Rows whose point is at least greedy's (`m`, greedy's own row included).
    public var rowsAtLeastAsGood: Int
    /// Greedy's time in seconds.
    public var greedySeconds: Double
    /// The time of one evaluation in seconds.
    public var secondsPerEvaluation: Double
    /// Rows random sampling scores within greedy's time (`k`).
    public var drawsWithinGreedyTime: Int
    /// Simulated trials behind ``meanBestRank``.
    public var trials: Int
    /// Seeds the simulation.
    public var seed: UInt64
    /// (a) The best rank among `k` uniform draws, averaged over ``trials`` seeded simulations; `nil` when `k` is 0
    /// (greedy finished before random sampling could score one row).
    public var meanBestRank: Double?
    /// (a) in closed form: the exact expectation the simulation estimates.
    public var expectedBestRank: Double?
    /// (b) Expected draws without replacement until a row at least as good as greedy's: `(N + 1) / (m + 1)`.
    public var expectedDrawsToGreedyRank: Double
    /// (b) in seconds: ``expectedDrawsToGreedyRank`` · 2 · t.
    public var secondsToGreedyRank: Double
    /// (b) with replacement, `N / m` draws, in seconds.
    ///
    /// The original's simulation drew with replacement, so this is the figure comparable with spec §10.4's: MNIST
    /// (1, 1) has 96 rows, greedy rank 1 and 2 s per trial, which gives 192 s against its simulated 190 s.
    public var secondsToGreedyRankWithReplacement: Double

    /// Analyses one category.
    ///
    /// - Parameters:
    ///   - rows: every row of greedy's size category (rows of other sizes are ignored). The caller makes sure the
    ///     category is complete: ranks among part of it mean something else.
    ///   - base: A_base in percent.
    ///   - greedy: greedy's selection.
    ///   - greedySeconds: greedy's time.
    ///   - secondsPerEvaluation: the time of one evaluation.
    ///   - trials: simulations for (a).
    ///   - seed: seeds them.
    /// - Throws: ``NNError/invalidSelection(_:)`` when greedy's selection is not among the rows, or for times or
    ///   trial counts that are not positive.
    public init(
        rows: [ExhaustiveSearch.Row], base: Double, greedy: SelectedNeurons, greedySeconds: Double,
        secondsPerEvaluation: Double, trials: Int = 1000, seed: UInt64 = 0
    ) throws {
        guard greedySeconds >= 0, greedySeconds.isFinite, secondsPerEvaluation > 0, secondsPerEvaluation.isFinite
        else {
            throw NNError.invalidSelection(
                "greedy time \(greedySeconds) s and evaluation time \(secondsPerEvaluation) s must be positive")
        }
        guard trials >= 1 else { throw NNError.invalidSelection("\(trials) trials; at least one is needed") }
        let category = rows.filter {
            $0.selection[1].count == greedy[1].count && $0.selection[2].count == greedy[2].count
        }
        guard let position = ExhaustiveSearch.rank(of: greedy, among: category, base: base) else {
            throw NNError.invalidSelection(
                "greedy's \(greedy) is not among the \(category.count) scored rows of its size")
        }
        let points = category.map { $0.accuracies.point(base: base) }.sorted(by: >)
        // Competition ranks of the sorted points: each equals 1 + the number of strictly better rows.
        var ranks = [Int](repeating: 1, count: points.count)
        for j in points.indices.dropFirst() { ranks[j] = points[j] == points[j - 1] ? ranks[j - 1] : j + 1 }
        let n = points.count
        let good = ranks.lastIndex { $0 <= position.rank }.map { $0 + 1 } ?? 1
        let perRow = Double(Self.evaluationsPerRow) * secondsPerEvaluation
        // The small tolerance keeps k from losing a whole row to rounding when T is an exact multiple of 2·t.
        let k = min(n, Int((greedySeconds / perRow * (1 + 1e-12)).rounded(.down)))

        self.rows = n
        greedyRank = position.rank
        rowsAtLeastAsGood = good
        self.greedySeconds = greedySeconds
        self.secondsPerEvaluation = secondsPerEvaluation
        drawsWithinGreedyTime = k
        self.trials = trials
        self.seed = seed
        meanBestRank = k == 0 ? nil : Self.simulatedBestRank(ranks: ranks, draws: k, trials: trials, seed: seed)
        expectedBestRank = k == 0 ? nil : Self.exactBestRank(ranks: ranks, draws: k)
        expectedDrawsToGreedyRank = Double(n + 1) / Double(good + 1)
        secondsToGreedyRank = expectedDrawsToGreedyRank * perRow
        secondsToGreedyRankWithReplacement = Double(n) / Double(good) * perRow
    }

    /// Draws `draws` distinct rows per trial and averages the best rank drawn.
    ///
    /// - Parameters:
    ///   - ranks: competition ranks in sorted order (non-decreasing), so the best rank drawn is the rank at the
    ///     smallest index drawn.
    ///   - draws: rows per trial, fewer than the rows or all of them.
    ///   - trials: how many trials.
    ///   - seed: seeds the draws.
    /// - Returns: the mean best rank.
    static func simulatedBestRank(ranks: [Int], draws: Int, trials: Int, seed: UInt64) -> Double {
        let n = ranks.count
        if draws >= n { return Double(ranks[0]) }
        var generator = Xoshiro256(seed: seed)
        var order = Array(0..<n)
        var total = 0
        for _ in 0..<trials {
            // Partial Fisher–Yates: the first `draws` slots become a uniform sample without replacement, whatever
            // order the previous trial left, so the array need not be reset.
            var smallest = n
            for i in 0..<draws {
                order.swapAt(i, Int.random(in: i..<n, using: &generator))
                smallest = min(smallest, order[i])
            }
            total += ranks[smallest]
        }
        return Double(total) / Double(trials)
    }

    /// The exact expectation of the best rank among `draws` distinct uniform rows.
    ///
    /// The smallest sorted index drawn is at least `j` with probability `C(N − j, k) / C(N, k)`; consecutive terms
    /// differ by the factor `(N − j − k) / (N − j)`, which avoids huge binomials.
    static func exactBestRank(ranks: [Int], draws: Int) -> Double {
        let n = ranks.count
        var atLeast = 1.0, expectation = 0.0
        for j in 0..<n {
            let next = n - j - draws > 0 ? atLeast * Double(n - j - draws) / Double(n - j) : 0
            expectation += Double(ranks[j]) * (atLeast - next)
            atLeast = next
            if atLeast == 0 { break }
        }
        return expectation
    }
}
