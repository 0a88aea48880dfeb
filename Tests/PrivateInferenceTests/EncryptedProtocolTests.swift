import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The owner/user exchange through real files at a small ring.
@Suite struct EncryptedProtocolTests {
    static func smallParameters() throws -> EncryptionParameters {
        try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [60, 60, 60, 60, 60, 60])
    }

    static func modelFile(_ dir: URL, seed: UInt64 = 5) throws -> URL {
        let url = dir.appendingPathComponent("model.safetensors")
        try Data(try ModelFile.bytes(Model(.lenet5MNIST, seed: seed))).write(to: url)
        return url
    }

    static func temporary() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func exchangeAgreesWithSeparateModel() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = try EncryptedPipelineTests.images(6)
        let report = try ExchangeRun.run(
            modelURL: try Self.modelFile(dir), selection: FilterSelection([1: [2], 2: [0, 7]]), images: images,
            parameters: try Self.smallParameters(), security: .none)
        #expect(report.images == 6)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
    }

    /// A key store written when relinearization keys stopped at s² gets s³ added: same secret key and key id.
    @Test func keyStoreWithoutCubeKeyIsExtended() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = try HEContext(parameters: try Self.smallParameters(), securityLevel: .none)
        let store = try OwnerKeyStore.loadOrCreate(dir, context: context, security: .none)
        #expect(store.keys.relinKeys.maxKeyPower == 3)
        let old = try KeyGenerator(context: context.ckks, secretKey: store.keys.secret).createRelinKeys()
        #expect(old.maxKeyPower == 2)
        try ExchangeFile(
            kind: .relinKeys, parmsID: context.parameters.parmsID.description, fields: ["keyID": store.keyID],
            payload: try old.serialized()
        ).write(to: dir.appendingPathComponent("relin.keys"))
        #expect(try OwnerKeyStore.load(dir).keys.relinKeys.maxKeyPower == 2)
        let upgraded = try OwnerKeyStore.loadOrCreate(dir, context: context, security: .none)
        #expect(upgraded.keys.relinKeys.maxKeyPower == 3)
        #expect(upgraded.keyID == store.keyID)
        #expect(upgraded.keys.secret == store.keys.secret)
        #expect(try OwnerKeyStore.load(dir).keys.relinKeys.maxKeyPower == 3)
    }

    @Test func userRunsWithoutSecretKeyAndRefusesOne() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("owner-keys"), package = dir.appendingPathComponent("pkg")
        let model = try Self.modelFile(dir)
        let selection = FilterSelection([1: [0], 2: [3]])
        let first = try OwnerRole.package(
            modelURL: model, selection: selection, out: package, preset: .auto, keys: keys,
            parameters: try Self.smallParameters(), security: .none)
        #expect(!first.reused)
        let again = try OwnerRole.package(
            modelURL: model, selection: selection, out: package, preset: .auto, keys: keys,
            parameters: try Self.smallParameters(), security: .none)
        #expect(again.reused)
        #expect(!FileManager.default.fileExists(atPath: package.appendingPathComponent("secret.key").path))
        // Move the owner's key store away: the user side must not need it.
        let hidden = dir.appendingPathComponent("elsewhere")
        try FileManager.default.moveItem(at: keys, to: hidden)
        let images = try EncryptedPipelineTests.images(2)
        let request = dir.appendingPathComponent("req")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 2, out: request)
        try FileManager.default.moveItem(at: hidden, to: keys)
        let response = dir.appendingPathComponent("resp")
        _ = try OwnerRole.decrypt(keys: keys, request: request, response: response)
        let (logits, _) = try UserRole.finish(package: package, request: request, response: response)
        #expect(logits.shape == [2, 10])
        // The key store counted the 16 decrypted ciphertexts (one conv2 filter) against flooding's t.
        let budget = try JSONDecoder().decode(
            DecryptionBudget.self, from: Data(contentsOf: DecryptionBudget.url(keys)))
        #expect(budget.decrypted == 16)
        // A package with a secret key in it is refused.
        try FileManager.default.copyItem(
            at: keys.appendingPathComponent("secret.key"), to: package.appendingPathComponent("owner.bin"))
        #expect(throws: InferenceError.secretKeyInPackage(path: package.appendingPathComponent("owner.bin").path)) {
            try UserRole.infer(package: package, pixels: images.pixels, count: 2, out: request)
        }
    }

    @Test func corruptedOrMismatchedFilesAreNamed() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys"), package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: try Self.modelFile(dir), selection: FilterSelection([1: [1], 2: [2]]), out: package, preset: .auto,
            keys: keys, parameters: try Self.smallParameters(), security: .none)
        let images = try EncryptedPipelineTests.images(1)
        let request = dir.appendingPathComponent("req")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 1, out: request)
        var bytes = [UInt8](try Data(contentsOf: request))
        bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: request)
        #expect(throws: InferenceError.badFile(path: request.path, reason: "content hash mismatch (corrupted file)")) {
            try OwnerRole.decrypt(keys: keys, request: request, response: dir.appendingPathComponent("resp"))
        }
        // A key store is never overwritten by keys for other parameters.
        let other8192 = try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [50, 50, 50, 50, 50, 50])
        #expect(
            throws: InferenceError.mismatch(
                path: keys.appendingPathComponent("keystore.json").path,
                reason: "holds keys for other CKKS parameters; use another --keys directory for these parameters")
        ) {
            try OwnerRole.package(
                modelURL: try Self.modelFile(dir), selection: FilterSelection([1: [1], 2: [2]]),
                out: dir.appendingPathComponent("pkg2"), preset: .auto, keys: keys, parameters: other8192,
                security: .none)
        }
        // A response file given as a request: wrong kind, named.
        let other = dir.appendingPathComponent("req2")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 1, out: other)
        #expect(throws: InferenceError.self) {
            try UserRole.finish(package: package, request: other, response: other)
        }
    }
}
