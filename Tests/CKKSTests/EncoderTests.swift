import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// The words of a SEAL plaintext file saved uncompressed (header 16, parms_id 32, count 8, scale 8, DynArray 24).
func plaintextWords(_ data: Data) -> (scale: Double, words: [UInt64]) {
    let bytes = [UInt8](data)
    func u64(_ offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
    let count = Int(u64(48))
    let scale = Double(bitPattern: u64(56))
    return (scale, (0..<count).map { u64(88 + 8 * $0) })
}

func level(degree: Int, bitSizes: [Int], dropLast: Bool = true) throws -> EncodingLevel {
    var moduli = try CoeffModulus.create(degree: degree, bitSizes: bitSizes)
    if dropLast { moduli.removeLast() }
    return EncodingLevel(moduli: moduli, tables: try moduli.map { try NTTTables(degree: degree, modulus: $0) })
}

/// The inputs of vectors/seal-4.1.2-seeded/README.md step 7.
func sealSeededInputs() -> (v1: [Complex64], v2: [Complex64]) {
    let v1 = (0..<4096).map { i in Complex64(0.001 * Double(i) - 1.5, 0.5 - 0.0003 * Double(i)) }
    let v2 = (0..<4096).map { i in Complex64(sin(0.01 * Double(i)), cos(0.02 * Double(i))) }
    return (v1, v2)
}

@Suite struct EncoderTests {
    @Test func vectorEncodeMatchesSEALWordForWord() throws {
        let fft = EncoderFFT(degree: 8192)
        let lvl = try level(degree: 8192, bitSizes: [60, 40, 40, 60])
        let (v1, v2) = sealSeededInputs()
        for (values, file) in [(v1, "pt1.bin"), (v2, "pt2.bin")] {
            let expected = plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/" + file))
            let words = try values.withUnsafeBufferPointer { try fft.encodeWords($0, scale: 0x1p40, level: lvl) }
            #expect(words == expected.words, "\(file)")
        }
    }

    @Test func constantsAndBigScaleMatchSEAL() throws {
        let fft = EncoderFFT(degree: 8192)
        let lvl = try level(degree: 8192, bitSizes: [60, 40, 40, 60])
        let constant = try fft.encodeConstantWords(3.14159, scale: 0x1p40, level: lvl)
        #expect(constant == plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/pt_const.bin")).words)
        let big = try [Complex64(1), Complex64(-2), Complex64(3.5)].withUnsafeBufferPointer {
            try fft.encodeWords($0, scale: 0x1p100, level: lvl)
        }
        #expect(big == plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/pt_bigscale.bin")).words)
        let filled = [Complex64](repeating: Complex64(0.25, -0.75), count: 4096)
        let cconst = try filled.withUnsafeBufferPointer { try fft.encodeWords($0, scale: 0x1p40, level: lvl) }
        #expect(cconst == plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/pt_cconst.bin")).words)
    }

    @Test func decodeOfSEALPlaintextIsClose() throws {
        let fft = EncoderFFT(degree: 8192)
        let lvl = try level(degree: 8192, bitSizes: [60, 40, 40, 60])
        let (v1, _) = sealSeededInputs()
        let pt = plaintextWords(try RepositoryPaths.vector("seal-4.1.2-seeded/pt1.bin"))
        let decoded = fft.decodeWords(pt.words, scale: pt.scale, level: lvl)
        let worst = zip(decoded, v1).map { max(($0.real - $1.real).magnitude, ($0.imaginary - $1.imaginary).magnitude) }
            .max() ?? 1
        #expect(worst < 1e-9)
    }
}
