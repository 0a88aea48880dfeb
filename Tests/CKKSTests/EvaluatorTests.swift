import Foundation
import NTT
import Testing

@testable import CKKS

/// Evaluator semantics beyond SEAL's vectors: levels, scales, sizes and the errors SEAL raises.
@Suite struct EvaluatorTests {
    let context: CKKSContext
    let encoder: CKKSEncoder
    let keygen: KeyGenerator
    let encryptor: Encryptor
    let decryptor: Decryptor
    let evaluator: Evaluator

    init() throws {
        context = try CKKSContext(EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39]))
        encoder = CKKSEncoder(context: context)
        keygen = KeyGenerator(context: context)
        encryptor = try Encryptor(context: context, publicKey: keygen.createPublicKey(), secretKey: keygen.secretKey)
        decryptor = try Decryptor(context: context, secretKey: keygen.secretKey)
        evaluator = Evaluator(context: context)
    }

    func encrypt(_ values: [Double], scale: Double = 0x1p30) throws -> Ciphertext {
        try encryptor.encryptSymmetric(encoder.encode(values, scale: scale))
    }

    func decrypt(_ ciphertext: Ciphertext) throws -> [Double] { try encoder.decode(decryptor.decrypt(ciphertext)) }

    @Test func mismatchesAndLimitsThrow() throws {
        let a = try encrypt([1, 2])
        let b = try encrypt([3, 4], scale: 0x1p31)
        #expect(throws: CKKSError.scaleMismatch(0x1p30, 0x1p31)) { try evaluator.add(a, b) }
        let lower = try evaluator.modSwitchToNext(a)
        #expect(throws: CKKSError.self) { try evaluator.multiply(a, lower) }
        #expect(throws: CKKSError.endOfModulusChain) { try evaluator.rescaleToNext(lower) }
        #expect(throws: CKKSError.endOfModulusChain) { try evaluator.modSwitchToNext(lower) }
        // 2^30 · 2^30 · 2^30 exceeds the 70-bit first level.
        let square = try evaluator.square(a)
        #expect(throws: CKKSError.scaleOutOfBounds(0x1p90)) {
            try evaluator.multiplyPlain(square, encoder.encode([1.0], scale: 0x1p30))
        }
        #expect(throws: CKKSError.transparentResult) { try evaluator.sub(a, a) }
        let galois = try keygen.createGaloisKeys(steps: [1])
        #expect(throws: CKKSError.missingGaloisKey(step: 2, element: 9)) {
            try evaluator.rotateVector(a, steps: 2, galoisKeys: galois)
        }
        #expect(throws: CKKSError.missingGaloisKey(step: 0, element: 8191)) {
            try evaluator.complexConjugate(a, galoisKeys: galois)
        }
        #expect(throws: CKKSError.self) { try evaluator.rotateVector(a, steps: 2048, galoisKeys: galois) }
        #expect(throws: CKKSError.self) { try evaluator.rotateVector(square, steps: 1, galoisKeys: galois) }
        var keyLevel = a
        keyLevel.parmsID = context.keyParmsID
        #expect(throws: CKKSError.self) { try evaluator.negate(keyLevel) }
    }

    @Test func sizesAndScalesFollowSEAL() throws {
        let a = try encrypt([1.5, -2])
        let b = try encrypt([2, 0.5])
        let product = try evaluator.multiply(a, b)
        #expect(product.size == 3 && product.scale == 0x1p60)
        // Adding a size-3 and a size-2 ciphertext keeps size 3; relinearizing it brings it back to 2.
        let sum = try evaluator.add(product, evaluator.multiplyPlain(b, encoder.encode(1.0, scale: 0x1p30)))
        #expect(sum.size == 3)
        let relinearized = try evaluator.relinearize(sum, relinKeys: keygen.createRelinKeys())
        #expect(relinearized.size == 2)
        let rescaled = try evaluator.rescaleToNext(relinearized)
        var viaTarget = relinearized
        try evaluator.rescaleToInPlace(&viaTarget, parmsID: context.lastParmsID)
        #expect(viaTarget == rescaled)
        #expect(throws: CKKSError.self) { try evaluator.rescaleToInPlace(&viaTarget, parmsID: context.firstParmsID) }
        let q = Double(context.firstContextData.coeffModulus[1].value)
        #expect(rescaled.scale == 0x1p60 / q)
        let values = try decrypt(rescaled)
        #expect(abs(values[0] - (3 + 2)) < 1e-3 && abs(values[1] - (-1 + 0.5)) < 1e-3)
        // A size-3 ciphertext decrypts directly too.
        #expect(abs(try decrypt(product)[0] - 3) < 1e-3)
        // Negation and subtraction of a plaintext.
        let negated = try decrypt(evaluator.negate(a))
        #expect(abs(negated[0] + 1.5) < 1e-4)
        let difference = try decrypt(evaluator.subPlain(a, encoder.encode([0.5, 0.5], scale: 0x1p30)))
        #expect(abs(difference[0] - 1) < 1e-4 && abs(difference[1] + 2.5) < 1e-4)
    }

    @Test func rotationsUseNAFAndConjugationFlipsImaginaryParts() throws {
        let values = (0..<2048).map { Complex64(Double($0), -Double($0) / 2) }
        let ciphertext = try encryptor.encrypt(encoder.encode(values, scale: 0x1p30))
        let galois = try keygen.createGaloisKeys()
        // 5 = 4 + 1 and −6 = −8 + 2 come from power-of-two keys.
        for steps in [1, 5, -6, 1000] {
            let rotated = try encoder.decodeComplex(
                decryptor.decrypt(evaluator.rotateVector(ciphertext, steps: steps, galoisKeys: galois)))
            for i in [0, 7, 2047] {
                let source = ((i + steps) % 2048 + 2048) % 2048
                #expect(abs(rotated[i].real - Double(source)) < 1e-2, "steps \(steps) slot \(i)")
            }
        }
        let conjugated = try encoder.decodeComplex(
            decryptor.decrypt(evaluator.complexConjugate(ciphertext, galoisKeys: galois)))
        #expect(abs(conjugated[10].imaginary - 5) < 1e-2)
        // A Galois element applied directly equals the rotation by its step.
        let element = try GaloisTool.galoisElement(step: 1, degree: 4096)
        #expect(
            try evaluator.applyGalois(ciphertext, element: element, galoisKeys: galois)
                == evaluator.rotateVector(ciphertext, steps: 1, galoisKeys: galois))
    }

    @Test func seededObjectsRoundTripThroughSEALsSeededForm() throws {
        let plain = try encoder.encode([0.25, 0.5], scale: 0x1p30)
        let seeded = try encryptor.encryptSymmetric(plain, seeded: true)
        let bytes = try seeded.serialized()
        let full = try encryptor.encryptSymmetric(plain).serialized()
        #expect(bytes.count == 113 + 8 * 4096 * 2 + 81 && full.count == 113 + 8 * 4096 * 2 * 2)
        let loaded = try Ciphertext(serialized: bytes, context: context)
        #expect(loaded.data == seeded.data)
        #expect(abs(try decrypt(loaded)[1] - 0.5) < 1e-6)
        let relinKeys = try keygen.createRelinKeys(seeded: true)
        let reloaded = try RelinKeys(serialized: relinKeys.serialized(), context: context)
        #expect(reloaded.keys.data[0].map(\.data.data) == relinKeys.keys.data[0].map(\.data.data))
    }
}
