import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The data-encrypted baseline (the user's images encrypted, the owner's weights in the clear) on a toy ring with
/// a few real MNIST test images, against the committed Square model's plaintext logits.
@Suite struct DataEncryptedTests {
    static let model = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist-square.safetensors")

    /// N = 512 (toy, security opt-out) with the baseline's prime sizes (``DataEncryptedPreset/auto``).
    static func toyParameters(dataPrimes: Int = 10) throws -> EncryptionParameters {
        let bits = DataEncryptedPreset.auto.shape.bitSizes
        return try EncryptionParameters(
            polyModulusDegree: 512, bitSizes: Array(bits.prefix(dataPrimes)) + [bits[bits.count - 1]])
    }

    @Test func predictionsEqualPlaintextModel() throws {
        let images = try EncryptedPipelineTests.images(6)
        let report = try DataEncryptedRun.run(
            modelURL: Self.model, images: images, parameters: try Self.toyParameters(), security: .none)
        #expect(report.images == 6)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
        #expect(report.accuracyEncrypted == report.accuracyPlain)
        // LeNet-5 with pooled kernels: conv1 25 taps on the 27² means, conv2 the 6×6 wide kernel on the squares.
        #expect(report.operations["ct⊙pt"] == 6 * 144 * 25 + 16 * 16 * 6 * 36 + 120 * 256 + 84 * 120 + 10 * 84)
        #expect(report.operations["relinearize"] == 6 * 144 + 256 + 120 + 84)
        #expect(report.operations["encrypt"] == 27 * 27)
        #expect(report.operations["decrypt"] == 10)
        // Seeded ciphertexts at ten primes: one component of 10·N words each (plus SEAL's headers and seed).
        #expect(report.uploadBytes >= 27 * 27 * 10 * 512 * 8)
        #expect(report.uploadBytes < 27 * 27 * (10 * 512 * 8 + 256))
        #expect(report.downloadBytes >= 10 * 2 * 512 * 8)
        for phase in ["keys", "encrypt", "receive", "conv1", "activation", "conv2", "fc", "decrypt"] {
            #expect((report.phases.seconds[phase] ?? 0) > 0, "phase \(phase)")
        }
    }

    /// The owner evaluates with the user's relinearization keys only: its state holds no secret key, and the logits
    /// it returns decrypt under the user's key to the plaintext model's.
    @Test func ownerRunsWithoutUserSecretKey() throws {
        let images = try EncryptedPipelineTests.images(3)
        let context = try HEContext(parameters: try Self.toyParameters(), securityLevel: .none)
        let (model, weights, user, top, scale) = try Self.parties(context)
        let owner = DataEncryptedOwner(
            context: context, weights: weights,
            relinKeys: try RelinKeys(serialized: try user.relinKeyBytes(), context: context.ckks), top: top,
            targetScale: scale)
        #expect(!Self.holdsSecretKey(owner))
        var times = PhaseTimes()
        var counts: [String: Int] = [:]
        let logits = try owner.evaluate(
            rows: { r in
                try user.encryptRow(r, pixels: images.pixels, count: images.count).map {
                    try Ciphertext(serialized: $0, context: context.ckks)
                }
            }, times: &times, counts: &counts)
        let values = try user.decrypt(try logits.map { try $0.serialized() })
        let plain = ModelFile.logits(model, images, normalization: .unit)
        for i in 0..<images.count {
            for c in 0..<10 { #expect(abs(values[c][i] - Double(plain[i * 10 + c])) < 1e-2) }
        }
    }

    @Test func rejectsReLUModelShortChainAndBadRows() throws {
        let images = try EncryptedPipelineTests.images(1)
        let relu = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors")
        #expect(throws: InferenceError.self) {
            try DataEncryptedRun.run(
                modelURL: relu, images: images, parameters: try Self.toyParameters(), security: .none)
        }
        #expect(throws: InferenceError.self) {
            try DataEncryptedRun.run(
                modelURL: Self.model, images: images, parameters: try Self.toyParameters(dataPrimes: 9),
                security: .none)
        }
        // A row at the wrong level is refused, not evaluated.
        let model = try Model(contentsOf: Self.model)
        let weights = try FullEncryptionRun.fullWeights(model, normalization: .unit, file: Self.model.path)
        let context = try HEContext(parameters: try Self.toyParameters(), securityLevel: .none)
        let owner = DataEncryptedOwner(
            context: context, weights: weights, relinKeys: try context.generateKeys().relinKeys, top: 10,
            targetScale: 0x1p40)
        var times = PhaseTimes()
        var counts: [String: Int] = [:]
        #expect(throws: InferenceError.self) {
            _ = try owner.evaluate(
                rows: { _ in [context.zeroCiphertext(size: 2, primes: 9, scale: 0x1p40)] }, times: &times,
                counts: &counts)
        }
    }

    /// The committed Square model, its weights and a user with fresh keys for `context`, as the run sets them up.
    static func parties(_ context: HEContext) throws
        -> (model: Model, weights: FullEncryptionWeights, user: DataEncryptedUser, top: Int, scale: Double)
    {
        let model = try Model(contentsOf: Self.model)
        let weights = try FullEncryptionRun.fullWeights(model, normalization: .unit, file: Self.model.path)
        let top = DataEncryptedOwner.depth + 1
        let scale = exp2(log2(context.prime(top - 2)).rounded())
        let geometry = weights.kernels.geometry
        let user = try DataEncryptedUser(
            context: context, geometry: geometry, shift: LayerKernels.inputShift(geometry, normalization: .unit),
            scale: scale, primes: top)
        return (model, weights, user, top, scale)
    }

    /// Whether any stored property, at any depth, is a secret key.
    static func holdsSecretKey(_ value: Any, depth: Int = 0) -> Bool {
        if value is SecretKey { return true }
        guard depth < 4 else { return false }
        return Mirror(reflecting: value).children.contains { holdsSecretKey($0.value, depth: depth + 1) }
    }
}
