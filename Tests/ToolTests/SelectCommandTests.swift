import Foundation
import NN
import TestSupport
import Testing

@testable import Tool

/// `privdnn select` end to end on real MNIST: a LeNet-5 trained briefly on real images, the first 300 images of
/// each half (`--limit`), files checked after each run.
@Suite(.serialized) struct SelectCommandTests {
    static let data = RepositoryPaths.data.appendingPathComponent("mnist").path

    /// A model file trained for one pass over 3,000 real MNIST images.
    static let modelFile: Result<String, any Error> = Result {
        let train = try Dataset.mnist.loadOfficial(train: true, root: URL(fileURLWithPath: data))
        let model = Model(.lenet5MNIST, seed: 3)
        let recipe = TrainingRecipe(optimizer: .adam, learningRate: 2e-3, momentum: 0, epochs: 1, batchSize: 64)
        _ = Trainer(model: model, recipe: recipe, seed: 4)
            .trainEpoch(0, images: train.tensor(0..<3000), labels: Array(train.intLabels[0..<3000]))
        let path = temporaryPath("lenet5.safetensors")
        try Safetensors(stateDict: model.stateDict()).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs `privdnn select` with the shared model and data, returning the report JSON.
    func select(_ arguments: [String]) throws -> [String: Any] {
        try SelectReports.run(
            ["--model", try Self.modelFile.get(), "--data-dir", Self.data, "--limit", "300"] + arguments)
    }

    func message(_ arguments: [String]) -> String {
        do {
            let command = try SelectCommand.parse(arguments)
            try command.run()
            return "no error"
        } catch {
            return SelectCommand.message(for: error)
        }
    }

    static func entry(_ report: [String: Any], _ index: Int = 0) throws -> [String: Any] {
        let entries = try #require(report["selections"] as? [[String: Any]])
        return try #require(entries.count > index ? entries[index] : nil)
    }

    @Test func greedyWritesTheSelectionAndAReport() throws {
        let out = temporaryPath("sel.json")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let report = try select(["--algorithm", "greedy", "--count", "1,1", "--out", out])
        // Spec §7.3: 6 + 32 evaluations (the closing test's are not counted).
        #expect(report["evaluations"] as? Int == 38)
        #expect(report["score_on"] as? String == "validate")
        let selection = try SelectedNeurons(contentsOf: URL(fileURLWithPath: out))
        #expect(selection[1].count == 1 && selection[2].count == 1)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text == "{\"1\": [\(selection[1][0])], \"2\": [\(selection[2][0])]}\n")

        // The test-half numbers are the closing test of that selection on the first 300 test images.
        let model = Model(.lenet5MNIST)
        try model.load(
            try Safetensors(contentsOf: URL(fileURLWithPath: try Self.modelFile.get())).floatTensors(file: ""))
        let test = try Dataset.mnist.load(.test, root: URL(fileURLWithPath: Self.data)).subset(Array(0..<300))
        let evaluator = try ModelSelectionEvaluator(model: model, images: test.tensor(), labels: test.intLabels)
        let closing = try ClosingTest(selection: selection, evaluator: evaluator, base: 99.36)
        let summary = try #require(try Self.entry(report)["test"] as? [String: Any])
        #expect(summary["accuracy_o"] as? Double == closing.original.roundedAccuracy)
        #expect(summary["images"] as? Int == 300)
        let separate = try #require(summary["accuracy_s"] as? Double)
        #expect(abs(separate - closing.separate.roundedAccuracy) <= 0.34)  // at most one image of 300 flips
        let score = try #require(summary["score"] as? Double)
        #expect(abs(score - closing.point) < 0.05)
        let perLabel = try #require(summary["per_label"] as? [String: Any])
        #expect((perLabel["original"] as? [Any])?.count == 10)

        // --score-on test scores on the reported half: no separate scoring block.
        let onTest = try select(["--algorithm", "greedy", "--count", "1,1", "--score-on", "test"])
        #expect(try Self.entry(onTest)["scoring"] == nil)
        #expect(try Self.entry(report)["scoring"] != nil)
    }

    @Test func pruningRandomAndPruningGreedy() throws {
        let model = Model(.lenet5MNIST)
        try model.load(
            try Safetensors(contentsOf: URL(fileURLWithPath: try Self.modelFile.get())).floatTensors(file: ""))
        let conv2 = model.conv2.weight.value.data
        let filters = (0..<16).map { Array(conv2[($0 * 150)..<(($0 + 1) * 150)]) }

        let pruning = try select(["--algorithm", "pruning", "--percent", "25", "--norm", "fpgm"])
        #expect(pruning["evaluations"] as? Int == 0)
        let pruned = try #require(try Self.entry(pruning)["selection"] as? [String: [Int]])
        #expect(pruned["2"] == (try PruningCriterion.fpgm.strongest(4, of: filters)))
        #expect(pruned["1"]?.count == 1)  // max(1, ⌊6 · 25 / 100⌋)

        let random = try select([
            "--algorithm", "random", "--count", "1,2", "--budget-evaluations", "11", "--seed", "5",
        ])
        #expect(random["evaluations"] as? Int == 10)  // whole selections only: 5 of 2 evaluations
        let drawn = try #require(try Self.entry(random)["selection"] as? [String: [Int]])
        #expect(drawn["1"]?.count == 1 && drawn["2"]?.count == 2)

        // §7.5: MNIST (1,1) pruning + greedy costs 2 + 4 evaluations before the closing test.
        let mixed = try select(["--algorithm", "pruning-greedy", "--count", "1,1"])
        #expect(mixed["evaluations"] as? Int == 6)
    }

    @Test func exhaustiveShardsResumeAndPlot() throws {
        let log = temporaryPath("rows.jsonl"), plots = temporaryPath("plots"), out = temporaryPath("best.json")
        defer {
            for path in [log, plots, out] { try? FileManager.default.removeItem(atPath: path) }
        }
        let arguments = ["--algorithm", "exhaustive", "--count", "1,1", "--log", log, "--plot-dir", plots]
        let first = try select(arguments + ["--shard", "1/2", "--out", out])
        // Category (1, 1) has 6 · 16 = 96 selections; shard 1 of 2 holds rows 48..<96.
        #expect(first["rows"] as? Int == 48)
        #expect(first["evaluations"] as? Int == 96)
        let rows = try ExhaustiveLog.read(URL(fileURLWithPath: log))
        #expect(rows.map(\.index) == Array(48..<96))
        #expect(Set(rows.map { $0.selection[1] }) == [[3], [4], [5]])
        // The best row by point is the one written.
        let best = try #require(rows.max { $0.accuracies.point(base: 99.36) < $1.accuracies.point(base: 99.36) })
        let written = try SelectedNeurons(contentsOf: URL(fileURLWithPath: out))
        #expect(
            best.accuracies.point(base: 99.36) == rows.first { $0.selection == written }?.accuracies.point(base: 99.36))
        for name in ["accuracy_rank_1_1.svg", "distribution_1_1.svg"] {
            let svg = try String(contentsOfFile: plots + "/" + name, encoding: .utf8)
            #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        }
        // A second run resumes: nothing left to score.
        let elsewhere = temporaryPath("elsewhere.json")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try Data("{\"1\": [0], \"2\": [0]}".utf8).write(to: URL(fileURLWithPath: elsewhere))
        let again = try select(arguments + ["--shard", "1/2", "--rank", out, "--rank", elsewhere])
        #expect(again["evaluations"] as? Int == 0)
        // --rank: the written best is first of its 48 scored rows; row 0 belongs to the other shard.
        let ranks = try #require(again["ranks"] as? [[String: Any]])
        #expect(ranks.count == 2)
        #expect(ranks[0]["rank"] as? Int == 1 && ranks[0]["of"] as? Int == 48)
        #expect(ranks[1]["rank"] == nil && ranks[1]["file"] as? String == elsewhere)
        #expect(again["rows"] as? Int == 48)
        // The same log for another shard or category is refused instead of resuming at a wrong row.
        let common = ["--model", try Self.modelFile.get(), "--data-dir", Self.data, "--limit", "50"]
        for other in [["--shard", "0/2", "--count", "1,1"], ["--shard", "1/2", "--count", "1,2"]] {
            let text = message(common + ["--algorithm", "exhaustive", "--log", log] + other)
            #expect(text.contains(log) && text.contains("not from this run"), "\(other)")
        }
    }

    @Test func amendWritesTheNestedSeries() throws {
        let folder = temporaryPath("series"), plots = temporaryPath("series-plots")
        defer {
            for path in [folder, plots] { try? FileManager.default.removeItem(atPath: path) }
        }
        let report = try select([
            "--algorithm", "greedy", "--amend", "--percent", "20,40", "--out", folder, "--plot-dir", plots,
        ])
        let small = try SelectedNeurons(contentsOf: URL(fileURLWithPath: folder + "/selected_neurons_20%.json"))
        let large = try SelectedNeurons(contentsOf: URL(fileURLWithPath: folder + "/selected_neurons_40%.json"))
        #expect(small[1].count == 1 && small[2].count == 3)
        #expect(large[1].count == 2 && large[2].count == 6)
        #expect(Set(small[1]).isSubset(of: large[1]) && Set(small[2]).isSubset(of: large[2]))
        #expect((report["selections"] as? [Any])?.count == 2)
        // 20 %: (1, 3) from scratch = 6 + 2·(16 + 15 + 14); 40 %: (2, 6) continues = 5 + 2·(13 + 12 + 11).
        #expect(report["evaluations"] as? Int == 96 + 77)
        #expect(try SelectCommand.amendEvaluations(percents: [20, 40], layerSizes: [6, 16]) == 173)
        // The 50…100 % series (a full conv1 at 100 % fills conv2 without evaluation).
        #expect(
            try SelectCommand.amendEvaluations(
                percents: Array(stride(from: 50, through: 100, by: 5)), layerSizes: [6, 16]) == 291)
        #expect(FileManager.default.fileExists(atPath: plots + "/accuracy_vs_encrypted.svg"))
    }

