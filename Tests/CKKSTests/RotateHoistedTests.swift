import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// Hoisted rotations (`Evaluator.rotateVectorHoisted`, `applyGaloisHoisted`): SEAL's own rotation outputs byte for
/// byte, the single-step rotations word for word on random inputs, and the errors.
@Suite struct RotateHoistedTests {
    // MARK: SEAL's files

    @Test func oneHoistedCallGivesSEALsRotationsN4096() throws {
        let context = try CKKSContext(EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39]))
        let files = SEALFiles(context: context, folder: "ops/n4096/")
        let galoisKeys = GaloisKeys(keys: try files.keys("gk.bin"))
        let evaluator = Evaluator(context: context)
        func bytes(_ file: String) throws -> [UInt8] { try [UInt8](RepositoryPaths.vector("ops/n4096/" + file)) }

        // gk.bin holds steps 1, −1, 4 and conjugation: step 3 is SEAL's NAF rotation by −1 then 4.
        let rotated = try evaluator.rotateVectorHoisted(
            files.ciphertext("c1.bin"), steps: [1, 3, -1], galoisKeys: galoisKeys)
        #expect(rotated.count == 3)
        #expect(try rotated[0].serialized(version: .v4_4) == bytes("ev_rot1.bin"))
        #expect(try rotated[1].serialized(version: .v4_4) == bytes("ev_rot3.bin"))
        #expect(try rotated[2].serialized(version: .v4_4) == bytes("ev_rotm1.bin"))

        let conjugate = GaloisTool.conjugateElement(degree: 4096)
        let byElement = try evaluator.applyGaloisHoisted(
            files.ciphertext("c1.bin"), elements: [conjugate, 3], galoisKeys: galoisKeys)
        #expect(try byElement[0].serialized(version: .v4_4) == bytes("ev_conj.bin"))
        #expect(try byElement[1].serialized(version: .v4_4) == bytes("ev_rot1.bin"))

        // One prime fewer: the digit of the special prime and one data prime.
        let level1 = try evaluator.rotateVectorHoisted(
            files.ciphertext("ev_modswitch.bin"), steps: [1, -1], galoisKeys: galoisKeys)
        #expect(try level1[0].serialized(version: .v4_4) == bytes("ev_rot1_level1.bin"))
        #expect(
            level1[1]
                == (try evaluator.rotateVector(files.ciphertext("ev_modswitch.bin"), steps: -1, galoisKeys: galoisKeys))
        )
    }

    @Test func oneHoistedCallGivesSEALsRotationsN8192() throws {
        // SEAL 4.1.2's fixed-seed files: N = 8192, {60, 40, 40, 60}, keys for steps 1, −1 and conjugation.
        let context = SEALVectors.context
        let files = SEALFiles(context: context, folder: "seal-4.1.2-seeded/")
        let galoisKeys = GaloisKeys(keys: try files.keys("gk_full.bin"))
        let evaluator = Evaluator(context: context)
        let c1 = try files.ciphertext("ct_pk.bin")

        let rotated = try evaluator.rotateVectorHoisted(c1, steps: [1, -1, 0], galoisKeys: galoisKeys)
        #expect(try rotated[0].serialized() == SEALVectors.bytes("ev_rot1.bin"))
        #expect(try rotated[1].serialized() == SEALVectors.bytes("ev_rotm1.bin"))
        #expect(rotated[2] == c1)
        let conjugated = try evaluator.applyGaloisHoisted(
            c1, elements: [GaloisTool.conjugateElement(degree: 8192)], galoisKeys: galoisKeys)
        #expect(try conjugated[0].serialized() == SEALVectors.bytes("ev_conj.bin"))

        let level1 = try evaluator.rotateVectorHoisted(
            files.ciphertext("ev_modswitch.bin"), steps: [1, -1], galoisKeys: galoisKeys)
        #expect(try level1[0].serialized() == SEALVectors.bytes("ev_rot1_level1.bin"))
        #expect(
            try level1[1]
                == evaluator.rotateVector(files.ciphertext("ev_modswitch.bin"), steps: -1, galoisKeys: galoisKeys))
    }

    // MARK: Word for word with the single rotations

    /// A ring with its keys: every prime relation occurs (a data prime above the special prime, so digits are
    /// reduced into it, and below it).
    struct Ring: CustomTestStringConvertible, Sendable {
        let degree: Int
        let bitSizes: [Int]
        let securityLevel: SecurityLevel
        var testDescription: String { "N=\(degree) \(bitSizes)" }
    }

    static let rings = [
        Ring(degree: 8192, bitSizes: [40, 55, 30, 45], securityLevel: .tc128),
        Ring(degree: 4096, bitSizes: [30, 40, 39], securityLevel: .tc128),
        // Small primes, all of one size.
        Ring(degree: 2048, bitSizes: [18, 18, 18], securityLevel: .none),
    ]

    /// A fixed-seed context, keys and encryptor for a ring.
    struct Fixture {
        let context: CKKSContext
        let keygen: KeyGenerator
        let encryptor: Encryptor
        let evaluator: Evaluator
        let encoder: CKKSEncoder

        init(_ ring: Ring, seed: UInt64 = 7) throws {
            context = try CKKSContext(
                EncryptionParameters(polyModulusDegree: ring.degree, bitSizes: ring.bitSizes),
                securityLevel: ring.securityLevel)
            let factory = UniformRandomGeneratorFactory(
                type: .blake2xb,
                defaultSeed: try PRNGSeed(words: (1...8).map { seed &* 0x9E37_79B9_7F4A_7C15 &* UInt64($0) }))
            keygen = KeyGenerator(context: context, factory: factory)
            encryptor = try Encryptor(context: context, secretKey: keygen.secretKey, factory: factory)
            evaluator = Evaluator(context: context)
            encoder = CKKSEncoder(context: context)
        }

        /// A ciphertext of uniformly random words at the first data level, then modulus-switched `drops` times.
        ///
        /// With `zeroing`, every 101st coefficient of c1's first digit is then set to zero: a random digit has a
        /// zero coefficient with probability about N/q only, and SEAL's digit differs from the permuted hoisted
        /// one where the automorphism flips the sign of a zero.
        func randomCiphertext(seed: UInt64, drops: Int = 0, zeroing: Bool = false) throws -> Ciphertext {
            let level = context.firstContextData
            var ciphertext = Ciphertext(zeroAt: level, scale: 0x1p8)
            var state = seed
            let n = level.polyModulusDegree
            for p in 0..<2 {
                for (j, q) in level.coeffModulus.enumerated() {
                    for i in 0..<n {
                        // SplitMix64, reduced: uniform enough for a test of exactness.
                        state &+= 0x9E37_79B9_7F4A_7C15
                        var z = state
                        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                        ciphertext.data[(p * level.coeffModulus.count + j) * n + i] = q.reduce(z ^ (z >> 31))
                    }
                }
            }
            for _ in 0..<drops { ciphertext = try evaluator.modSwitchToNext(ciphertext) }
            if zeroing {
                let l = ciphertext.coeffModulusSize
                let table = try #require(context.chain.first { $0.parmsID == ciphertext.parmsID }).nttTables[0]
                ciphertext.data.withUnsafeMutableBufferPointer { buffer in
                    guard let row = buffer.baseAddress.map({ $0 + l * n }) else { return }
                    table.inverse(row)
                    for i in stride(from: 0, to: n, by: 101) { row[i] = 0 }
                    table.forward(row)
                }
            }
            return ciphertext
        }
    }

    /// Steps with keys of their own, and steps composed from NAF terms (no key of their own).
    static func steps(degree n: Int) -> (keyed: [Int], composed: [Int]) {
        let half = n / 2
        return ([1, 2, 3, -1, -2, -7, 100, -1000 % half, half - 1, -(half - 1), half / 2, 0], [5, 11, -300 % half])
    }

    @Test(arguments: rings)
    func hoistedEqualsRotateVectorWordForWord(ring: Ring) throws {
        let fixture = try Fixture(ring)
        let (keyed, composed) = Self.steps(degree: ring.degree)
        let terms = composed.flatMap { GaloisTool.naf($0) }.filter { $0.magnitude != UInt(ring.degree / 2) }
        let galoisKeys = try fixture.keygen.createGaloisKeys(steps: keyed + terms)
        for step in composed {
            let element = try GaloisTool.galoisElement(step: step, degree: ring.degree)
            #expect(!galoisKeys.hasKey(galoisElement: element), "step \(step) must go through its NAF")
        }
        let steps = keyed + composed + [1]  // a repeated step too
        let evaluator = fixture.evaluator
        let levels = fixture.context.chain.count - 1  // data levels; the last has one prime
        var inputs: [Ciphertext] = []
        for drops in 0..<levels {
            inputs.append(try fixture.randomCiphertext(seed: UInt64(17 + drops), drops: drops))
            inputs.append(try fixture.randomCiphertext(seed: UInt64(17 + drops), drops: drops, zeroing: true))
        }
        let values = (0..<fixture.encoder.slotCount).map { sin(Double($0) * 0.1) }
        inputs.append(try fixture.encryptor.encryptSymmetric(fixture.encoder.encode(values, scale: 0x1p12)))
        for input in inputs {
            let hoisted = try evaluator.rotateVectorHoisted(input, steps: steps, galoisKeys: galoisKeys)
            #expect(hoisted.count == steps.count)
            for (step, result) in zip(steps, hoisted) {
                let single = try evaluator.rotateVector(input, steps: step, galoisKeys: galoisKeys)
                #expect(result == single, "step \(step) at \(input.coeffModulusSize) primes")
                #expect(result.seed == nil || step == 0)
            }
        }
    }

    @Test func hoistedRotationsDecryptToRotatedSlots() throws {
        let fixture = try Fixture(Self.rings[1])
        let decryptor = try Decryptor(context: fixture.context, secretKey: fixture.keygen.secretKey)
        let slots = fixture.encoder.slotCount
        let values = (0..<slots).map { Double($0 % 97) / 97 - 0.5 }
        let steps = [1, -3, 700, 5]
        let galoisKeys = try fixture.keygen.createGaloisKeys(steps: [1, -3, 700, 4])
        let input = try fixture.encryptor.encryptSymmetric(fixture.encoder.encode(values, scale: 0x1p30))
        let rotated = try fixture.evaluator.rotateVectorHoisted(input, steps: steps, galoisKeys: galoisKeys)
        for (step, ciphertext) in zip(steps, rotated) {
            let decoded = try fixture.encoder.decode(decryptor.decrypt(ciphertext))
            let expected = (0..<slots).map { values[(($0 + step) % slots + slots) % slots] }
            let worst = zip(decoded, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-3, "step \(step): error \(worst)")
        }
    }

    @Test(arguments: rings)
    func conjugationHoistsWithRotations(ring: Ring) throws {
        let fixture = try Fixture(ring)
        let n = ring.degree
        let galoisKeys = try fixture.keygen.createGaloisKeys(steps: [0, 1, -5])
        let elements =
            try [GaloisTool.conjugateElement(degree: n)] + GaloisTool.galoisElements(steps: [1, -5], degree: n)
        let input = try fixture.randomCiphertext(seed: 99)
        let hoisted = try fixture.evaluator.applyGaloisHoisted(
            input, elements: elements + [elements[0]], galoisKeys: galoisKeys)
        #expect(hoisted.count == 4)
        #expect(hoisted[0] == (try fixture.evaluator.complexConjugate(input, galoisKeys: galoisKeys)))
        #expect(hoisted[3] == hoisted[0])
        for (element, result) in zip(elements, hoisted) {
            #expect(result == (try fixture.evaluator.applyGalois(input, element: element, galoisKeys: galoisKeys)))
        }
    }

    // MARK: Zero coefficients

    /// Where the automorphism flips the sign of a zero coefficient of c1, SEAL's digit has 0 where the permuted
    /// hoisted digit has q_J mod r; such digits must be made SEAL's way.
    @Test func zeroCoefficientsInC1StillMatch() throws {
        let fixture = try Fixture(Self.rings[0])
        let context = fixture.context
        let level = context.firstContextData
        let n = level.polyModulusDegree
        let logN = UInt64(n).log2
        let l = level.coeffModulus.count
        let steps = [1, -1, 7, 2000]
        let galoisKeys = try fixture.keygen.createGaloisKeys(steps: steps + [0])
        let elements = try GaloisTool.galoisElements(steps: steps, degree: n)
        var input = try fixture.randomCiphertext(seed: 5)
        // Zero, in every digit of c1, a few coefficients that step 1's automorphism moves with a sign change and a
        // few that it does not; in digit 1 also every coefficient that step 2000's flips.
        var flippedZeros = 0
        input.data.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for j in 0..<l {
                let row = base + (l + j) * n
                level.nttTables[j].inverse(row)
                for i in [0, 1, 2, n / 2, n - 3, n - 1, 1234] { row[i] = 0 }
                if j == 1 {
                    for i in 0..<n where ((UInt64(i) &* elements[3]) >> logN) & 1 == 1 { row[i] = 0 }
                }
                flippedZeros += (0..<n).filter { row[$0] == 0 && ((UInt64($0) &* elements[0]) >> logN) & 1 == 1 }.count
                level.nttTables[j].forward(row)
            }
        }
        #expect(flippedZeros >= l)
        let hoisted = try fixture.evaluator.rotateVectorHoisted(input, steps: steps, galoisKeys: galoisKeys)
        for (step, result) in zip(steps, hoisted) {
            #expect(
                result == (try fixture.evaluator.rotateVector(input, steps: step, galoisKeys: galoisKeys)),
                "step \(step)")
        }
        let conjugated = try fixture.evaluator.applyGaloisHoisted(
            input, elements: [GaloisTool.conjugateElement(degree: n)], galoisKeys: galoisKeys)
        #expect(conjugated[0] == (try fixture.evaluator.complexConjugate(input, galoisKeys: galoisKeys)))

        // A digit of c1 that is zero throughout.
        input.data.withUnsafeMutableBufferPointer { buffer in
            (buffer.baseAddress! + (l + 2) * n).update(repeating: 0, count: n)
        }
        let zeroDigit = try fixture.evaluator.rotateVectorHoisted(input, steps: steps, galoisKeys: galoisKeys)
        for (step, result) in zip(steps, zeroDigit) {
            #expect(
                result == (try fixture.evaluator.rotateVector(input, steps: step, galoisKeys: galoisKeys)),
                "step \(step)")
        }
    }

    // MARK: Errors

    @Test func missingKeysAndBadInputsThrow() throws {
        let fixture = try Fixture(Self.rings[1])
        let evaluator = fixture.evaluator
        let galoisKeys = try fixture.keygen.createGaloisKeys(steps: [1, 4])
        let input = try fixture.randomCiphertext(seed: 3)
        // Step 2 has no key and is a power of two (its NAF is itself); step 3 = −1 + 4 lacks the key for −1.
        #expect(throws: CKKSError.missingGaloisKey(step: 2, element: 9)) {
            try evaluator.rotateVectorHoisted(input, steps: [1, 2], galoisKeys: galoisKeys)
        }
        let minusOne = try GaloisTool.galoisElement(step: -1, degree: 4096)
        #expect(throws: CKKSError.missingGaloisKey(step: -1, element: minusOne)) {
            try evaluator.rotateVectorHoisted(input, steps: [3], galoisKeys: galoisKeys)
        }
        #expect(throws: CKKSError.missingGaloisKey(step: nil, element: 8191)) {
            try evaluator.applyGaloisHoisted(input, elements: [3, 8191], galoisKeys: galoisKeys)
        }
        #expect(throws: CKKSError.self) {
            try evaluator.rotateVectorHoisted(input, steps: [2048], galoisKeys: galoisKeys)
        }
        #expect(throws: CKKSError.self) {
            try evaluator.rotateVectorHoisted(input, steps: [-2048], galoisKeys: galoisKeys)
        }
        #expect(throws: CKKSError.self) {
            try evaluator.applyGaloisHoisted(input, elements: [4], galoisKeys: galoisKeys)
        }
        #expect(throws: CKKSError.self) {
            try evaluator.applyGaloisHoisted(input, elements: [8193], galoisKeys: galoisKeys)
        }
        // Size 3, and a ciphertext of another context.
        let square = try evaluator.square(input)
        #expect(throws: CKKSError.self) {
            try evaluator.rotateVectorHoisted(square, steps: [1], galoisKeys: galoisKeys)
        }
        let other = try Fixture(Self.rings[0])
        #expect(throws: CKKSError.self) {
            try evaluator.rotateVectorHoisted(other.randomCiphertext(seed: 1), steps: [1], galoisKeys: galoisKeys)
        }
        // Keys of another context with the same degree.
        let sameDegree = try Fixture(Ring(degree: 4096, bitSizes: [36, 36, 37], securityLevel: .tc128))
        let foreignKeys = try sameDegree.keygen.createGaloisKeys(steps: [1])
        #expect(throws: CKKSError.self) {
            try evaluator.rotateVectorHoisted(input, steps: [1], galoisKeys: foreignKeys)
        }
        // Nothing asked, nothing done; step 0 alone is the input.
        #expect(try evaluator.rotateVectorHoisted(input, steps: [], galoisKeys: galoisKeys).isEmpty)
        #expect(try evaluator.rotateVectorHoisted(input, steps: [0, 0], galoisKeys: galoisKeys) == [input, input])
    }
}
