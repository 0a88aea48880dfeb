import Foundation
import NN

/// What `select` prints and writes with `--report`.
struct SelectionRunReport: Encodable {
    /// `--algorithm`.
    var algorithm: String
    /// `--dataset`.
    var dataset: String
    /// The model file (`--model`).
    var model: String
    /// The half the selection was scored on (`--score-on`).
    var score_on: String
    /// A_base of the score, in percent.
    var base: Double
    /// Evaluations the selection itself used (the closing tests come on top).
    var evaluations: Int
    /// Wall time of the whole command.
    var seconds: Double
    /// The selections made (one; the amend series' several; exhaustive's best with `--count`).
    var selections: [Entry] = []
    /// Exhaustive: each category's best and worst scored rows.
    var categories: [Category] = []
    /// Exhaustive: where the `--rank` selections stand in their category (spec §10.2, `analyze_ranking.py`).
    var ranks: [Rank] = []
    /// Exhaustive: the log of scored rows.
    var log: String?
    /// Exhaustive: the shard run, `i/n`.
    var shard: String?
    /// Exhaustive: the rows of the shard the log holds.
    var rows: Int?
    /// `--norm hrank`: the feature-map ranks the selection was made from.
    var hrank: HRankRanks?
    /// Exhaustive `--versus-random`: random sampling against greedy (spec §10.4).
    var versus_random: VersusRandom?

    /// One selection and its closing test.
    struct Entry: Encodable {
        /// The selected filters.
        var selection: SelectedNeurons
        /// Filters selected per layer.
        var counts: [Int]
        /// Amend: the percentage of the series this selection is.
        var percent: Int?
        /// Evaluations spent on it.
        var evaluations: Int
        /// A_s, A_r and score on the scoring half when it is not the test half.
        var scoring: Scored?
        /// The closing test on the test half.
        var test: ClosingSummary
    }

    /// A selection's accuracies on the scoring half.
    struct Scored: Encodable {
        /// A_s: the deployed model ("separate"), in percent.
        var accuracy_s: Double
        /// A_r: the thief's view (encrypted filters zeroed), in percent.
        var accuracy_r: Double
        /// The selection's point from A_s, A_r and A_base (``SelectionScore``).
        var score: Double
    }

    /// Exhaustive: one size category's best and worst selections.
    struct Category: Encodable {
        /// Filters per layer, (i, j).
        var counts: [Int]
        /// Selections in the category.
        var combinations: Int
        /// Selections of it the log holds.
        var scored: Int
        /// The scored row with the highest point.
        var best: Row
        /// The scored row with the lowest point.
        var worst: Row
    }

    /// One `--rank` file: 1-based rank by point among the scored rows of its category (`nil` if not scored).
    struct Rank: Encodable {
        /// The `--rank` file.
        var file: String
        /// The selection it holds.
        var selection: SelectedNeurons
        /// Its rank by point, `nil` when the log does not hold it.
        var rank: Int?
        /// Scored rows of its category.
        var of: Int
        /// Its logged row.
        var row: Row?
    }

    /// One logged exhaustive row with its score.
    struct Row: Encodable {
        /// Position in the enumeration.
        var index: Int
        /// The selection.
        var selection: SelectedNeurons
        /// A_s in percent.
        var accuracy_s: Double
        /// A_r in percent.
        var accuracy_r: Double
        /// The point against `base`.
        var score: Double

        /// `row` scored against A_base `base`.
        init(_ row: ExhaustiveSearch.Row, base: Double) {
            index = row.index
            selection = row.selection
            accuracy_s = row.accuracies.separate
            accuracy_r = row.accuracies.remove
            score = row.accuracies.point(base: base)
        }
    }

    /// A few lines for a terminal.
    var text: String {
        var lines = [
            "\(algorithm) on \(dataset) (scored on the \(score_on) half): \(evaluations) evaluations, "
                + String(format: "%.1f s", seconds)
        ]
        for entry in selections {
            lines.append("selection \(entry.selection)" + (entry.percent.map { " (\($0)%)" } ?? ""))
            if let scored = entry.scoring {
                lines.append(
                    String(
                        format: "%@ half: A_s %.2f%%  A_r %.2f%%  score %.4f", score_on, scored.accuracy_s,
                        scored.accuracy_r, scored.score))
            }
            lines.append(entry.test.text)
        }
        for category in categories {
            lines.append(
                "(\(category.counts[0]), \(category.counts[1])): \(category.scored)/\(category.combinations) scored; best "
                    + "\(category.best.selection) A_s \(category.best.accuracy_s) A_r \(category.best.accuracy_r); worst "
                    + "\(category.worst.selection) A_s \(category.worst.accuracy_s) A_r \(category.worst.accuracy_r)")
        }
        for entry in ranks {
            lines.append(
                "\(entry.file) \(entry.selection): "
                    + (entry.rank.map { "rank \($0) of \(entry.of)" } ?? "not among the \(entry.of) scored rows"))
        }
        if let hrank { lines.append(hrank.text) }
        if let versus_random { lines.append(versus_random.text) }
        if let log { lines.append("rows logged in \(log)") }
        return lines.joined(separator: "\n")
    }
}
