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
        #expect(parsed.attack == .scratch && parsed.dataset == .mnist && parsed.epochs == 3 && parsed.seed == 0)
        let rejected: [[String]] = [
            ["--attack", "model", "--dataset", "mnist"],  // no model
            ["--attack", "model", "--dataset", "mnist", "--model", "m.safetensors"],  // no selection
            ["--attack", "scratch", "--dataset", "imagenet"],
            ["--attack", "scratch", "--dataset", "mnist", "--epochs", "0"],
            ["--attack", "input", "--dataset", "mnist", "--model", "m", "--sweep", "10,20"],
            ["--attack", "model", "--dataset", "mnist", "--model", "m", "--sweep", "10", "--selector", "best"],
            ["--attack", "steal", "--dataset", "mnist"],
        ]
        for arguments in rejected {
            #expect(throws: (any Error).self, "\(arguments)") { try RecoverCommand.parse(arguments) }
        }
    }

    @Test func scratchRunsEndToEnd() throws {
        let command = try RecoverCommand.parse([
            "--attack", "scratch", "--dataset", "mnist", "--data-root", Self.mnist, "--samples", "200", "--epochs", "2",
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
                "--attack", "model", "--dataset", "mnist", "--data-root", Self.mnist, "--model", model.path,
                "--selection", selectionFile.path, "--samples", "50", "--epochs", "1", "--test-limit", "100",
            ]).run()
        }
        let bad = try #require(throws: CommandError.self) { try run(garbage) }
        #expect(bad.description.hasPrefix(garbage.path))
        // conv2 has filters 0..<16: the selection file is named with the problem.
        let outOfRange = try #require(throws: DataFileError.self) { try run(modelFile) }
        #expect(outOfRange.file == selectionFile.path && outOfRange.problem.contains("16"))
    }
}
