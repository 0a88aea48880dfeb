import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The full-encryption baseline (every layer of the Square-activation LeNet-5 encrypted) on a toy ring with a
/// few real MNIST test images, against the committed model's plaintext logits.
@Suite struct FullEncryptionTests {
    static let model = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist-square.safetensors")

    /// N = 512 (toy, security opt-out) with the baseline's prime sizes: ten 60/40-bit data primes, depth 9.
    static func toyParameters(dataPrimes: Int = 10) throws -> EncryptionParameters {
        try EncryptionParameters(
            polyModulusDegree: 512, bitSizes: [60] + [Int](repeating: 40, count: dataPrimes - 1) + [60])
    }

    @Test func encryptedLogitsAgreeWithPlaintextModel() throws {
        let images = try EncryptedPipelineTests.images(5)
        let report = try FullEncryptionRun.run(
            modelURL: Self.model, images: images, parameters: try Self.toyParameters(), security: .none)
        #expect(report.images == 5)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
        #expect(report.accuracyEncrypted == report.accuracyPlain)
        // Operation counts of LeNet-5 (spec §9.9): every product of conv2 and the FC layers is ct⊗ct.
        #expect(report.operations["ct⊙pt"] == 6 * 144 * 36)
        #expect(report.operations["ct⊗ct"] == 16 * 16 * 6 * 36 + 120 * 256 + 84 * 120 + 10 * 84)
        #expect(report.operations["encrypt"] == 6 * 37 + 16 * (6 * 36 + 1) + 120 * 257 + 84 * 121 + 10 * 85)
        #expect(report.operations["relinearize"] == 6 * 144 + 2 * 256 + 2 * 120 + 2 * 84 + 10)
        #expect(report.operations["decrypt"] == 10)
        for phase in ["package", "conv1", "activation", "conv2", "fc", "decrypt"] {
            #expect((report.phases.seconds[phase] ?? 0) > 0, "phase \(phase)")
        }
    }

    @Test func rejectsReLUModelAndShortChain() throws {
        let images = try EncryptedPipelineTests.images(1)
        let relu = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors")
        #expect(throws: InferenceError.self) {
            try FullEncryptionRun.run(
                modelURL: relu, images: images, parameters: try Self.toyParameters(), security: .none)
        }
        #expect(throws: InferenceError.self) {
            try FullEncryptionRun.run(
                modelURL: Self.model, images: images, parameters: try Self.toyParameters(dataPrimes: 9),
                security: .none)
        }
    }
}
