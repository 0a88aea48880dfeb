import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference
@testable import Tool

/// The owner/user commands: parsing, and one-line errors that name the file at fault.
@Suite struct InferenceCommandTests {
    @Test func subcommandsParse() throws {
        let package = try PrivDNNCommand.parseAsRoot([
            "owner", "package", "--model", "m.safetensors", "--selection", "s.json", "--out", "pkg", "--keys", "k",
            "--params", "privdnn",
        ])
        let owner = try #require(package as? OwnerPackageCommand)
        #expect(owner.params == .privdnn && owner.out == "pkg" && owner.keys == "k")
        let infer = try #require(
            try PrivDNNCommand.parseAsRoot(["user", "infer", "--package", "pkg", "--images", "x.gz", "--out", "req"])
                as? UserInferCommand)
        #expect(infer.offset == 0 && infer.count == nil)
        #expect(
            try PrivDNNCommand.parseAsRoot(["owner", "decrypt", "--keys", "k", "--in", "req", "--out", "resp"])
                is OwnerDecryptCommand)
        #expect(
            try PrivDNNCommand.parseAsRoot([
                "user", "finish", "--package", "p", "--request", "r", "--response", "s", "--json",
            ]) is UserFinishCommand)
        #expect(
            try PrivDNNCommand.parseAsRoot(["inference", "--model", "m", "--selection", "s", "--limit", "10"])
                is InferenceCommand)
        #expect(try PrivDNNCommand.parseAsRoot(["demo", "--json", "--no-baseline"]) is DemoCommand)
        #expect(try PrivDNNCommand.parseAsRoot(["clean"]) is CleanCommand)
        #expect(throws: (any Error).self) { try PrivDNNCommand.parseAsRoot(["owner", "package", "--params", "huge"]) }
    }

    @Test func missingFilesAreNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys").path, request = dir.appendingPathComponent("r").path
        let decrypt = try #require(
            try PrivDNNCommand.parseAsRoot(["owner", "decrypt", "--keys", keys, "--in", request, "--out", "s"])
                as? OwnerDecryptCommand)
        do {
            try decrypt.run()
            Issue.record("decrypt without a request succeeded")
        } catch {
            #expect(String(describing: error).contains("\(request): does not exist"))
        }
        let package = dir.appendingPathComponent("pkg").path
        let finish = try #require(
            try PrivDNNCommand.parseAsRoot([
                "user", "finish", "--package", package, "--request", "r", "--response", "s",
            ])
                as? UserFinishCommand)
        do {
            try finish.run()
            Issue.record("finish without a package succeeded")
        } catch {
            #expect(String(describing: error).contains("\(package)/manifest.json"))
        }
    }

    /// `inference --json` on real MNIST with the committed model: the owner's packaging is reported apart from the
    /// exchange (issue 11's `seconds_package` and `seconds_exchange`), and the two make up `seconds_total`.
    @Test func inferenceReportsPackagingApartFromTheExchange() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try ChildProcess.run(
            [
                "inference", "--dataset", "mnist", "--data-dir",
                RepositoryPaths.data.appendingPathComponent("mnist").path,
                "--model", RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
                "--share", "20", "--limit", "2", "--json",
            ], in: dir)
        #expect(run.exitCode == 0, "\(run.stderr)")
        try JSONKeyConvention.expectSnakeCase(run.stdout, "inference --json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let package = try #require(report["seconds_package"] as? Double)
        let exchange = try #require(report["seconds_exchange"] as? Double)
        let total = try #require(report["seconds_total"] as? Double)
        #expect(package > 0 && exchange > 0 && abs(package + exchange - total) < 1e-6)
        #expect(report["agreement"] as? Double == 100)
        // Two images go in the pixels packing unless the batch packing is asked for; both predict alike.
        #expect(report["packing"] as? String == "pixels" && report["chunks"] as? Int == 2)
        let batch = try ChildProcess.run(
            [
                "inference", "--dataset", "mnist", "--data-dir",
                RepositoryPaths.data.appendingPathComponent("mnist").path,
                "--model", RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
                "--share", "20", "--limit", "2", "--packing", "batch", "--json",
            ], in: dir)
        #expect(batch.exitCode == 0, "\(batch.stderr)")
        let other = try #require(try JSONSerialization.jsonObject(with: Data(batch.stdout.utf8)) as? [String: Any])
        #expect(other["packing"] as? String == "batch" && other["agreement"] as? Double == 100)
        #expect(other["accuracy_encrypted"] as? Double == report["accuracy_encrypted"] as? Double)
    }

    /// The role commands for one picture, on the committed model and the first MNIST test image.
    ///
    /// `owner package --packing pixels`, `user infer --count 1` (one chunk), `owner decrypt`, `user finish --json`;
    /// the image is a 7, which the model classifies correctly. Forcing the batch packing on that package is refused
    /// in one line.
    @Test func onePictureThroughTheRoleCommands() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-one-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try Data(#"{"1": [0], "2": [0]}"#.utf8).write(to: URL(fileURLWithPath: path("sel.json")))
        let images = RepositoryPaths.data.appendingPathComponent("mnist/t10k-images-idx3-ubyte.gz").path
        func succeed(_ arguments: [String]) throws -> String {
            let run = try ChildProcess.run(arguments, in: dir)
            #expect(run.exitCode == 0, "\(arguments.prefix(2)): \(run.stderr)")
            return run.stdout
        }
        _ = try succeed([
            "owner", "package", "--model",
            RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
            "--selection", path("sel.json"), "--out", path("pkg"), "--keys", path("keys"), "--packing", "pixels",
            "--no-cache",
        ])
        _ = try succeed([
            "user", "infer", "--package", path("pkg"), "--images", images, "--count", "1", "--out", path("req"),
        ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path("req")) == ["chunk-00000"])
        _ = try succeed(["owner", "decrypt", "--keys", path("keys"), "--in", path("req"), "--out", path("resp")])
        let finished = try succeed([
            "user", "finish", "--package", path("pkg"), "--request", path("req"), "--response", path("resp"), "--json",
        ])
        try JSONKeyConvention.expectSnakeCase(finished, "user finish --json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(finished.utf8)) as? [String: Any])
        #expect(object["predictions"] as? [Int] == [7])
        let refused = try ChildProcess.run(
            [
                "user", "infer", "--package", path("pkg"), "--images", images, "--count", "1", "--out", path("req2"),
                "--packing", "batch",
            ], in: dir)
        #expect(refused.exitCode != 0)
        #expect(refused.stderr.contains("holds no batch packing") && refused.stderr.split(separator: "\n").count == 1)
    }

    /// `owner package` without `--packing` serves both packings for LeNet-5: `user infer --count 1` sends the one
    /// pixels chunk of one picture, and the same package answers a batch request too.
    @Test func aDefaultPackageServesOnePictureAndATestSet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-both-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try Data(#"{"1": [0], "2": [0]}"#.utf8).write(to: URL(fileURLWithPath: path("sel.json")))
        let images = RepositoryPaths.data.appendingPathComponent("mnist/t10k-images-idx3-ubyte.gz").path
        func succeed(_ arguments: [String]) throws {
            let run = try ChildProcess.run(arguments, in: dir)
            #expect(run.exitCode == 0, "\(arguments.prefix(2)): \(run.stderr)")
        }
        try succeed([
            "owner", "package", "--model",
            RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
            "--selection", path("sel.json"), "--out", path("pkg"), "--keys", path("keys"), "--no-cache",
        ])
        try succeed([
            "user", "infer", "--package", path("pkg"), "--images", images, "--count", "1", "--out", path("one"),
        ])
        let one = try ExchangeFile.read(
            URL(fileURLWithPath: path("one")).appendingPathComponent("chunk-00000"), kind: .request
        ).header
        #expect(one.fields["packing"] == "pixels", "\(one.fields)")
        try succeed([
            "user", "infer", "--package", path("pkg"), "--images", images, "--count", "1", "--packing", "batch",
            "--out", path("batch"),
        ])
        let batch = try ExchangeFile.read(
            URL(fileURLWithPath: path("batch")).appendingPathComponent("chunk-00000"), kind: .request
        ).header
        #expect(batch.fields["packing"] != "pixels", "\(batch.fields)")
    }

    /// A model with a NaN weight is refused by name before any key or scale is made from it.
    @Test func packagingANonFiniteModelNamesTheTensor() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Model(.lenet5MNIST, seed: 1)
        try #require(model.stateTensors.first { $0.0 == "conv1.weight" }?.1).value.data[3] = .nan
        let file = dir.appendingPathComponent("nan.safetensors").path
        try model.write(to: URL(fileURLWithPath: file))
        let selection = dir.appendingPathComponent("sel.json").path
        try Data(#"{"1": [0], "2": [15]}"#.utf8).write(to: URL(fileURLWithPath: selection))
        let package = try #require(
            try PrivDNNCommand.parseAsRoot([
                "owner", "package", "--model", file, "--selection", selection, "--out",
                dir.appendingPathComponent("pkg").path, "--keys", dir.appendingPathComponent("keys").path, "--no-cache",
            ]) as? OwnerPackageCommand)
        #expect {
            try package.run()
        } throws: { error in
            let text = "\(error)"
            return text.contains(file) && text.contains("'conv1.weight' holds nan at index 3")
                && !text.contains("scale")
        }
    }

    @Test func cleanRemovesTheCache() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-cache-\(UUID().uuidString)")
        let entry = root.appendingPathComponent("packages/abc")
        try FileManager.default.createDirectory(at: entry, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 1000).write(to: entry.appendingPathComponent("manifest.json"))
        #expect(try PackageCache.clean(root) == 1000)
        #expect(!FileManager.default.fileExists(atPath: root.path))
        #expect(try PackageCache.clean(root) == 0)
    }
}
