import NTT
import Testing

@Suite struct ShoupOperandTests {
    @Test func quotientAndProducts() throws {
        var rng = SplitMix64(seed: 3)
        for q: UInt64 in [2, 12289, 0xffffffffffe8001, (1 << 61) - 1, 0xfffff4c001] {
            let m = try Modulus(q)
            for _ in 0..<2000 {
                let w = UInt64.random(in: 0..<q, using: &rng)
                let s = ShoupOperand(w, modulus: m)
                #expect(UInt128(s.quotient) == (UInt128(w) << 64) / UInt128(q))
                let x = rng.next()
                let exact = UInt64(UInt128(x) * UInt128(w) % UInt128(q))
                let lazy = s.multiplyModLazy(x, modulus: m)
                #expect(lazy < 2 * q)
                #expect(lazy % q == exact)
                #expect(s.multiplyMod(x, modulus: m) == exact)
            }
        }
    }
}
