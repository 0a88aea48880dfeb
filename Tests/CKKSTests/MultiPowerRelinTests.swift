import Foundation
import NTT
import Testing

@testable import CKKS

/// Relinearization keys for s² … s^p and the relinearization of ciphertexts of size 4 and more, plain and fused
/// with the rescale (the suite's ring and keys, made with maxPower 4, are in RelinearizeRescaleTests.swift).
extension RelinearizeRescaleTests {
    var values: [Double] { (0..<encoder.slotCount).map { sin(Double($0) * 0.37) * 1.5 } }

    @Test func multiPowerKeysRoundTripThroughSEALBytes() throws {
        #expect(relinKeys.keys.data.count == 3 && relinKeys.keys.data.allSatisfy { $0.count == 4 })
        #expect(relinKeys.maxKeyPower == 4 && relinKeys.hasKey(keyPower: 3) && !relinKeys.hasKey(keyPower: 5))
        let bytes = try relinKeys.serialized()
        let loaded = try RelinKeys(serialized: bytes, context: context)
        #expect(loaded == relinKeys)
        #expect(try loaded.serialized() == bytes)
        // Seeded keys save each key's c1 as a seed and expand back to the same keys (a fixed-seed factory makes
        // the full and the seeded keys from the same randomness).
        let seed = try PRNGSeed(words: (1...8).map { 0x0123_4567_89AB_CDEF &* UInt64($0) })
        let fixed = try KeyGenerator(
            context: context, secretKey: keygen.secretKey,
            factory: UniformRandomGeneratorFactory(type: .blake2xb, defaultSeed: seed))
        let full = try fixed.createRelinKeys(maxPower: 3)
        let seededBytes = try fixed.createRelinKeys(maxPower: 3, seeded: true).serialized()
        #expect(seededBytes.count < (try full.serialized()).count * 6 / 10)
        let expanded = try RelinKeys(serialized: seededBytes, context: context)
        #expect(expanded.maxKeyPower == 3)
        #expect(expanded.keys.data.map { $0.map(\.data.data) } == full.keys.data.map { $0.map(\.data.data) })
    }

