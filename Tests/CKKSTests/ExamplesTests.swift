import Foundation
import NTT
import Testing

@testable import CKKS

/// SEAL's `5_ckks_basics` as a narrated test: evaluating π·x³ + 0.4·x + 1 on 4096 points in [0, 1].
@Suite struct ExamplesTests {
    @Test func ckksBasicsPolynomialEvaluation() throws {
        // The parameters. The first prime (60 bits) bounds the precision of the integer part of the result; the
        // middle primes (40 bits) are consumed one per rescale, so we can multiply twice; the last prime is the
        // special prime used only for key switching, as large as the largest of the others. 200 bits in total is
        // within the 218 bits that 128-bit security allows at N = 8192.
        let parms = try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60])
        let context = try CKKSContext(parms)

        // The scale 2^40 matches the middle primes: after each multiplication the scale is about 2^80, and the rescale
        // divides by a 40-bit prime, bringing it back close to 2^40. The 60-bit first prime leaves 20 bits for the
        // integer part of the result.
        let scale = 0x1p40

        let keygen = KeyGenerator(context: context)
        let publicKey = keygen.createPublicKey()
        let relinKeys = try keygen.createRelinKeys()
        let encryptor = try Encryptor(context: context, publicKey: publicKey)
        let evaluator = Evaluator(context: context)
        let decryptor = try Decryptor(context: context, secretKey: keygen.secretKey)
        let encoder = CKKSEncoder(context: context)
        #expect(encoder.slotCount == 4096)

        // The inputs, one per slot.
        let inputs = (0..<encoder.slotCount).map { Double($0) / Double(encoder.slotCount - 1) }

        // Constants are encoded with the constant path: every slot holds the value.
        let plainPi = try encoder.encode(3.14159265, scale: scale)
        let plainPointFour = try encoder.encode(0.4, scale: scale)
        let plainOne = try encoder.encode(1.0, scale: scale)

        let plainX = try encoder.encode(inputs, scale: scale)
        let x1 = try encryptor.encrypt(plainX)

        // x² by squaring: the scale is now 2^80 and the size 3; relinearize back to size 2, then rescale.
        var x3 = try evaluator.square(x1)
        try evaluator.relinearizeInPlace(&x3, relinKeys: relinKeys)
        try evaluator.rescaleToNextInPlace(&x3)
        #expect(x3.scale != scale && abs(log2(x3.scale) - 40) < 0.01)

        // π·x: multiply by the plaintext π and rescale. Its level is now that of x².
        var piX = try evaluator.multiplyPlain(x1, plainPi)
        try evaluator.rescaleToNextInPlace(&piX)
        #expect(piX.parmsID == x3.parmsID)

        // π·x³ = x² · π·x, relinearized and rescaled: two levels below x.
        try evaluator.multiplyInPlace(&x3, piX)
        try evaluator.relinearizeInPlace(&x3, relinKeys: relinKeys)
        try evaluator.rescaleToNextInPlace(&x3)
        #expect(x3.parmsID == context.lastParmsID)

        // 0.4·x, rescaled once.
        var pointFourX = try evaluator.multiplyPlain(x1, plainPointFour)
        try evaluator.rescaleToNextInPlace(&pointFourX)

        // Now the three terms sit at different levels with slightly different scales. Adding them needs equal levels
        // (mod-switch, which drops primes without changing the scale) and equal scales. The scales differ from 2^40 by
        // the ratio of 2^40 to the primes used in rescaling, well below our precision, so we simply declare them 2^40.
        #expect(throws: CKKSError.self) { try evaluator.add(x3, pointFourX) }
        x3.scale = scale
        pointFourX.scale = scale
        try evaluator.modSwitchToInPlace(&pointFourX, parmsID: x3.parmsID)
        var one = plainOne
        try evaluator.modSwitchToInPlace(&one, parmsID: x3.parmsID)

        var result = try evaluator.add(x3, pointFourX)
        try evaluator.addPlainInPlace(&result, one)

        // Decrypt and decode, and compare with the true values.
        let decoded = try encoder.decode(decryptor.decrypt(result))
        let expected = inputs.map { 3.14159265 * $0 * $0 * $0 + 0.4 * $0 + 1 }
        let worst = zip(decoded, expected).map { ($0 - $1).magnitude }.max() ?? 1
        #expect(worst < 1e-4, "worst error \(worst)")
    }
}
