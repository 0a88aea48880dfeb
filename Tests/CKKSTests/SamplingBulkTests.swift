import NTT
import Testing

@testable import CKKS

/// A stream of fixed 32-bit words, to drive the samplers' rare redraw paths.
struct ScriptedGenerator: UniformRandomGenerator {
    var words: [UInt32]
    var position = 0
    var info: UniformRandomGeneratorInfo {
        UniformRandomGeneratorInfo(type: .blake2xb, seed: (try? PRNGSeed(words: [UInt64](repeating: 0, count: 8)))!)
    }

    mutating func generate(into buffer: UnsafeMutableRawBufferPointer) {
        var bytes: [UInt8] = []
        while bytes.count < buffer.count {
            let word = words[position % words.count]
            position += 1
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) }
        }
        precondition(bytes.count == buffer.count, "scripted draws are whole words")
        buffer.copyBytes(from: bytes)
    }
}

/// The bulk draws of the ternary sampler consume the stream exactly as one draw per call does, including the
/// redraw after a zero word (which takes the next word of the stream, after the bulk block).
@Test func ternaryBulkDrawsKeepSEALsOrderAcrossRedraws() throws {
    let moduli = try CoeffModulus.create(degree: 8, bitSizes: [30])
    // Zeros at stream positions 2 and 7 force redraws: each takes the next word, so coefficient 2 gets word 3
    // and coefficient 7 gets word 9, past the bulk block of 8.
    let script: [UInt32] = [
        0x1000_0000, 0x6000_0000, 0, 0xB000_0000, 0x2000_0000, 0x9000_0000, 0xF000_0000, 0,
        0x4000_0000, 0xC000_0000,
    ]
    var generator = ScriptedGenerator(words: script)
    var bulk = [UInt64](repeating: 0, count: 8)
    bulk.withUnsafeMutableBufferPointer {
        RLWESampler.sampleTernary(into: $0, degree: 8, moduli: moduli, using: &generator)
    }
    // Reference: one draw at a time with Lemire's redraw.
    var reference = ScriptedGenerator(words: script)
    let q = moduli[0].value
    let expected: [UInt64] = (0..<8).map { _ in
        var product = UInt64(reference.nextUInt32()) &* 3
        while UInt32(truncatingIfNeeded: product) < 1 { product = UInt64(reference.nextUInt32()) &* 3 }
        let r = product >> 32
        return r == 0 ? q - 1 : r - 1
    }
    #expect(bulk == expected)
    #expect(generator.position == 10 && reference.position == 10)
    #expect(bulk == [q - 1, 0, 1, q - 1, 0, 1, q - 1, 1])
}
