import NTT
import Testing

@Suite struct PolyArithmeticTests {
    /// A lazy 128-bit dot product of 64 rows (the most the 61-bit bound allows) equals the reduced sum.
    @Test func wideAccumulationEqualsReducedSum() throws {
        let modulus = try Modulus((1 << 61) - 1)
        let count = 32
        var rng = SplitMix64(seed: 61)
        // Worst case first: every residue q − 1.
        var rows = [[UInt64]](repeating: [UInt64](repeating: modulus.value - 1, count: count), count: 2)
        for _ in 0..<126 { rows.append(randomResidues(count, below: modulus.value, using: &rng)) }
        var accumulator = [UInt128](repeating: 0, count: count)
        var expected = [UInt64](repeating: 0, count: count)
        for pair in stride(from: 0, to: rows.count, by: 2) {
            accumulator.withUnsafeMutableBufferPointer { acc in
                PolyArithmetic.multiplyAccumulateWide(rows[pair], rows[pair + 1], into: acc.baseAddress!, count: count)
            }
            for i in 0..<count {
                expected[i] = modulus.addMod(expected[i], modulus.multiplyMod(rows[pair][i], rows[pair + 1][i]))
            }
        }
        var output = [UInt64](repeating: 0, count: count)
        accumulator.withUnsafeBufferPointer { acc in
            output.withUnsafeMutableBufferPointer { out in
                PolyArithmetic.reduce(wide: acc.baseAddress!, into: out.baseAddress!, count: count, modulus: modulus)
            }
        }
        #expect(output == expected)
    }
}
