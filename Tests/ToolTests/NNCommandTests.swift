import Foundation
import NN
import TestSupport
import Testing

@testable import Tool

/// `privdnn train` / `privdnn test` on real MNIST.
@Suite struct NNCommandTests {
    static let committedModel = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path
    static let mnist = RepositoryPaths.data.appendingPathComponent("mnist").path

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A raw-IDX MNIST folder holding the first `train` training and `test` official-test images.
    func smallMNIST(train: Int, test: Int) throws -> URL {
        let folder = try temporaryFolder()
        func header(_ values: [Int]) -> [UInt8] {
            values.flatMap { v in [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
            }
        }
        for (prefix, count, isTrain) in [("train", train, true), ("t10k", test, false)] {
            let set = try Dataset.mnist.loadOfficial(train: isTrain, root: URL(fileURLWithPath: Self.mnist))
            let images = Array(set.pixels[0..<(count * 784)]), labels = set.labels[0..<count].map { UInt8($0) }
            try Data([0, 0, 8, 3] + header([count, 28, 28]) + images)
                .write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try Data([0, 0, 8, 1] + header([count]) + labels)
                .write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
        return folder
    }

    @Test func parsesTrainAndTestOptions() throws {
        let train = try TrainCommand.parse([
            "--dataset", "MNIST", "--epochs", "3", "--seed", "7", "--json", "--augment", "shift",
        ])
        #expect(
            train.data.dataset == .mnist && train.epochs == 3 && train.seed == 7 && train.json
                && train.augment == .shift)
        #expect(train.outputPath == "models/mnist.safetensors")
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--dataset", "mnist", "--epochs", "0"]) }
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--dataset", "svhn"]) }
        let test = try TestCommand.parse(["--dataset", "mnist", "--model", "m.safetensors", "--split", "validate"])
        #expect(test.split == .validate && !test.json)
        #expect(throws: (any Error).self) {
            try TestCommand.parse(["--dataset", "mnist", "--model", "m", "--split", "train"])
        }
    }

    /// The committed LeNet5-MNIST (models/README.md) on the real 5,000-image test half.
    @Test func committedModelReachesItsAccuracy() throws {
        let command = try TestCommand.parse([
            "--dataset", "mnist", "--model", Self.committedModel, "--data-dir", Self.mnist,
        ])
        let report = try command.evaluate(progress: .silent)
        #expect(report.samples == 5000 && report.split == "test" && report.dataset == "mnist")
        #expect(report.accuracy >= 99.3, "accuracy \(report.accuracy)%")
        #expect(report.perLabel.count == 10 && report.perLabel.map(\.samples).reduce(0, +) == 5000)
        #expect(report.perLabel.map(\.correct).reduce(0, +) == report.correct)
        let json = try JSONOutput.text(report)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(decoded?["accuracy"] as? Double == report.accuracy && decoded?["samples"] as? Int == 5000)
    }

    @Test func modelFilesThatDoNotFitAreClearErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let emnist = folder.appendingPathComponent("emnist.safetensors").path
        try Model(.lenet5EMNIST).write(to: URL(fileURLWithPath: emnist))
        let wrong = try TestCommand.parse(["--dataset", "mnist", "--model", emnist, "--data-dir", Self.mnist])
        #expect {
            try wrong.evaluate(progress: .silent)
        } throws: { error in
            let text = "\(error)"
            return text.contains(emnist) && text.contains("does not fit the MNIST model")
                && text.contains("conv1.weight")
        }
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        try Data("not a safetensors file".utf8).write(to: garbage)
        let bad = try TestCommand.parse(["--dataset", "mnist", "--model", garbage.path, "--data-dir", Self.mnist])
        #expect { try bad.evaluate(progress: .silent) } throws: { "\($0)".contains(garbage.path) }
        let missing = try TestCommand.parse([
            "--dataset", "mnist", "--model", folder.appendingPathComponent("none").path,
        ])
        #expect(throws: (any Error).self) { try missing.evaluate(progress: .silent) }
    }

    /// A NaN weight or an infinite bias is a one-line error naming the file and the tensor, not a 100 % score.
    @Test func nonFiniteModelsAreRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, index, value) in [("conv1.weight", 0, Float.nan), ("fc3.bias", 2, Float.infinity)] {
            let model = Model(.lenet5MNIST, seed: 1)
            let parameter = try #require(model.stateTensors.first { $0.0 == name }?.1)
            parameter.value.data[index] = value
            let file = folder.appendingPathComponent("bad.safetensors").path
            try model.write(to: URL(fileURLWithPath: file))
            let test = try TestCommand.parse(["--dataset", "mnist", "--model", file, "--data-dir", Self.mnist])
            #expect {
                try test.evaluate(progress: .silent)
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("\(file): tensor '\(name)' holds") && text.contains("at index \(index)")
                    && !text.contains("\n")
            }
        }
    }

    /// An output path that is a folder is a one-line error naming it.
    @Test func trainIntoAFolderNamesIt() throws {
        let data = try smallMNIST(train: 64, test: 10)
        defer { try? FileManager.default.removeItem(at: data) }
        let train = try TrainCommand.parse([
            "--dataset", "mnist", "--data-dir", data.path, "--epochs", "1", "--batch-size", "32", "--out", data.path,
            "--json",
        ])
        #expect {
            try train.run()
        } throws: { error in
            "\(error)" == "\(data.path): is a directory"
        }
    }

    /// Train end to end on 512 real images (the first of the official sets) and test the saved file.
    @Test func trainWritesAModelThatTestReads() throws {
        let data = try smallMNIST(train: 512, test: 400)
        defer { try? FileManager.default.removeItem(at: data) }
        let out = data.appendingPathComponent("models/small.safetensors").path
        var train = try TrainCommand.parse([
            "--dataset", "mnist", "--data-dir", data.path, "--epochs", "8", "--lr", "3e-3", "--batch-size", "32",
            "--seed", "5", "--out", out, "--json",
        ])
        try train.run()
        let report = try TestCommand.parse(["--dataset", "mnist", "--model", out, "--data-dir", data.path])
            .evaluate(progress: .silent)
        #expect(report.samples == 200)
        #expect(report.accuracy > 75, "accuracy \(report.accuracy)%")
        // Same seed, same file.
        let again = data.appendingPathComponent("again.safetensors").path
        train = try TrainCommand.parse([
            "--dataset", "mnist", "--data-dir", data.path, "--epochs", "8", "--lr", "3e-3", "--batch-size", "32",
            "--seed", "5", "--out", again, "--json",
        ])
        try train.run()
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: again)))
    }
}
