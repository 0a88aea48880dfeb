import Foundation
import Testing

@testable import NN
@testable import Tool

/// `privdnn select --algorithm exhaustive --versus-random`: a synthetic MNIST (1, 1) log with known ranks checked
/// against hand computations, a real exhaustive run against a real greedy run, and the one-line errors.
@Suite(.serialized) struct SelectVersusRandomTests {
    static let model = SelectReports.committedModel
    static let data = SelectReports.mnist

    /// Runs `select` in process with the committed model and returns the report JSON.
    func select(_ arguments: [String]) throws -> [String: Any] {
        try SelectReports.run(["--model", Self.model, "--data-dir", Self.data, "--limit", "300"] + arguments)
    }

    /// Removes a test's temporary files.
    func clean(_ paths: [String]) {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    func message(_ arguments: [String]) -> String {
        do {
            try SelectCommand.parse(["--model", Self.model, "--data-dir", Self.data, "--limit", "50"] + arguments).run()
            return "no error"
        } catch {
            return SelectCommand.message(for: error)
        }
    }

    /// The 96 rows of MNIST (1, 1) in enumeration order, row i with A_s 99 and A_r 10 + i/10: rank i + 1.
    func writeSyntheticLog(_ log: String, rows: Range<Int> = 0..<96) throws -> [SelectedNeurons] {
        let category = try ExhaustiveGrid.mnist.category(layer1Count: 1, layer2Count: 1)
        let selections = Array(ExhaustiveGrid.mnist.selections(in: category))
        let entries = rows.map { i in
            ExhaustiveSearch.Row(
                index: i, selection: selections[i],
                accuracies: SelectionAccuracies(separate: 99, remove: 10 + Double(i) / 10))
        }
        try ExhaustiveLog.append(entries, to: URL(fileURLWithPath: log))
        return selections
    }

    func writeGreedyReport(_ file: String, selection: SelectedNeurons, evaluations: Int, seconds: Double) throws {
        let json =
            "{\"algorithm\": \"greedy\", \"evaluations\": \(evaluations), \"seconds\": \(seconds), "
            + "\"selections\": [{\"selection\": \(selection.jsonString), \"counts\": [1, 1]}]}"
        try Data(json.utf8).write(to: URL(fileURLWithPath: file))
    }

    @Test func syntheticLogAgainstHandComputation() throws {
        let log = temporaryPath("rows.jsonl"), greedy = temporaryPath("greedy.json")
        defer { clean([log, greedy]) }
        let selections = try writeSyntheticLog(log)
        // Greedy found the fifth best row (m = 5) in 22 s with 38 evaluations.
        try writeGreedyReport(greedy, selection: selections[4], evaluations: 38, seconds: 22)
        let arguments = ["--algorithm", "exhaustive", "--count", "1,1", "--log", log, "--versus-random", greedy]

        // Default time per evaluation: greedy's own, 22/38 s, so random gets greedy's 38 evaluations: k = 19 rows.
        let report = try select(arguments + ["--seed", "4"])
        #expect(report["evaluations"] as? Int == 0)
        let versus = try #require(report["versus_random"] as? [String: Any])
        #expect(versus["rows"] as? Int == 96 && versus["greedy_rank"] as? Int == 5)
        #expect(versus["rows_at_least_as_good"] as? Int == 5 && versus["draws_within_greedy_time"] as? Int == 19)
        #expect(versus["trials"] as? Int == 1000 && versus["seed"] as? Int == 4)
        // (a) E[best rank of 19 distinct draws among ranks 1…96] = 97/20; the simulation's standard error ≈ 0.15.
        let exact = try #require(versus["expected_best_rank"] as? Double)
        #expect(abs(exact - 97.0 / 20) < 1e-9)
        let mean = try #require(versus["mean_best_rank"] as? Double)
        #expect(abs(mean - exact) < 0.6, "\(mean)")
        // (b) 97/6 draws of two evaluations of 22/38 s; with replacement 96/5 draws.
        #expect(abs((versus["expected_draws_to_greedy_rank"] as? Double ?? 0) - 97.0 / 6) < 1e-9)
        #expect(abs((versus["seconds_to_greedy_rank"] as? Double ?? 0) - 97.0 / 6 * 2 * 22 / 38) < 1e-9)
        #expect(
            abs((versus["seconds_to_greedy_rank_with_replacement"] as? Double ?? 0) - 96.0 / 5 * 2 * 22 / 38) < 1e-9)

        // The original's 2 s per trial: k = 11, 97/12; (b) 97/6 · 2 s.
        let fixed = try select(arguments + ["--seconds-per-evaluation", "1"])
        let timed = try #require(fixed["versus_random"] as? [String: Any])
        #expect(timed["draws_within_greedy_time"] as? Int == 11)
        #expect(abs((timed["expected_best_rank"] as? Double ?? 0) - 97.0 / 12) < 1e-9)
        #expect(abs((timed["seconds_to_greedy_rank"] as? Double ?? 0) - 97.0 / 3) < 1e-9)

        // The text report says it on one line.
        let analysis = try RandomVersusGreedy(
            rows: try ExhaustiveLog.read(URL(fileURLWithPath: log)), base: 99.36, greedy: selections[4],
            greedySeconds: 22, secondsPerEvaluation: 1)
        let line = SelectionRunReport.VersusRandom(
            analysis, file: greedy, algorithm: "greedy", selection: selections[4], counts: [1, 1]
        ).text
        #expect(!line.contains("\n") && line.contains("96 rows") && line.contains("rank 5 in 22.00 s"))
        #expect(line.contains("random scores 11 rows") && line.contains("exact 8.08") && line.contains("32.33 s"))
    }

