import NTT
import Testing

@Suite struct WideSumTests {
    /// 64 products of 61-bit residues (the most that bound allows, the worst case q − 1 first) and 255 of 60-bit
    /// ones after a canonical start value (the engine's bound) sum exactly: the reduced lazy sum equals the sum
    /// reduced product by product, in registers and in two rows of words.
    @Test func lazySumsEqualReducedSums() throws {
        for (bits, products) in [(61, 64), (60, 255)] {
            let modulus = try Modulus(bits == 61 ? (1 << 61) - 1 : 1_152_921_504_606_830_593)
            let count = 32
            var rng = SplitMix64(seed: UInt64(bits))
            var rows = [[UInt64]](repeating: [UInt64](repeating: modulus.value - 1, count: count), count: 2)
            for _ in 2..<(2 * products) { rows.append(randomResidues(count, below: modulus.value, using: &rng)) }
            let start = randomResidues(count, below: modulus.value, using: &rng)
            var sums = start.map { WideSum(bits == 60 ? $0 : 0) }
            var low = bits == 60 ? start : [UInt64](repeating: 0, count: count)
            var high = [UInt64](repeating: 0, count: count)
            var expected = bits == 60 ? start : [UInt64](repeating: 0, count: count)
            for pair in stride(from: 0, to: rows.count, by: 2) {
                for i in 0..<count {
                    sums[i].add(rows[pair][i], times: rows[pair + 1][i])
                    WideSum.add(WideSum(rows[pair][i], times: rows[pair + 1][i]), low: &low[i], high: &high[i])
                    expected[i] = modulus.addMod(expected[i], modulus.multiplyMod(rows[pair][i], rows[pair + 1][i]))
                }
            }
            #expect(sums.map { $0.reduced(modulus) } == expected, "\(bits)-bit")
            #expect((0..<count).map { modulus.reduce(high: high[$0], low: low[$0]) } == expected, "\(bits)-bit")
        }
    }
}
