import Foundation
import NN
import TestSupport
import Testing

@testable import Tool

/// `privdnn recover`: argument checks and end-to-end runs on real MNIST.
@Suite(.serialized) struct RecoverCommandTests {
    static let mnist = RepositoryPaths.data.appendingPathComponent("mnist").path

    @Test func argumentsAreChecked() throws {
        let parsed = try RecoverCommand.parse(["--attack", "scratch", "--dataset", "MNIST", "--epochs", "3"])
        #expect(parsed.attack == .scratch && parsed.data.dataset == .mnist && parsed.epochs == 3 && parsed.seed == 0)
        let rejected: [[String]] = [
            ["--attack", "model", "--dataset", "mnist"],  // no model
            ["--attack", "model", "--dataset", "mnist", "--model", "m.safetensors"],  // no selection
            ["--attack", "scratch", "--dataset", "imagenet"],
            ["--attack", "scratch", "--dataset", "mnist", "--epochs", "0"],
            ["--attack", "input", "--dataset", "mnist", "--model", "m", "--sweep", "10,20"],
            ["--attack", "model", "--dataset", "mnist", "--model", "m", "--sweep", "10", "--selector", "best"],
            ["--attack", "steal", "--dataset", "mnist"],
            ["--attack", "regression", "--dataset", "mnist", "--model", "m", "--selection", "s", "--queries", "0"],
            ["--attack", "regression", "--dataset", "mnist", "--model", "m", "--selection", "s", "--probe", "noise"],
            ["--attack", "regression", "--dataset", "mnist", "--model", "m", "--selection", "s", "--defence", "x"],
            ["--attack", "regression", "--dataset", "mnist", "--model", "m", "--selection", "s", "--noise", "-1"],
        ]
        for arguments in rejected {
            #expect(throws: (any Error).self, "\(arguments)") { try RecoverCommand.parse(arguments) }
        }
    }

    @Test func scratchRunsEndToEnd() throws {
        let command = try RecoverCommand.parse([
            "--attack", "scratch", "--dataset", "mnist", "--data-dir", Self.mnist, "--samples", "200", "--epochs", "2",
            "--test-limit", "300", "--json",
        ])
        try command.run()
    }

    @Test func badModelAndSelectionFilesAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelFile = folder.appendingPathComponent("lenet5.safetensors")
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        let selectionFile = folder.appendingPathComponent("selection.json")
        try Safetensors(stateDict: Model(.lenet5MNIST, seed: 1).stateDict()).write(to: modelFile)
        try Data([1, 2, 3]).write(to: garbage)
        try Data(#"{"1": [0], "2": [16]}"#.utf8).write(to: selectionFile)
        func run(_ model: URL) throws {
            try RecoverCommand.parse([
                "--attack", "model", "--dataset", "mnist", "--data-dir", Self.mnist, "--model", model.path,
                "--selection", selectionFile.path, "--samples", "50", "--epochs", "1", "--test-limit", "100",
            ]).run()
        }
        let bad = try #require(throws: DataFileError.self) { try run(garbage) }
        #expect(bad.file == garbage.path && bad.problem.hasPrefix("truncated"))
        // conv2 has filters 0..<16: the selection file is named with the problem.
        let outOfRange = try #require(throws: DataFileError.self) { try run(modelFile) }
        #expect(outOfRange.file == selectionFile.path && outOfRange.problem.contains("16"))
    }

    @Test func regressionStealsTheGreedySelection() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let selectionFile = folder.appendingPathComponent("selection.json"),
            chart = folder.appendingPathComponent("r.svg")
        try Data(#"{"1": [0], "2": [15]}"#.utf8).write(to: selectionFile)
        let command = try RecoverCommand.parse([
            "--attack", "regression", "--dataset", "mnist", "--data-dir", Self.mnist, "--model",
            RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
            "--selection", selectionFile.path, "--queries", "8,32", "--defence", "none,naive", "--variants", "1",
            "--epochs", "1", "--samples", "300", "--test-limit", "300", "--plot", chart.path,
        ])
        let result = try command.regression(.lenet5MNIST)
        #expect(result.points.count == 4)
        let stolen = try #require(result.points.first { $0.defence == .none && $0.result.queries == 32 })
        #expect(stolen.result.weightError < 1e-2 && stolen.successes == 1)
        #expect(abs(stolen.result.recoveredAccuracy - result.separateAccuracy) <= 0.5)
        #expect(result.points.first { $0.result.queries == 8 }?.successes == 0)
        let svg = try String(contentsOf: chart, encoding: .utf8)
        #expect(svg.contains("Regression attack: accuracy") && svg.contains("capped at 10"))
        #expect(result.text.contains("A_s"))
    }
}
