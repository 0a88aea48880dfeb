import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference
@testable import Tool

/// The real `privdnn` binary killed with SIGKILL at seeded random moments, and fed decompression bombs.
///
/// After a kill every output either does not exist or is complete and valid (hidden temporaries aside), and a
/// rerun succeeds. Bad compressed SEAL files fail with one line while the process's memory stays bounded.
@Suite(.serialized) struct CrashSafetyTests {
    static let model = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path
    static let images = RepositoryPaths.data.appendingPathComponent("mnist/t10k-images-idx3-ubyte.gz").path

    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The cache goes to the test folder, never the user's.
    var environment: [String: String] { ["PRIVDNN_CACHE": path("cache")] }

    func run(_ arguments: [String], killAfter: Double? = nil) throws -> ChildProcess.Outcome {
        try ChildProcess.run(arguments, in: folder, environment: environment, killAfter: killAfter)
    }

    /// Runs with a kill after `delay` seconds, counting in `kills` whether the kill landed.
    func kill(_ arguments: [String], after delay: Double, kills: inout Int) throws -> ChildProcess.Outcome {
        let outcome = try run(arguments, killAfter: delay)
        if outcome.signal == SIGKILL { kills += 1 }
        return outcome
    }

    /// Runs to completion and requires success.
    @discardableResult
    func succeed(_ arguments: [String]) throws -> ChildProcess.Outcome {
        let outcome = try run(arguments)
        #expect(outcome.exitCode == 0, "\(arguments.prefix(2)): \(outcome.stderr)")
        return outcome
    }

    /// `count` kill delays spread over (0, `seconds`), drawn from `generator` (a fixed seed, so a failure replays).
    func delays(_ count: Int, within seconds: Double, using generator: inout Xoshiro256) -> [Double] {
        (0..<count).map { i in
            let slot = seconds / Double(count)
            return slot * (Double(i) + Double.random(in: 0.05..<1, using: &generator))
        }
    }

