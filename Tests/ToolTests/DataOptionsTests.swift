import Foundation
import NN
import TestSupport
import Testing

@testable import Tool

/// The shared data options (`--dataset`, `--data-dir`, `--model`) of every command, run through the real binary on
/// a small copy of real MNIST, and the snake_case keys of what each command prints with `--json`.
@Suite(.serialized) struct DataOptionsTests {
    static let committedModel = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path

    /// Each command's outcome, by name.
    struct Runs {
        var outcomes: [(name: String, arguments: [String], outcome: ChildProcess.Outcome)]

        func outcome(_ name: String) throws -> ChildProcess.Outcome {
            try #require(outcomes.first { $0.name == name }?.outcome, "no run named \(name)")
        }
    }

    /// Every command that reads a data set, run once each with `--data-dir` and `--json` for both tests below.
    ///
    /// The folder is a raw-IDX copy of the first 64 training and 200 official test images of data/mnist (validate
    /// and test halves of 100); it and the runs' files are removed once all have run.
    static let runs = Result { () throws -> Runs in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("data-options-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = try NNCommandTests().smallMNIST(train: 64, test: 200)
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: copy)
        }
        let data = copy.path
        let selection = folder.appendingPathComponent("sel.json").path
        try Data(#"{"1": [0], "2": [15]}"#.utf8).write(to: URL(fileURLWithPath: selection))
        let model = committedModel
        let commands: [(String, [String])] = [
            (
                "train",
                [
                    "train", "--dataset", "mnist", "--data-dir", data, "--epochs", "1", "--batch-size", "32", "--out",
                    folder.appendingPathComponent("small.safetensors").path, "--json",
                ]
            ),
            ("test", ["test", "--dataset", "mnist", "--model", model, "--data-dir", data, "--json"]),
            ("test --selection", ["test", "--model", model, "--data-dir", data, "--selection", selection, "--json"]),
            (
                "select",
                ["select", "--algorithm", "greedy", "--count", "1,1", "--model", model, "--data-dir", data, "--json"]
            ),
            (
                "recover scratch",
                [
                    "recover", "--attack", "scratch", "--dataset", "mnist", "--data-dir", data, "--samples", "20",
                    "--epochs", "1", "--test-limit", "50", "--json",
                ]
            ),
            (
                "recover model",
                [
                    "recover", "--attack", "model", "--model", model, "--selection", selection, "--data-dir", data,
                    "--samples", "20", "--epochs", "1", "--test-limit", "50", "--json",
                ]
            ),
            (
                "inference",
                [
                    "inference", "--dataset", "mnist", "--model", model, "--data-dir", data, "--share", "20", "--limit",
                    "2", "--json",
                ]
            ),
            (
                "demo",
                [
                    "demo", "--data-dir", data, "--limit", "2", "--full-baseline", "none", "--data-encrypted", "none",
                    "--one-image", "none", "--svg", folder.appendingPathComponent("demo.svg").path, "--json",
                ]
            ),
        ]
        let outcomes = try commands.map { name, arguments in
            (name, arguments, try ChildProcess.run(arguments, in: folder))
        }
        return Runs(outcomes: outcomes)
    }

    /// Each command reads the folder `--data-dir` names: on the 200-image copy the test half has 100 images (the
    /// real one has 5,000), and a folder that does not exist is named in a one-line error.
    @Test func everyCommandReadsTheDataDir() throws {
        let runs = try Self.runs.get()
        for run in runs.outcomes {
            #expect(run.outcome.exitCode == 0, "\(run.name): \(run.outcome.stderr)")
        }
        func object(_ name: String) throws -> [String: Any] {
            let text = try runs.outcome(name).stdout
            return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(name)")
        }
        #expect(try object("test")["samples"] as? Int == 100)
        #expect(try object("test --selection")["images"] as? Int == 100)
        let selections = try #require(try object("select")["selections"] as? [[String: Any]])
        #expect((selections.first?["test"] as? [String: Any])?["images"] as? Int == 100)
        #expect((try object("train")["history"] as? [Any])?.count == 1)
        #expect(((try object("recover scratch")["result"] as? [String: Any])?["samples"] as? Int) == 20)
        #expect(try object("inference")["images"] as? Int == 2)
        #expect(try object("demo")["images"] as? Int == 2)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("data-options-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no-such-folder").path
        let selection = folder.appendingPathComponent("sel.json").path
        try Data(#"{"1": [0], "2": [15]}"#.utf8).write(to: URL(fileURLWithPath: selection))
        for run in runs.outcomes {
            var arguments = run.arguments
            let index = try #require(arguments.firstIndex(of: "--data-dir"))
            arguments[index + 1] = missing
            if let given = arguments.firstIndex(of: "--selection") { arguments[given + 1] = selection }
            let failed = try ChildProcess.run(arguments, in: folder)
            #expect(failed.exitCode != 0, "\(run.name) ran without its data folder")
            #expect(
                failed.stderr.contains(missing) && failed.stderr.split(separator: "\n").count == 1,
                "\(run.name): \(failed.stderr)")
        }
    }

