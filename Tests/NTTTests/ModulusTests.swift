import NTT
import Testing

@Suite struct ModulusTests {
    @Test func rejectsOutOfRangeValues() {
        #expect(throws: NTTError.invalidModulus(0)) { try Modulus(0) }
        #expect(throws: NTTError.invalidModulus(1)) { try Modulus(1) }
        #expect(throws: NTTError.invalidModulus(1 << 61)) { try Modulus(1 << 61) }
        #expect((try? Modulus((1 << 61) - 1)) != nil)
    }

    @Test func barrettConstantsMatchDefinition() throws {
        for q: UInt64 in [2, 3, 1024, 0xffffffffffe8001, 0xfffff4c001, (1 << 61) - 1, 65537] {
            let m = try Modulus(q)
            let ratio = UInt128.max / UInt128(q) + (UInt128.max % UInt128(q) == UInt128(q) - 1 ? 1 : 0)
            #expect(m.barrettHigh == UInt64(ratio >> 64))
            #expect(m.barrettLow == UInt64(truncatingIfNeeded: ratio))
            let remainder = (UInt128.max % UInt128(q) + 1) % UInt128(q)
            #expect(m.barrettRemainder == UInt64(remainder))
            #expect(m.bitCount == 64 - q.leadingZeroBitCount)
        }
        // SEAL's 60-bit example prime: floor(2^64 / q) = 16 for q just below 2^60.
        #expect(try Modulus(0xffffffffffe8001).barrettHigh == 16)
    }

    @Test func reductionsAgreeWithDivision() throws {
        var rng = SplitMix64(seed: 1)
        for q: UInt64 in [2, 3, 17, 0xffffffffffe8001, (1 << 61) - 1, 0xfffff4c001, 12289, (1 << 40) + 15] {
            let m = try Modulus(q)
            for _ in 0..<2000 {
                let x = rng.next()
                let y = rng.next()
                #expect(m.reduce(x) == x % q)
                let wide = UInt128(x) << 64 | UInt128(y)
                #expect(m.reduce(wide) == UInt64(wide % UInt128(q)))
                let a = x % q
                let b = y % q
                #expect(m.multiplyMod(a, b) == UInt64(UInt128(a) * UInt128(b) % UInt128(q)))
                #expect(m.multiplyMod(x, y) == UInt64(UInt128(x) * UInt128(y) % UInt128(q)))
                #expect(m.addMod(a, b) == UInt64((UInt128(a) + UInt128(b)) % UInt128(q)))
                #expect(m.subMod(a, b) == UInt64((UInt128(a) + UInt128(q) - UInt128(b)) % UInt128(q)))
                #expect(m.addMod(m.negateMod(a), a) == 0)
            }
            for edge: UInt64 in [0, 1, q - 1, q, q + 1, UInt64.max, UInt64.max - 1] {
                #expect(m.reduce(edge) == edge % q)
                #expect(
                    m.reduce(UInt128(edge) << 64 | UInt128(edge))
                        == UInt64((UInt128(edge) << 64 | UInt128(edge)) % UInt128(q)))
            }
            #expect(m.negateMod(0) == 0)
        }
    }

    @Test func powAndInverse() throws {
        let m = try Modulus(0xfffffdc001)
        #expect(m.powMod(3, 0) == 1)
        #expect(m.powMod(0, 0) == 1)
        #expect(m.powMod(2, 10) == 1024)
        // Fermat: a^(q-1) = 1 for a prime q.
        #expect(m.powMod(123_456_789, m.value - 1) == 1)
        var rng = SplitMix64(seed: 2)
        for _ in 0..<200 {
            let a = UInt64.random(in: 1..<m.value, using: &rng)
            let inv = try #require(m.inverse(a))
            #expect(m.multiplyMod(a, inv) == 1)
        }
        #expect(m.inverse(0) == nil)
        let composite = try Modulus(3 * 5 * 7)
        #expect(composite.inverse(10) == nil)
        #expect(composite.inverse(2) == 53)
        #expect(!composite.isPrime)
        #expect(m.isPrime)
    }
}
