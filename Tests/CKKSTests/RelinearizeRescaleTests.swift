import Foundation
import NTT
import Testing

@testable import CKKS

/// The fused relinearize-and-rescale against relinearize followed by rescale (sizes 4 and 5, and keys for s³ and
/// s⁴: MultiPowerRelinTests.swift).
@Suite struct RelinearizeRescaleTests {
    let context: CKKSContext
    let encoder: CKKSEncoder
    let keygen: KeyGenerator
    let encryptor: Encryptor
    let decryptor: Decryptor
    let evaluator: Evaluator
    let relinKeys: RelinKeys

    init() throws {
        // Four data primes and P, as the pipeline's activation level (at a small ring).
        context = try CKKSContext(EncryptionParameters(polyModulusDegree: 8192, bitSizes: [50, 40, 40, 40, 45]))
        encoder = CKKSEncoder(context: context)
        keygen = KeyGenerator(context: context)
        encryptor = try Encryptor(context: context, publicKey: keygen.createPublicKey(), secretKey: keygen.secretKey)
        decryptor = try Decryptor(context: context, secretKey: keygen.secretKey)
        evaluator = Evaluator(context: context)
        relinKeys = try keygen.createRelinKeys(maxPower: 4)
    }

    func decrypt(_ ciphertext: Ciphertext) throws -> [Double] { try encoder.decode(decryptor.decrypt(ciphertext)) }

    func maxError(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    /// Coefficient-form rows of every polynomial of a ciphertext.
    func coefficients(_ ciphertext: Ciphertext) throws -> [[UInt64]] {
        let level = try #require(context.contextData(for: ciphertext.parmsID))
        let n = level.polyModulusDegree, k = level.coeffModulus.count
        return try (0..<(ciphertext.size * k)).map { r in
            var row = Array(ciphertext.data[(r * n)..<((r + 1) * n)])
            try level.nttTables[r % k].inverse(&row)
            return row
        }
    }

    /// How many coefficients of two ciphertexts at one level differ, expecting each difference to be ±1.
    func roundingDifferences(_ fused: Ciphertext, _ sequential: Ciphertext) throws -> Int {
        let level = try #require(context.contextData(for: fused.parmsID))
        var differences = 0
        for (r, (a, b)) in zip(try coefficients(fused), try coefficients(sequential)).enumerated() {
            let q = level.coeffModulus[r % level.coeffModulus.count].value
            #expect(zip(a, b).allSatisfy { $0 == $1 || $0 == ($1 + 1) % q || $1 == ($0 + 1) % q }, "row \(r)")
            differences += zip(a, b).filter { $0 != $1 }.count
        }
        return differences
    }

    @Test func fusedMatchesSequentialDownTheChain() throws {
        let slots = encoder.slotCount
        var values = (0..<slots).map { sin(Double($0) * 0.37) * 1.5 }
        var fused = try encryptor.encrypt(encoder.encode(values, scale: 0x1p40))
        // Square three times: levels of 4, 3 and 2 primes, each ending one level lower.
        for step in 0..<3 {
            let squared = try evaluator.square(fused)
            let sequential = try evaluator.rescaleToNext(evaluator.relinearize(squared, relinKeys: relinKeys))
            fused = try evaluator.relinearizeAndRescale(squared, relinKeys: relinKeys)
            values = values.map { $0 * $0 }
            #expect(fused.size == 2 && fused.parmsID == sequential.parmsID, "step \(step)")
            #expect(fused.scale == sequential.scale && fused.coeffModulusSize == sequential.coeffModulusSize)
            // Both round y = (P·c + u)/(P·q) to an integer, one once and one twice: they differ by at most 1, and
            // only where y is within 1/(2q) of a half-integer (probability ≈ 1/q per coefficient), so a wrong
            // rounding (a floor, a misplaced half) shows up as many differences.
            let differences = try roundingDifferences(fused, sequential)
            #expect(differences <= 2, "step \(step): \(differences) coefficients differ")
            let fusedValues = try decrypt(fused), sequentialValues = try decrypt(sequential)
            let fusedError = zip(fusedValues, values).map { abs($0 - $1) }.max() ?? .infinity
            let sequentialError = zip(sequentialValues, values).map { abs($0 - $1) }.max() ?? .infinity
            let apart = zip(fusedValues, sequentialValues).map { abs($0 - $1) }.max() ?? .infinity
            #expect(fusedError < 1e-4 && sequentialError < 1e-4, "step \(step): \(fusedError) \(sequentialError)")
            #expect(fusedError <= sequentialError * 1.01 + 1e-9, "step \(step): \(fusedError) > \(sequentialError)")
            #expect(apart < 1e-7, "step \(step): \(apart)")
        }
        // One prime left: no next level.
        let last = try encryptor.encrypt(encoder.encode([1.0], scale: 0x1p20, parmsID: context.lastParmsID))
        #expect(throws: CKKSError.endOfModulusChain) {
            try evaluator.relinearizeAndRescale(evaluator.square(last), relinKeys: relinKeys)
        }
    }

    @Test func sizeTwoIsRescaledAndSizeFourRefused() throws {
        let a = try encryptor.encrypt(encoder.encode([0.5, -1], scale: 0x1p40))
        let product = try evaluator.multiplyPlain(a, encoder.encode([2.0, 3], scale: 0x1p40))
        #expect(try evaluator.relinearizeAndRescale(product, relinKeys: relinKeys) == evaluator.rescaleToNext(product))
        let cube = try evaluator.multiply(evaluator.square(a), a)
        #expect(cube.size == 4)
        let squareOnly = try keygen.createRelinKeys()
        #expect(throws: CKKSError.self) { try evaluator.relinearizeAndRescale(cube, relinKeys: squareOnly) }
    }
}