    /// Names in `folder` other than hidden temporaries and `except`.
    func visibleNames(except: Set<String>) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") })
            .subtracting(except)
    }

    @Test func trainKilledLeavesNoPartialModel() throws {
        var generator = Xoshiro256(seed: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try NNCommandTests().smallMNIST(train: 256, test: 64)
        defer { try? FileManager.default.removeItem(at: data) }
        let out = path("m.safetensors")
        let arguments = [
            "train", "--dataset", "mnist", "--data-dir", data.path, "--epochs", "2", "--batch-size", "32", "--seed",
            "3", "--out", out, "--json",
        ]
        let full = try succeed(arguments)
        try FileManager.default.removeItem(atPath: out)
        var kills = 0
        for delay in delays(4, within: full.seconds, using: &generator) {
            let killed = try kill(arguments, after: delay, kills: &kills)
            if FileManager.default.fileExists(atPath: out) {
                // Whatever is there is a whole model.
                let command = try TestCommand.parse(["--dataset", "mnist", "--model", out, "--data-dir", data.path])
                #expect(throws: Never.self, "after a kill at \(delay) s") {
                    try command.evaluate(progress: .silent)
                }
                if killed.signal != nil { try FileManager.default.removeItem(atPath: out) }
            }
            #expect(try visibleNames(except: ["m.safetensors"]).isEmpty)
        }
        #expect(kills > 0, "no run was killed")
        try succeed(arguments)
    }

    @Test func packageInferAndDecryptKilledLeaveNoPartialFiles() throws {
        var generator = Xoshiro256(seed: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        // One encrypted conv2 filter: the cheapest request (about 1.5 s to infer).
        let selection = path("sel.json")
        try Data(#"{"2": [15]}"#.utf8).write(to: URL(fileURLWithPath: selection))
        let keys = path("keys"), package = path("pkg"), request = path("req"), response = path("resp")
        let packageArguments = [
            "owner", "package", "--model", Self.model, "--selection", selection, "--out", package, "--keys", keys,
            "--no-cache",
        ]
        let inferArguments = [
            "user", "infer", "--package", package, "--images", Self.images, "--count", "16", "--out", request,
        ]
        let decryptArguments = ["owner", "decrypt", "--keys", keys, "--in", request, "--out", response]
        let finishArguments = ["user", "finish", "--package", package, "--request", request, "--response", response]

        // owner package, killed: a package directory is complete (every file there, every hash right) or absent;
        // the key store is whole enough that the rerun succeeds.
        let packaged = try succeed(packageArguments)
        var kills = 0
        for delay in delays(3, within: packaged.seconds, using: &generator) {
            try FileManager.default.removeItem(atPath: package)
            try FileManager.default.removeItem(atPath: keys)
            _ = try kill(packageArguments, after: delay, kills: &kills)
            if FileManager.default.fileExists(atPath: package) {
                #expect(throws: Never.self, "package after a kill at \(delay) s") {
                    _ = try UserRole.load(URL(fileURLWithPath: package))
                }
            }
            try succeed(packageArguments)
        }

        #expect(kills > 0, "no owner package was killed")
        kills = 0

        // user infer, killed: the request is complete or absent, and a rerun succeeds.
        let inferred = try succeed(inferArguments)
        for delay in delays(3, within: inferred.seconds, using: &generator) {
            try? FileManager.default.removeItem(atPath: request)
            try? FileManager.default.removeItem(atPath: request + ".private")
            _ = try kill(inferArguments, after: delay, kills: &kills)
            // Every chunk file there (and the images file) is whole.
            for (dir, kind) in [(request, ExchangeFile.Kind.request), (request + ".private", .requestPrivate)] {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                for name in names where !name.hasPrefix(".") {
                    #expect(throws: Never.self, "\(dir)/\(name) after a kill at \(delay) s") {
                        _ = try ExchangeFile.read(URL(fileURLWithPath: dir).appendingPathComponent(name), kind: kind)
                    }
                }
            }
        }
        #expect(kills > 0, "no user infer was killed")
        kills = 0
        try succeed(inferArguments)

        // owner decrypt, killed: the count never under-counts what left as a response.
        var used = try decryptions(in: URL(fileURLWithPath: keys))
        let decrypted = try succeed(decryptArguments)
        let perRequest = try decryptions(in: URL(fileURLWithPath: keys)) - used
        #expect(perRequest > 0)
        for delay in delays(4, within: decrypted.seconds, using: &generator) {
            try? FileManager.default.removeItem(atPath: response)
            used = try decryptions(in: URL(fileURLWithPath: keys))
            let killed = try kill(decryptArguments, after: delay, kills: &kills)
            let now = try decryptions(in: URL(fileURLWithPath: keys))
            #expect(now == used || now == used + perRequest, "count \(used) → \(now)")
            let answer = URL(fileURLWithPath: response).appendingPathComponent("chunk-00000")
            if FileManager.default.fileExists(atPath: answer.path) {
                #expect(now == used + perRequest, "a response exists but the count was not raised (\(killed))")
                #expect(throws: Never.self, "response after a kill at \(delay) s") {
                    _ = try ExchangeFile.read(answer, kind: .response)
                }
            }
            try succeed(decryptArguments)
        }
        #expect(kills > 0, "no owner decrypt was killed")
        try succeed(finishArguments)
        #expect(try visibleNames(except: ["sel.json", "keys", "pkg", "req", "req.private", "resp"]).isEmpty)
        // The reruns removed the temporaries the killed runs left.
        for dir in [folder, URL(fileURLWithPath: keys)] {
            let stale = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
            #expect(stale.isEmpty, "\(dir.path): \(stale)")
        }
    }

    /// The decryption count of the key store at `keys`: `decryptions.json` wherever it lies inside the store.
    ///
    /// The decryptions counted over every key in the store (a killed `owner package` can leave a whole key whose
    /// package was never committed, beside the key the rerun made).
    func decryptions(in keys: URL) throws -> Int {
        let enumerator = FileManager.default.enumerator(
            at: keys, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        var total = 0
        while let url = enumerator?.nextObject() as? URL {
            guard url.lastPathComponent == "decryptions.json" else { continue }
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            total += object?["decrypted"] as? Int ?? -1
        }
        return total
    }

    @Test(arguments: [ComprMode.zlib, .zstd])
    func compressedBombsFailWithBoundedMemory(mode: ComprMode) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let parameters = try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39])
        let good = path("good.parms"), bomb = path("bomb.parms")
        try parameters.save(toFile: good, comprMode: mode)
        let padding = 96 << 20
        let bytes = try SEALSerialization.save(version: .v4_1, comprMode: mode) { writer in
            parameters.saveMembers(into: &writer, version: .v4_1)
            writer.write(bytes: [UInt8](repeating: 0, count: padding))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: bomb))
        let baseline = try succeed(["ckks", "inspect", good])
        for arguments in [
            ["ckks", "inspect", bomb], ["ckks", "inspect", good, "--params", bomb],
            ["ckks", "decrypt", "--params", bomb, "--secret-key", good, "--in", good],
        ] {
            let outcome = try run(arguments)
            #expect(outcome.exitCode != 0 && outcome.exitCode != nil, "\(arguments): \(outcome)")
            let lines = outcome.stderr.split(separator: "\n")
            #expect(lines.count == 1 && outcome.stderr.contains(bomb), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("inflates beyond"), "\(outcome.stderr)")
            // Far below the 96 MiB the padding inflates to.
            let peak = outcome.maxResidentBytes >> 20, normal = baseline.maxResidentBytes >> 20
            #expect(peak < normal + 32, "\(arguments[1]): \(peak) MiB, a normal inspect \(normal) MiB")
        }
    }
}
