import Foundation
import NN

/// `select --algorithm exhaustive --versus-random GREEDY_REPORT`: random sampling against greedy on greedy's fully
/// scored category (spec §10.4).
extension SelectCommand {
    /// The parts of greedy's `--report` file the comparison needs.
    struct GreedyReport: Decodable {
        var algorithm: String
        var evaluations: Int
        var seconds: Double
        var selections: [Entry]

        struct Entry: Decodable {
            var selection: SelectedNeurons
        }
    }

    /// Reads greedy's report and compares random sampling with it among the logged rows of its category.
    ///
    /// - Parameters:
    ///   - greedyReport: the path of greedy's `select --report` JSON (one selection, its evaluations and seconds).
    ///   - logged: the exhaustive log's rows of this run.
    ///   - categories: this run's categories.
    ///   - base: A_base in percent.
    ///   - log: the log's path, for messages.
    ///   - layerSizes: the model's layer widths, to check greedy's selection.
    /// - Returns: the report section.
    /// - Throws: ``ToolError`` naming the file: an unreadable report, a selection of another size, or a category
    ///   that is not fully scored.
    func compareWithRandom(
        greedyReport: String, logged: [ExhaustiveSearch.Row], categories: [ExhaustiveGrid.Category],
        base: Double, log: String, layerSizes: [Int]
    ) throws -> SelectionRunReport.VersusRandom {
        let path = greedyReport
        guard FileManager.default.fileExists(atPath: path) else { throw ToolError("\(path): no such report file") }
        let greedy: GreedyReport
        do {
            greedy = try JSONDecoder().decode(GreedyReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ToolError("\(path): not a select --report file (\(Self.reason(error)))")
        }
        guard greedy.selections.count == 1, let selection = greedy.selections.first?.selection else {
            throw ToolError("\(path): holds \(greedy.selections.count) selections; --versus-random needs one")
        }
        do {
            try selection.validate(layerSizes: layerSizes)
        } catch {
            throw ToolError("\(path): \(error)")
        }
        let counts = [selection[1].count, selection[2].count]
        guard
            let category = categories.first(where: {
                $0.layer1Count == counts[0] && $0.layer2Count == counts[1]
            })
        else {
            throw ToolError(
                "\(path): its selection has size (\(counts[0]), \(counts[1])), not a category of this run (--count)")
        }
        let members = logged.filter { $0.selection[1].count == counts[0] && $0.selection[2].count == counts[1] }
        // Ranks among part of a category would overstate what random sampling reaches.
        guard members.count == category.combinations else {
            throw ToolError(
                "\(log): category (\(counts[0]), \(counts[1])) has \(members.count) of \(category.combinations) rows "
                    + "scored; --versus-random needs all of them")
        }
        let perEvaluation: Double
        if let secondsPerEvaluation {
            perEvaluation = secondsPerEvaluation
        } else {
            guard greedy.evaluations > 0, greedy.seconds > 0 else {
                throw ToolError(
                    "\(path): \(greedy.evaluations) evaluations in \(greedy.seconds) s give no time per evaluation; "
                        + "pass --seconds-per-evaluation")
            }
            perEvaluation = greedy.seconds / Double(greedy.evaluations)
        }
        let analysis: RandomVersusGreedy
        do {
            analysis = try RandomVersusGreedy(
                rows: members, base: base, greedy: selection, greedySeconds: greedy.seconds,
                secondsPerEvaluation: perEvaluation, trials: SelectionRunReport.VersusRandom.trials, seed: seed)
        } catch let error as NNError {
            throw ToolError("\(path): \(error)")
        }
        return .init(analysis, file: path, algorithm: greedy.algorithm, selection: selection, counts: counts)
    }

    /// The useful part of a decoding error, on one line.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            context.debugDescription
        default: error.localizedDescription
        }
    }
}

extension SelectionRunReport {
    /// Random sampling against greedy on greedy's category (spec §10.4): (a) the mean best rank within greedy's
    /// time, (b) the time needed to reach greedy's rank.
    struct VersusRandom: Encodable {
        /// Simulations behind `mean_best_rank` (the original's 1,000 repetitions).
        static let trials = 1000

        var greedy_file: String
        var greedy_algorithm: String
        var greedy_selection: SelectedNeurons
        var counts: [Int]
        var rows: Int
        var greedy_rank: Int
        var rows_at_least_as_good: Int
        var greedy_seconds: Double
        var seconds_per_evaluation: Double
        var evaluations_per_row: Int
        var draws_within_greedy_time: Int
        var trials: Int
        var seed: UInt64
        var mean_best_rank: Double?
        var expected_best_rank: Double?
        var expected_draws_to_greedy_rank: Double
        var seconds_to_greedy_rank: Double
        var seconds_to_greedy_rank_with_replacement: Double

        init(
            _ analysis: RandomVersusGreedy, file: String, algorithm: String, selection: SelectedNeurons, counts: [Int]
        ) {
            greedy_file = file
            greedy_algorithm = algorithm
            greedy_selection = selection
            self.counts = counts
            rows = analysis.rows
            greedy_rank = analysis.greedyRank
            rows_at_least_as_good = analysis.rowsAtLeastAsGood
            greedy_seconds = analysis.greedySeconds
            seconds_per_evaluation = analysis.secondsPerEvaluation
            evaluations_per_row = RandomVersusGreedy.evaluationsPerRow
            draws_within_greedy_time = analysis.drawsWithinGreedyTime
            trials = analysis.trials
            seed = analysis.seed
            mean_best_rank = analysis.meanBestRank
            expected_best_rank = analysis.expectedBestRank
            expected_draws_to_greedy_rank = analysis.expectedDrawsToGreedyRank
            seconds_to_greedy_rank = analysis.secondsToGreedyRank
            seconds_to_greedy_rank_with_replacement = analysis.secondsToGreedyRankWithReplacement
        }

        var text: String {
            let reached =
                mean_best_rank.map { mean in
                    String(
                        format: "best rank %.1f on average (exact %.2f; %d trials, seed %llu)", mean,
                        expected_best_rank ?? .nan, trials, seed)
                } ?? "no row at all"
            return "random vs \(greedy_algorithm) (\(counts[0]), \(counts[1])), \(rows) rows: \(greedy_algorithm) "
                + String(format: "rank %d in %.2f s; ", greedy_rank, greedy_seconds)
                + "random scores \(draws_within_greedy_time) rows in that time (\(evaluations_per_row) evaluations of "
                + String(format: "%.4g s each), ", seconds_per_evaluation) + reached + "; "
                + String(
                    format: "reaching rank ≤ %d takes %.2f draws, %.2f s (%.2f s drawing with replacement)",
                    greedy_rank, expected_draws_to_greedy_rank, seconds_to_greedy_rank,
                    seconds_to_greedy_rank_with_replacement)
        }
    }
}