    @Test func firstKeyIsSEALsS2KeyWordForWord() throws {
        // SEAL lays s² … s^p out at indexes 0 … p−2 and makes them in that order, so the s² entry of a
        // multi-power set from SEAL's fixed seed is SEAL's own rk_full.bin.
        let sealContext = try CKKSContext(EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]))
        let seed = try PRNGSeed(words: (1...8).map { 0x0101_0101_0101_0101 &* UInt64($0) })
        let factory = UniformRandomGeneratorFactory(type: .blake2xb, defaultSeed: seed)
        let keys = try KeyGenerator(context: sealContext, factory: factory).createRelinKeys(maxPower: 3)
        let seal = try SEALFiles(context: sealContext, folder: "seal-4.1.2-seeded/").keys("rk_full.bin")
        #expect(keys.keys.data.count == 2 && keys.keys.data[0] == seal.data[0] && keys.keys.data[1] != seal.data[0])
        #expect(try KeyGenerator(context: sealContext, factory: factory).createRelinKeys().keys == seal)
    }

    @Test func sizeFourRelinearizesToTheCube() throws {
        let x = values
        let ct = try encryptor.encrypt(encoder.encode(x, scale: 0x1p40))
        let cube = try evaluator.multiply(evaluator.square(ct), ct)
        #expect(cube.size == 4 && cube.scale == 0x1p120)
        let expected = x.map { $0 * $0 * $0 }
        let relinearized = try evaluator.relinearize(cube, relinKeys: relinKeys)
        #expect(relinearized.size == 2 && relinearized.scale == 0x1p120)
        #expect(maxError(try decrypt(relinearized), expected) < 1e-6)
        let fused = try evaluator.relinearizeAndRescale(cube, relinKeys: relinKeys)
        #expect(fused.size == 2 && fused.coeffModulusSize == 3 && fused.scale < 0x1p81)
        #expect(maxError(try decrypt(fused), expected) < 1e-6)
        // The size-4 fused result decrypts as the two-step pipeline that relinearizes c2 first.
        let viaSizeThree = try evaluator.relinearizeAndRescale(
            evaluator.multiply(evaluator.relinearize(evaluator.square(ct), relinKeys: relinKeys), ct),
            relinKeys: relinKeys)
        #expect(maxError(try decrypt(viaSizeThree), try decrypt(fused)) < 1e-6)
    }

    @Test(arguments: [4, 3]) func fusedSizeFourMatchesRelinearizeThenRescale(primes: Int) throws {
        let x = values
        var ct = try encryptor.encrypt(encoder.encode(x, scale: 0x1p40))
        // At the top data level (ℓ = 4, every decomposition key) and one below (ℓ = 3, a prefix of them).
        while ct.coeffModulusSize > primes { try evaluator.modSwitchToNextInPlace(&ct) }
        let cube = try evaluator.multiply(evaluator.square(ct), ct)
        let sequential = try evaluator.rescaleToNext(evaluator.relinearize(cube, relinKeys: relinKeys))
        let fused = try evaluator.relinearizeAndRescale(cube, relinKeys: relinKeys)
        #expect(fused.parmsID == sequential.parmsID && fused.scale == sequential.scale)
        #expect(fused.coeffModulusSize == primes - 1)
        // The sequential path rounds each key switch by P and then the rescale by q; the fused one rounds the
        // sum once by P·q. The two integers differ by at most 1, and only where the fused quotient lies within
        // about 2/q of a half-integer, so a wrong accumulation or a second rounding shows up as many differences.
        let differences = try roundingDifferences(fused, sequential)
        #expect(differences <= 4, "\(differences) coefficients differ")
        let expected = x.map { $0 * $0 * $0 }
        let fusedError = maxError(try decrypt(fused), expected)
        let sequentialError = maxError(try decrypt(sequential), expected)
        #expect(fusedError < 1e-6 && sequentialError < 1e-6, "\(fusedError) \(sequentialError)")
        #expect(fusedError <= sequentialError * 1.01 + 1e-9, "\(fusedError) > \(sequentialError)")
    }

    @Test func sizeFiveWithKeysUpToS4() throws {
        let x = values
        let ct = try encryptor.encrypt(encoder.encode(x, scale: 0x1p38))
        let square = try evaluator.square(ct)
        let fourth = try evaluator.multiply(square, square)
        #expect(fourth.size == 5)
        let expected = x.map { $0 * $0 * $0 * $0 }
        #expect(maxError(try decrypt(fourth), expected) < 1e-5)
        #expect(maxError(try decrypt(evaluator.relinearize(fourth, relinKeys: relinKeys)), expected) < 1e-5)
        #expect(maxError(try decrypt(evaluator.relinearizeAndRescale(fourth, relinKeys: relinKeys)), expected) < 1e-5)
    }

    @Test func missingPowersAndBadCountsAreClearErrors() throws {
        let squareOnly = try keygen.createRelinKeys()
        #expect(squareOnly.maxKeyPower == 2)
        let ct = try encryptor.encrypt(encoder.encode([0.5, -1], scale: 0x1p40))
        var cube = try evaluator.multiply(evaluator.square(ct), ct)
        let original = cube
        let missing = "needs the relinearization key for s^3"
        for attempt in [
            { try evaluator.relinearizeInPlace(&cube, relinKeys: squareOnly) },
            { try evaluator.relinearizeAndRescaleInPlace(&cube, relinKeys: squareOnly) },
        ] {
            let error = #expect(throws: CKKSError.self) { try attempt() }
            #expect(error?.description.contains(missing) == true, "\(String(describing: error))")
            #expect(cube == original)
        }
        // Keys with an s³ entry but no s²: the message names s².
        let onlyCube = [[], relinKeys.keys.data[1]]
        let noSquare = RelinKeys(keys: KSwitchKeys(parmsID: relinKeys.keys.parmsID, data: onlyCube))
        let error = #expect(throws: CKKSError.self) { try evaluator.relinearize(cube, relinKeys: noSquare) }
        #expect(error?.description.contains("s^2") == true)
        #expect(noSquare.maxKeyPower == 1)
        for power in [Int.min, -1, 0, 1, KeyGenerator.maxRelinKeyPower + 1, Int.max] {
            #expect(throws: CKKSError.self) { try keygen.createRelinKeys(maxPower: power) }
        }
    }
}
