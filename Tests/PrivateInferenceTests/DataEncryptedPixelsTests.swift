import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The one-image (LoLa style) data-encrypted baseline: ``SlotMatrix`` on random matrices against plaintext
/// products, and the whole Square LeNet-5 on real MNIST test images against the plaintext model.
@Suite struct DataEncryptedPixelsTests {
    /// N = 4096 (2,048 slots: conv1's 864 outputs in two blocks, so the block fold runs) with the baseline's prime
    /// sizes, security opt-out.
    ///
    /// From N = 4096 every key switch is split between the cores.
    static func parameters() throws -> EncryptionParameters {
        try EncryptionParameters(polyModulusDegree: 4096, bitSizes: DataEncryptedPreset.auto.shape.bitSizes)
    }

    @Test func predictionsEqualPlaintextModelOneImageAtATime() throws {
        let images = try EncryptedPipelineTests.images(3)
        let report = try DataEncryptedRun.run(
            modelURL: DataEncryptedTests.model, images: images, packing: .pixels, parameters: try Self.parameters(),
            security: .none)
        #expect(report.packing == .pixels)
        #expect(report.images == 3)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 2e-2)
        #expect(report.accuracyEncrypted == report.accuracyPlain)
        // Per image: 13 ciphertexts of two 1,024-slot tap blocks (25 taps), conv1's 13 products and one fold;
        // conv2 (256 × 864 → 256 diagonals, B = 16: 15 + 15 rotations and the folds 256, 512), fc1 (128
        // diagonals, B = 16: 15 + 7, fold 128), fc2 (15 + 7), fc3 (16 diagonals, B = 4: 3 + 3, folds 16, 32, 64).
        #expect(report.operations["encrypt"] == 3 * 13)
        #expect(report.operations["ct⊙pt"] == 3 * (13 + 256 + 128 + 128 + 16))
        #expect(report.operations["rotate"] == 3 * (1 + 32 + 23 + 22 + 9))
        #expect(report.operations["relinearize"] == 3 * 4)
        #expect(report.operations["decrypt"] == 3)
        // Seeded ciphertexts at ten primes: one component of 10·N words each; one logit ciphertext at one prime.
        #expect(report.uploadBytes >= 3 * 13 * 10 * 4096 * 8)
        #expect(report.uploadBytes < 3 * 13 * (10 * 4096 * 8 + 256))
        #expect(report.downloadBytes >= 3 * 2 * 4096 * 8)
        #expect(report.galoisKeyBytes > 0 && report.keyBytes > report.galoisKeyBytes)
        #expect(report.preparedBytes >= (256 * 8 + 128 * 6 + 128 * 4 + 16 * 2) * 4096 * 8)
        for phase in ["keys", "prepare", "encrypt", "receive", "conv1", "activation", "conv2", "fc", "decrypt"] {
            #expect((report.phases.seconds[phase] ?? 0) > 0, "phase \(phase)")
        }
    }

    /// The owner's state holds the user's evaluation keys only, and refuses an image of the wrong shape.
    @Test func ownerHoldsNoSecretKeyAndRefusesBadInputs() throws {
        let context = try HEContext(parameters: try Self.parameters(), securityLevel: .none)
        let (_, weights, user, top, scale) = try DataEncryptedTests.parties(context)
        let steps = try DataEncryptedPixelsOwner.rotationSteps(weights: weights, slots: context.degree / 2)
        #expect(steps == [1, 4, 16, 32, 64, 128, 256, 512, 1024])
        let owner = try DataEncryptedPixelsOwner(
            context: context, weights: weights,
            relinKeys: try RelinKeys(serialized: try user.relinKeyBytes(), context: context.ckks),
            galoisKeys: try GaloisKeys(serialized: try user.galoisKeyBytes(steps: steps), context: context.ckks),
            top: top, targetScale: scale)
        #expect(!DataEncryptedTests.holdsSecretKey(owner))
        var times = PhaseTimes()
        var counts: [String: Int] = [:]
        let image = Array(try EncryptedPipelineTests.images(1).pixels)
        let inputs = try user.encryptImage(image, layout: owner.layout).map {
            try Ciphertext(serialized: $0, context: context.ckks)
        }
        #expect(throws: InferenceError.self) {
            _ = try owner.evaluate(Array(inputs.dropLast()), times: &times, counts: &counts)
        }
        var wrongLevel = inputs
        wrongLevel[0] = context.zeroCiphertext(size: 2, primes: top - 1, scale: scale)
        #expect(throws: InferenceError.self) { _ = try owner.evaluate(wrongLevel, times: &times, counts: &counts) }
        #expect(throws: InferenceError.self) {
            _ = try user.encryptImage(Array(image.dropLast()), layout: owner.layout)
        }
    }

    /// M·x + b through the slots equals the plaintext product for shapes that are not powers of two, including a
    /// matrix with more rows than columns (its input period widens to the output's).
    @Test(arguments: [(rows: 5, columns: 37), (rows: 70, columns: 20), (rows: 64, columns: 64)])
    func slotMatrixEqualsPlaintextProduct(shape: (rows: Int, columns: Int)) throws {
        let context = try HEContext(
            parameters: try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [60, 40, 40, 40, 40, 60]),
            securityLevel: .none)
        var generator = SystemRandomNumberGenerator()
        let matrix = (0..<(shape.rows * shape.columns)).map { _ in Double.random(in: -1...1, using: &generator) }
        let bias = (0..<shape.rows).map { _ in Double.random(in: -1...1, using: &generator) }
        let x = (0..<shape.columns).map { _ in Double.random(in: -1...1, using: &generator) }
        let period = SlotMatrix.period(shape.columns), slots = context.degree / 2
        let layer = try SlotMatrix(
            context: context, matrix: matrix, rows: shape.rows, columns: shape.columns, bias: bias,
            inputPeriod: period, primes: 3, inputScale: 0x1p40, targetScale: 0x1p40)
        let keys = KeyGenerator(context: context.ckks)
        let (p, q, b) = SlotMatrix.shape(rows: shape.rows, columns: shape.columns, inputPeriod: period)
        let galois = try keys.createGaloisKeys(steps: SlotMatrix.rotationSteps(p: p, q: q, b: b).sorted())
        let encryptor = try Encryptor(context: context.ckks, secretKey: keys.secretKey)
        let slotsOfX = (0..<slots).map { s in s % p < shape.columns ? x[s % p] : 0 }
        let input = try encryptor.encryptSymmetric(
            try context.encoder.encode(slotsOfX, scale: 0x1p40, parmsID: context.parmsIDs[3]))
        var counts: [String: Int] = [:]
        let output = try layer.apply(input, context: context, galoisKeys: galois, counts: &counts)
        #expect(output.coeffModulusSize == 2)
        #expect((counts["rotate"] ?? 0) <= layer.rotations && (counts["rotate"] ?? 0) >= layer.babySteps - 1)
        let decrypted = try context.encoder.decode(
            try Decryptor(context: context.ckks, secretKey: keys.secretKey).decrypt(output))
        for s in 0..<slots {
            let r = s % layer.outputPeriod
            let expected =
                r < shape.rows
                ? bias[r] + (0..<shape.columns).reduce(0) { $0 + matrix[r * shape.columns + $1] * x[$1] } : 0
            #expect(abs(decrypted[s] - expected) < 1e-4, "slot \(s)")
        }
    }
}