    /// The old spellings `--data` (inference, demo) and `--data-root` (recover) are refused by every command with
    /// the new name, and an unknown data set is refused with the list of the known ones.
    @Test func oldSpellingsAndUnknownDataSetsAreRefused() throws {
        let commands: [[String]] = [
            ["train"], ["test", "--model", "m"], ["select", "--algorithm", "greedy", "--count", "1,1", "--model", "m"],
            ["recover", "--attack", "scratch"], ["inference", "--model", "m", "--share", "20"], ["demo"],
        ]
        for command in commands {
            #expect(throws: Never.self, "\(command)") { try PrivDNNCommand.parseAsRoot(command + ["--data-dir", "d"]) }
            for old in ["--data", "--data-root"] {
                do {
                    _ = try PrivDNNCommand.parseAsRoot(command + [old, "d"])
                    Issue.record("\(command) accepted \(old)")
                } catch {
                    #expect(
                        PrivDNNCommand.message(for: error) == "--data and --data-root are now --data-dir", "\(command)")
                }
            }
            do {
                _ = try PrivDNNCommand.parseAsRoot(command + ["--dataset", "svhn"])
                Issue.record("\(command) accepted --dataset svhn")
            } catch {
                let message = PrivDNNCommand.message(for: error)
                #expect(message.contains("svhn") && !message.contains("\n"), "\(message)")
                for known in Dataset.allCases { #expect(message.contains(known.rawValue), "\(message)") }
            }
        }
        #expect(throws: (any Error).self) { try PrivDNNCommand.parseAsRoot(["owner", "package", "--data", "d"]) }
        // The binary says so on standard error and fails.
        let folder = FileManager.default.temporaryDirectory
        let run = try ChildProcess.run(["inference", "--data", "d", "--model", "m", "--share", "20"], in: folder)
        #expect(run.exitCode != 0, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: --data and --data-root are now --data-dir\n"), "\(run.stderr)")
        // Demo runs LeNet-5 on MNIST only.
        #expect(throws: (any Error).self) { try PrivDNNCommand.parseAsRoot(["demo", "--dataset", "cifar10"]) }
    }

    /// Every key of every command's `--json` output above is snake_case, and the renamed camelCase fields appear in
    /// their snake_case form; the contract keys of the issues are present where they belong.
    @Test func everyJSONOutputUsesSnakeCaseKeys() throws {
        let runs = try Self.runs.get()
        for run in runs.outcomes where run.outcome.exitCode == 0 {
            try JSONKeyConvention.expectSnakeCase(run.outcome.stdout, run.name)
        }
        func keys(_ name: String) throws -> Set<String> { try JSONKeyConvention.keys(try runs.outcome(name).stdout) }
        #expect(try keys("train").isSuperset(of: ["learning_rate", "batch_size", "kept_epoch", "train_accuracy"]))
        #expect(try keys("test").isSuperset(of: ["top_k", "per_label", "accuracy"]))
        #expect(try keys("test --selection").isSuperset(of: ["accuracy_o", "accuracy_s", "accuracy_r", "per_label"]))
        #expect(try keys("recover scratch").isSuperset(of: ["final_loss", "accuracy"]))
        #expect(try keys("recover model").isSuperset(of: ["original_accuracy", "recovered_accuracy"]))
        let contract: Set = [
            "images", "agreement", "seconds_total", "peak_rss_bytes", "request_bytes", "seconds_package",
            "seconds_exchange",
        ]
        #expect(try keys("inference").isSuperset(of: contract))
        #expect(try keys("demo").isSuperset(of: contract))
    }
}
