import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// Fixed-seed reproduction of vectors/seal-4.1.2-seeded (README: seed word i = 0x0101010101010101·(i+1)).
@Suite struct RLWETests {
    let n = 8192
    let keyModuli: [Modulus]
    let keyTables: [NTTTables]
    let factory: UniformRandomGeneratorFactory

    init() throws {
        keyModuli = try CoeffModulus.create(degree: 8192, bitSizes: [60, 40, 40, 60])
        keyTables = try keyModuli.map { try NTTTables(degree: 8192, modulus: $0) }
        let seed = try PRNGSeed(words: (1...8).map { 0x0101_0101_0101_0101 &* UInt64($0) })
        factory = UniformRandomGeneratorFactory(type: .blake2xb, defaultSeed: seed)
    }

    func secretKey() -> [UInt64] {
        var prng = factory.create()
        var s = RLWESampler.ternary(degree: n, moduli: keyModuli, using: &prng)
        s.withUnsafeMutableBufferPointer { b in for j in 0..<keyModuli.count { keyTables[j].forward(b.baseAddress! + j * n) } }
        return s
    }

    @Test func secretAndPublicKeysMatchSEAL() throws {
        let s = secretKey()
        #expect(s == plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/sk.bin")).words)
        let pk = s.withUnsafeBufferPointer {
            RLWE.encryptZeroSymmetric(
                secret: $0.baseAddress!, moduli: keyModuli, tables: keyTables, degree: n, factory: factory)
        }
        #expect(pk.words == (try RawCiphertext("seal-4.1.2-seeded/pk_full.bin")).words)
        let seededBytes = [UInt8](try RepositoryPaths.vector("seal-4.1.2-seeded/pk_seeded.bin"))
        #expect(Array(seededBytes.suffix(64)) == pk.seed.bytes)
    }

    @Test func relinKeysMatchSEAL() throws {
        let s = secretKey()
        var square = s
        for j in 0..<keyModuli.count {
            for i in 0..<n { square[j * n + i] = keyModuli[j].multiplyMod(s[j * n + i], s[j * n + i]) }
        }
        let expected = try RawCiphertext.keys("seal-4.1.2-seeded/rk_full.bin")[0]
        let p = keyModuli[keyModuli.count - 1].value
        for i in 0..<(keyModuli.count - 1) {
            var key = s.withUnsafeBufferPointer {
                RLWE.encryptZeroSymmetric(
                    secret: $0.baseAddress!, moduli: keyModuli, tables: keyTables, degree: n, factory: factory
                ).words
            }
            let q = keyModuli[i]
            let factor = q.reduce(p)
            for c in 0..<n { key[i * n + c] = q.addMod(key[i * n + c], q.multiplyMod(factor, square[i * n + c])) }
            #expect(key == expected[i].words)
        }
    }

    @Test func encryptionsMatchSEAL() throws {
        let s = secretKey()
        let pk = try RawCiphertext("seal-4.1.2-seeded/pk_full.bin")
        let pt1 = plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/pt1.bin")).words
        let pt2 = plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/pt2.bin")).words
        let level = Array(keyModuli.dropLast())
        var sym = s.withUnsafeBufferPointer {
            RLWE.encryptZeroSymmetric(
                secret: $0.baseAddress!, moduli: level, tables: Array(keyTables.dropLast()), degree: n, factory: factory)
        }
        for j in 0..<3 { for i in 0..<n { sym.words[j * n + i] = level[j].addMod(sym.words[j * n + i], pt2[j * n + i]) } }
        #expect(sym.words == (try RawCiphertext("seal-4.1.2-seeded/ct_sym_full.bin")).words)
        let seeded = try RawCiphertext("seal-4.1.2-seeded/ct_sym_seeded.bin")
        #expect(seeded.words == Array(sym.words[0..<(3 * n)]))

        var asym = pk.words.withUnsafeBufferPointer {
            RLWE.encryptZeroAsymmetric(
                publicKey: $0.baseAddress!, publicKeyRows: 4, moduli: keyModuli, tables: keyTables, degree: n,
                modDown: DivideAndRoundLast(moduli: keyModuli, tables: keyTables), factory: factory)
        }
        for j in 0..<3 { for i in 0..<n { asym[j * n + i] = level[j].addMod(asym[j * n + i], pt1[j * n + i]) } }
        #expect(asym == (try RawCiphertext("seal-4.1.2-seeded/ct_pk.bin")).words)
    }
}
