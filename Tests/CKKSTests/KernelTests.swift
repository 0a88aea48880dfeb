import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// Minimal reader of uncompressed SEAL 4.x ciphertexts and key-switching keys, for kernel tests.
struct RawCiphertext {
    var size: Int
    var degree: Int
    var primeCount: Int
    var scale: Double
    var words: [UInt64]

    static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    init(bytes: [UInt8], at offset: Int = 0) {
        size = Int(Self.u64(bytes, offset + 49))
        degree = Int(Self.u64(bytes, offset + 57))
        primeCount = Int(Self.u64(bytes, offset + 65))
        scale = Double(bitPattern: Self.u64(bytes, offset + 73))
        let count = Int(Self.u64(bytes, offset + 105))
        words = (0..<count).map { Self.u64(bytes, offset + 113 + 8 * $0) }
    }

    init(_ file: String) throws { self.init(bytes: [UInt8](try RepositoryPaths.vector(file))) }

    /// Every key ciphertext of a KSwitchKeys file, by outer index.
    static func keys(_ file: String) throws -> [[RawCiphertext]] {
        let bytes = [UInt8](try RepositoryPaths.vector(file))
        var offset = 48
        let dim1 = Int(u64(bytes, offset))
        offset += 8
        var result: [[RawCiphertext]] = []
        for _ in 0..<dim1 {
            let dim2 = Int(u64(bytes, offset))
            offset += 8
            var row: [RawCiphertext] = []
            for _ in 0..<dim2 {
                row.append(RawCiphertext(bytes: bytes, at: offset))
                offset += Int(u64(bytes, offset + 8))
            }
            result.append(row)
        }
        return result
    }
}

@Suite struct KernelTests {
    let n = 8192
    let keyModuli: [Modulus]
    let keyTables: [NTTTables]

    init() throws {
        keyModuli = try CoeffModulus.create(degree: 8192, bitSizes: [60, 40, 40, 60])
        keyTables = try keyModuli.map { try NTTTables(degree: 8192, modulus: $0) }
    }

    @Test func relinearizeKernelMatchesSEAL() throws {
        let product = try RawCiphertext("seal-4.1.2-seeded/ev_mul.bin")
        let expected = try RawCiphertext("seal-4.1.2-seeded/ev_relin.bin")
        let relinKeys = try RawCiphertext.keys("seal-4.1.2-seeded/rk_full.bin")
        let kernel = KeySwitchKernel(keyModuli: keyModuli, keyTables: keyTables)
        let l = product.primeCount
        var words = Array(product.words[0..<(2 * l * n)])
        let keyWords = relinKeys[0].map(\.words)
        let target = Array(product.words[(2 * l * n)...])
        withExtendedLifetime(keyWords) {
            let keyPointers = keyWords.map { $0.withUnsafeBufferPointer { $0.baseAddress! } }
            target.withUnsafeBufferPointer { t in
                words.withUnsafeMutableBufferPointer { w in
                    kernel.apply(
                        target: t.baseAddress!, level: l, degree: n, keys: keyPointers, c0: w.baseAddress!,
                        c1: w.baseAddress! + l * n)
                }
            }
        }
        #expect(words == expected.words)
    }

    @Test func rescaleKernelMatchesSEAL() throws {
        let input = try RawCiphertext("seal-4.1.2-seeded/ev_relin.bin")
        let expected = try RawCiphertext("seal-4.1.2-seeded/ev_rescale.bin")
        let l = input.primeCount
        let down = DivideAndRoundLast(moduli: Array(keyModuli[0..<l]), tables: Array(keyTables[0..<l]))
        var words = input.words
        var scratch = [UInt64](repeating: 0, count: n)
        var out: [UInt64] = []
        words.withUnsafeMutableBufferPointer { w in
            scratch.withUnsafeMutableBufferPointer { s in
                for p in 0..<2 {
                    down.apply(w.baseAddress! + p * l * n, degree: n, scratch: s.baseAddress!)
                    out += w[(p * l * n)..<(p * l * n + (l - 1) * n)]
                }
            }
        }
        #expect(out == expected.words)
        #expect(input.scale / Double(keyModuli[l - 1].value) == expected.scale)
    }
}