    @Test func badInputGivesOneClearLine() throws {
        let model = try Self.modelFile.get()
        let common = ["--data-dir", Self.data, "--limit", "50"]
        let missing = message(
            ["--algorithm", "greedy", "--count", "1,1", "--model", "/nonexistent/m.safetensors"] + common)
        #expect(missing.contains("/nonexistent/m.safetensors") && missing.contains("no such model file"))

        let garbage = temporaryPath("garbage.safetensors")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(message(["--algorithm", "greedy", "--count", "1,1", "--model", garbage] + common).contains(garbage))

        // An EMNIST-shaped request against the MNIST model names the tensor that does not fit.
        let wrong = message(["--algorithm", "greedy", "--count", "1,1", "--model", model, "--dataset", "emnist"])
        #expect(wrong.contains(model) && wrong.contains("conv1"))

        #expect(
            message(["--algorithm", "greedy", "--count", "7,1", "--model", model] + common).contains("layer 1 has 6"))
        #expect(message(["--algorithm", "greedy", "--count", "1,x", "--model", model] + common).contains("'x'"))
        #expect(message(["--algorithm", "greedy", "--model", model] + common).contains("--count"))
        #expect(
            message(["--algorithm", "greedy", "--count", "1", "--percent", "5", "--model", model]).contains("not both"))
        #expect(
            message(["--algorithm", "exhaustive", "--count", "1,1", "--shard", "2/2", "--model", model] + common)
                .contains("--shard"))
        #expect(message(["--algorithm", "bogus", "--count", "1,1", "--model", model]).contains("bogus"))
        #expect(
            message(["--algorithm", "greedy", "--count", "1,1", "--model", model, "--data-dir", "/nonexistent"])
                .contains("/nonexistent"))
        for text in [missing, wrong] { #expect(!text.contains("\n")) }
    }

    @Test func selectionFilesAreCheckedAgainstTheModel() throws {
        let bad = temporaryPath("bad.json"), wide = temporaryPath("wide.json")
        defer {
            for path in [bad, wide] { try? FileManager.default.removeItem(atPath: path) }
        }
        try Data("{\"1\": [4,".utf8).write(to: URL(fileURLWithPath: bad))
        try Data("{\"1\": [4], \"2\": [16]}".utf8).write(to: URL(fileURLWithPath: wide))
        func error(_ path: String) -> String {
            do {
                _ = try SelectionInputs.selection(path, layerSizes: [6, 16])
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(error(bad).contains(bad) && error(bad).contains("not a selection file"))
        #expect(error(wide).contains(wide) && error(wide).contains("filter 16 outside 0..<16"))
        #expect(error("/nonexistent/sel.json").contains("/nonexistent/sel.json"))
    }

    @Test func testCommandReportsAStoredSelection() throws {
        let model = try Self.modelFile.get()
        let selection = temporaryPath("stored.json"), bad = temporaryPath("bad.json"), wide = temporaryPath("wide.json")
        defer {
            for path in [selection, bad, wide] { try? FileManager.default.removeItem(atPath: path) }
        }
        try Data("{\"1\": [4], \"2\": [8, 11]}".utf8).write(to: URL(fileURLWithPath: selection))
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: bad))
        try Data("{\"1\": [6]}".utf8).write(to: URL(fileURLWithPath: wide))
        func run(_ file: String, _ extra: [String] = []) throws -> String {
            let command = try TestCommand.parse(
                ["--dataset", "mnist", "--model", model, "--data-dir", Self.data, "--selection", file, "--json"] + extra
            )
            return try command.selectionOptions.report(command, selection: file)
        }
        let text = try run(selection)
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])

        // The same numbers from the library on the whole test half (5,000 images).
        let network = Model(.lenet5MNIST)
        try network.load(try Safetensors(contentsOf: URL(fileURLWithPath: model)).floatTensors(file: model))
        let test = try Dataset.mnist.load(.test, root: URL(fileURLWithPath: Self.data))
        let evaluator = try ModelSelectionEvaluator(model: network, images: test.tensor(), labels: test.intLabels)
        let expected = try evaluator.accuracies(try SelectedNeurons([1: [4], 2: [8, 11]]), includingOriginal: true)
        #expect(object["accuracy_o"] as? Double == expected.original)
        #expect(abs((object["accuracy_s"] as? Double ?? -1) - expected.separate) <= 0.02)
        #expect(abs((object["accuracy_r"] as? Double ?? -1) - expected.remove) <= 0.02)
        #expect(abs((object["score"] as? Double ?? -9) - expected.point(base: 99.36)) < 0.01)
        #expect(object["images"] as? Int == 5000)
        #expect(try run(selection, ["--base", "80"]).contains("\"base\":80"))

        func failure(_ file: String) -> String {
            do {
                return try run(file)
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(bad).contains(bad) && failure(bad).contains("not a selection file"))
        #expect(failure(wide).contains(wide) && failure(wide).contains("filter 6 outside 0..<6"))
        #expect(failure("/nonexistent/s.json").contains("/nonexistent/s.json"))
        let noModel = try TestCommand.parse(
            ["--dataset", "mnist", "--model", "/nonexistent/m.safetensors", "--selection", selection])
        #expect(throws: ToolError.self) { try noModel.selectionOptions.report(noModel, selection: selection) }
    }
}