    @Test func realExhaustiveRunAgainstRealGreedy() throws {
        let log = temporaryPath("rows.jsonl"), greedyReport = temporaryPath("greedy.json"),
            greedyOut = temporaryPath("greedy-sel.json")
        defer { clean([log, greedyReport, greedyOut]) }
        // Greedy's report as `select --report` writes it.
        let command = try SelectCommand.parse([
            "--model", Self.model, "--data-dir", Self.data, "--limit", "300", "--algorithm", "greedy", "--count", "1,1",
            "--report", greedyReport, "--out", greedyOut,
        ])
        try command.run()
        let report = try select([
            "--algorithm", "exhaustive", "--count", "1,1", "--log", log, "--rank", greedyOut, "--versus-random",
            greedyReport,
        ])
        #expect(report["rows"] as? Int == 96)
        let ranks = try #require(report["ranks"] as? [[String: Any]])
        let versus = try #require(report["versus_random"] as? [String: Any])
        // The rank matches --rank's, and by default random sampling gets greedy's 38 evaluations: 19 rows.
        #expect(versus["greedy_rank"] as? Int == ranks.first?["rank"] as? Int)
        #expect(versus["draws_within_greedy_time"] as? Int == 19)
        let good = try #require(versus["rows_at_least_as_good"] as? Int)
        #expect(abs((versus["expected_draws_to_greedy_rank"] as? Double ?? 0) - 97 / Double(good + 1)) < 1e-9)
        let mean = try #require(versus["mean_best_rank"] as? Double)
        let exact = try #require(versus["expected_best_rank"] as? Double)
        #expect(mean >= 1 && exact >= 1 && abs(mean - exact) < 0.1 * exact + 0.5)
    }

    @Test func badInputGivesOneClearLine() throws {
        let log = temporaryPath("half.jsonl"), greedy = temporaryPath("greedy.json"),
            garbage = temporaryPath("garbage.json")
        let other = temporaryPath("other.json"), pruning = temporaryPath("pruning.json"),
            full = temporaryPath("full.jsonl")
        defer { clean([log, greedy, garbage, other, pruning, full]) }
        let selections = try writeSyntheticLog(log, rows: 0..<48)
        try writeGreedyReport(greedy, selection: selections[0], evaluations: 38, seconds: 22)
        try Data("{\"algorithm\": \"greedy\"}".utf8).write(to: URL(fileURLWithPath: garbage))
        let exhaustive = ["--algorithm", "exhaustive", "--count", "1,1", "--log", log, "--shard", "0/2"]

        // Half the category scored: the ranks would mean something else.
        let partial = message(exhaustive + ["--versus-random", greedy])
        #expect(partial.contains(log) && partial.contains("48 of 96 rows"), "\(partial)")
        let broken = message(exhaustive + ["--versus-random", garbage])
        #expect(broken.contains(garbage) && broken.contains("not a select --report file"), "\(broken)")
        let missing = temporaryPath("absent.json")
        let absent = message(exhaustive + ["--versus-random", missing])
        #expect(absent.contains(missing) && absent.contains("no such report file"))
        // Greedy's selection must be of this run's category.
        try writeGreedyReport(other, selection: try SelectedNeurons([1: [0], 2: [1, 2]]), evaluations: 10, seconds: 1)
        #expect(message(exhaustive + ["--versus-random", other]).contains("not a category of this run"))
        // A report without evaluations gives no time per evaluation unless one is passed.
        try writeGreedyReport(pruning, selection: selections[0], evaluations: 0, seconds: 0.1)
        _ = try writeSyntheticLog(full)
        let all = ["--algorithm", "exhaustive", "--count", "1,1", "--log", full]
        #expect(message(all + ["--versus-random", pruning]).contains("--seconds-per-evaluation"))
        #expect(message(["--algorithm", "greedy", "--count", "1,1", "--versus-random", greedy]).contains("exhaustive"))
        #expect(message(all + ["--seconds-per-evaluation", "1"]).contains("needs --versus-random"))
        #expect(message(all + ["--versus-random", greedy, "--seconds-per-evaluation", "0"]).contains("positive"))
        for text in [partial, broken, absent] { #expect(!text.contains("\n")) }
    }
}
