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
        try Data(Model(.lenet5MNIST, seed: seed).fileBytes()).write(to: url)
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
            modelURL: try Self.modelFile(dir), selection: SelectedNeurons([1: [2], 2: [0, 7]]), images: images,
            parameters: try Self.smallParameters(), security: .none, packing: .batch)
        #expect(report.images == 6)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
        // Packaging is reported apart from the exchange that follows it, and the two make up the total.
        #expect(report.secondsPackage > 0 && report.secondsExchange > 0)
        #expect(report.secondsPackage >= (report.phases.seconds["package"] ?? 0))
        #expect(abs(report.secondsPackage + report.secondsExchange - report.secondsTotal) < 1e-9)
    }

    /// A Square-activation model stays Square on the user's side (the package's remainder records it), so the
    /// exchange the demo runs agrees with the owner's plaintext model; a remainder read as ReLU would not.
    @Test func squareModelStaysSquareThroughTheExchange() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("square.safetensors")
        try Model(.lenet5MNIST, seed: 5, hiddenActivation: .square).write(to: model)
        let keys = dir.appendingPathComponent("owner-keys"), package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: model, selection: SelectedNeurons([1: [1], 2: [4]]), out: package, preset: .auto, keys: keys,
            parameters: try Self.smallParameters(), security: .none)
        #expect(try UserRole.load(package).remainder.hiddenActivation == .square)
        let report = try ExchangeRun.run(
            modelURL: model, selection: SelectedNeurons([1: [2], 2: [0, 7]]),
            images: try EncryptedPipelineTests.images(6), parameters: try Self.smallParameters(), security: .none)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
    }

    /// The key directory of the package in `package` (every package has its own key in the store).
    static func keyDirectory(_ keys: URL, package: URL) throws -> URL {
        OwnerKeyring.keysDirectory(keys).appendingPathComponent(try UserRole.readManifest(package).keyID)
    }

    @Test func responsesCarryOnlyRealParts() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("owner-keys"), package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: try Self.modelFile(dir), selection: SelectedNeurons([1: [1], 2: [4]]), out: package,
            preset: .auto, keys: keys, parameters: try Self.smallParameters(), security: .none)
        let images = try EncryptedPipelineTests.images(3)
        let request = dir.appendingPathComponent("req"), response = dir.appendingPathComponent("resp")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 3, out: request)
        _ = try OwnerRole.decrypt(keys: keys, request: request, response: response)
        let store = try OwnerKeyStore.load(try Self.keyDirectory(keys, package: package))
        let context = store.context, n = context.degree, kf = PipelineLevels.finalPrimes
        let parms = context.parmsIDs[kf].description, moduli = context.moduli(kf)
        let req = try ExchangeFile.read(ChunkDirectory.url(request, 0), kind: .request, parmsID: parms)
        let priv = try ExchangeFile.read(
            ChunkDirectory.url(ChunkDirectory.privateDirectory(request), 0), kind: .requestPrivate, parmsID: parms)
        let resp = try ExchangeFile.read(ChunkDirectory.url(response, 0), kind: .response, parmsID: parms)
        let scale = try RequestCoding.scale(req, path: request.path)
        let decryptor = try Decryptor(context: context.ckks, secretKey: store.secret)
        func slots(_ coefficients: [UInt64], scale: Double) throws -> [Complex64] {
            var words = coefficients
            words.withUnsafeMutableBufferPointer { b in
                for j in 0..<kf { context.keyTables[j].forward(b.baseAddress! + j * n) }
            }
            return Array(
                try context.encoder.decodeComplex(Plaintext(parmsID: context.parmsIDs[kf], scale: scale, data: words))
                    .prefix(3))
        }
        var rawImaginary = 0.0, returnedImaginary = 0.0, agreement = 0.0
        for i in 0..<16 {
            var offset = i * 2 * kf * n * 8
            var ct = context.zeroCiphertext(size: 2, primes: kf, scale: scale)
            ct.data = try WordCoding.read(req.payload, offset: &offset, count: 2 * kf * n, path: request.path)
            offset = i * kf * n * 8
            var r = try WordCoding.read(priv.payload, offset: &offset, count: kf * n, path: request.path)
            let masked = try context.decryptToCoefficients(ct, decryptor: decryptor)
            let raw = try slots((0..<(kf * n)).map { moduli[$0 / n].subMod(masked[$0], r[$0]) }, scale: scale)
            offset = i * kf * n * 8
            let m = try WordCoding.read(resp.payload, offset: &offset, count: kf * n, path: response.path)
            RealProjection.apply(&r, moduli: moduli, degree: n)
            let returned = try slots((0..<(kf * n)).map { moduli[$0 / n].subMod(m[$0], r[$0]) }, scale: 2 * scale)
            for (a, b) in zip(raw, returned) {
                rawImaginary = max(rawImaginary, abs(a.imaginary))
                returnedImaginary = max(returnedImaginary, abs(b.imaginary))
                agreement = max(agreement, abs(a.real - b.real))
            }
        }
        #expect(rawImaginary > 1e-2)
        #expect(returnedImaginary < 1e-4)
        #expect(agreement < 1e-4)
    }

    @Test func userRunsWithoutSecretKeyAndRefusesOne() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("owner-keys"), package = dir.appendingPathComponent("pkg")
        let model = try Self.modelFile(dir)
        let selection = try SelectedNeurons([1: [0], 2: [3]])
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
            DecryptionBudget.self,
            from: Data(contentsOf: DecryptionBudget.url(try Self.keyDirectory(keys, package: package))))
        #expect(budget.decrypted == 16)
        // A package with a secret key in it is refused.
        try FileManager.default.copyItem(
            at: try Self.keyDirectory(keys, package: package).appendingPathComponent("secret.key"),
            to: package.appendingPathComponent("owner.bin"))
        #expect(throws: InferenceError.secretKeyInPackage(path: package.appendingPathComponent("owner.bin").path)) {
            try UserRole.infer(package: package, pixels: images.pixels, count: 2, out: request)
        }
    }

    @Test func corruptedOrMismatchedFilesAreNamed() throws {
        let dir = Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys"), package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: try Self.modelFile(dir), selection: SelectedNeurons([1: [1], 2: [2]]), out: package,
            preset: .auto, keys: keys, parameters: try Self.smallParameters(), security: .none)
        let images = try EncryptedPipelineTests.images(1)
        let request = dir.appendingPathComponent("req")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 1, out: request)
        let chunk = ChunkDirectory.url(request, 0)
        var bytes = [UInt8](try Data(contentsOf: chunk))
        bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: chunk)
        #expect(throws: InferenceError.badFile(path: chunk.path, reason: "content hash mismatch (corrupted file)")) {
            try OwnerRole.decrypt(keys: keys, request: request, response: dir.appendingPathComponent("resp"))
        }
        // A response file given as a request: wrong kind, named.
        let other = dir.appendingPathComponent("req2")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 1, out: other)
        #expect(
            throws: InferenceError.badFile(
                path: ChunkDirectory.url(other, 0).path, reason: "holds a request, expected a response")
        ) { try UserRole.finish(package: package, request: other, response: other) }
        // A request given as a file, not a directory of chunks.
        #expect(
            throws: InferenceError.badFile(
                path: chunk.path, reason: "is a file; requests and responses are directories of chunks")
        ) { try OwnerRole.decrypt(keys: keys, request: chunk, response: dir.appendingPathComponent("resp")) }
    }
}
