/// An integer modulus with SEAL's precomputed Barrett constants.
///
/// Values are 2 ≤ q < 2^61 (SEAL's `Modulus::set_value` limit), so every lazy range used in this module
/// (`[0, 4q)`) fits in a word.
/// - Note: SEAL: modulus.h, util/uintarithsmallmod.h
public struct Modulus: Sendable, Hashable, CustomStringConvertible {
    /// The modulus q.
    public let value: UInt64
    /// The number of significant bits of q.
    public let bitCount: Int
    /// The high word of floor(2^128 / q), which is also floor(2^64 / q) (SEAL's `const_ratio[1]`).
    @usableFromInline package let barrettHigh: UInt64
    /// The low word of floor(2^128 / q) (SEAL's `const_ratio[0]`).
    @usableFromInline package let barrettLow: UInt64
    /// 2^128 mod q (SEAL's `const_ratio[2]`).
    @usableFromInline package let barrettRemainder: UInt64
    /// Whether q is prime (deterministic Miller–Rabin).
    public let isPrime: Bool

    /// The largest accepted modulus bit count (SEAL's `SEAL_MOD_BIT_COUNT_MAX`).
    public static let maxBitCount = 61

    /// Creates a modulus and its Barrett constants.
    ///
    /// - Parameter value: q, with 2 ≤ q < 2^61.
    /// - Throws: `NTTError.invalidModulus` when q is 0, 1 or wider than 61 bits.
    public init(_ value: UInt64) throws {
        guard value >= 2, value >> Modulus.maxBitCount == 0 else { throw NTTError.invalidModulus(value) }
        self.value = value
        bitCount = UInt64.bitWidth - value.leadingZeroBitCount
        // floor(2^128 / q) by long division of the three-word number (1, 0, 0): first floor(2^64 / q) and
        // 2^64 mod q from UInt64.max = 2^64 - 1, then the low word from (2^64 mod q, 0).
        let maxRemainder = UInt64.max % value
        let ratioHigh = UInt64.max / value + (maxRemainder == value - 1 ? 1 : 0)
        let remainderAfterHigh = maxRemainder == value - 1 ? 0 : maxRemainder + 1
        let (ratioLow, remainder) = value.dividingFullWidth((high: remainderAfterHigh, low: 0))
        barrettHigh = ratioHigh
        barrettLow = ratioLow
        barrettRemainder = remainder
        isPrime = NumberTheory.isPrime(value)
    }

    /// The three Barrett words in SEAL's `const_ratio` order: high and low word of floor(2^128/q), 2^128 mod q.
    @usableFromInline package var constRatio: (hi: UInt64, lo: UInt64, rem: UInt64) {
        (barrettHigh, barrettLow, barrettRemainder)
    }

    /// The modulus in decimal.
    public var description: String { String(value) }
}

extension Modulus {
    /// Reduces a word modulo q with one Barrett step and one conditional subtraction.
    ///
    /// - Parameter x: any word.
    /// - Returns: x mod q, in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `barrett_reduce_64`
    @inlinable
    public func reduce(_ x: UInt64) -> UInt64 {
        // floor(x * floor(2^64/q) / 2^64) underestimates floor(x/q) by at most 1.
        let estimate = x.multipliedFullWidth(by: barrettHigh).high
        let r = x &- estimate &* value
        assert(r < 2 &* value)
        return r >= value ? r &- value : r
    }

    /// Reduces a 128-bit value modulo q with SEAL's full-width Barrett step.
    ///
    /// - Parameter x: any 128-bit value.
    /// - Returns: x mod q, in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `barrett_reduce_128`
    @inlinable
    public func reduce(_ x: UInt128) -> UInt64 {
        let x0 = UInt64(truncatingIfNeeded: x)
        let x1 = UInt64(truncatingIfNeeded: x >> 64)
        return reduce(high: x1, low: x0)
    }

    /// Reduces the 128-bit value `high·2^64 + low` modulo q (the two-word form of `reduce(_: UInt128)`).
    ///
    /// The quotient estimate is word 2 of the exact 256-bit product x·floor(2^128/q), which is at most one
    /// below floor(x/q) because x < 2^128; only its low word is needed since the remainder is below 2q.
    /// - Returns: the value mod q, in `[0, q)`.
    @inlinable
    package func reduce(high x1: UInt64, low x0: UInt64) -> UInt64 {
        // Word 1 of the product collects the high half of x0*lo and the low halves of x0*hi and x1*lo.
        let carry0 = x0.multipliedFullWidth(by: barrettLow).high
        let p01 = x0.multipliedFullWidth(by: barrettHigh)
        let (w1a, c1) = p01.low.addingReportingOverflow(carry0)
        let p10 = x1.multipliedFullWidth(by: barrettLow)
        let (_, c2) = w1a.addingReportingOverflow(p10.low)
        // Word 2, modulo 2^64: the quotient estimate.
        let estimate =
            x1 &* barrettHigh &+ p01.high &+ p10.high &+ (c1 ? 1 : 0) &+ (c2 ? 1 : 0)
        let r = x0 &- estimate &* value
        assert(r < 2 &* value)
        return r >= value ? r &- value : r
    }

    /// The product a·b mod q.
    ///
    /// - Parameters:
    ///   - a: any word.
    ///   - b: any word.
    /// - Returns: a·b mod q, in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `multiply_uint_mod`
    @inlinable
    public func multiplyMod(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return reduce(high: p.high, low: p.low)
    }

    /// The sum a + b mod q.
    ///
    /// - Parameters:
    ///   - a: a residue in `[0, q)`.
    ///   - b: a residue in `[0, q)`.
    /// - Returns: the sum in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `add_uint_mod`
    @inlinable
    public func addMod(_ a: UInt64, _ b: UInt64) -> UInt64 {
        assert(a < value && b < value)
        let s = a &+ b
        return s >= value ? s &- value : s
    }

    /// The difference a − b mod q.
    ///
    /// - Parameters:
    ///   - a: a residue in `[0, q)`.
    ///   - b: a residue in `[0, q)`.
    /// - Returns: the difference in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `sub_uint_mod`
    @inlinable
    public func subMod(_ a: UInt64, _ b: UInt64) -> UInt64 {
        assert(a < value && b < value)
        let d = a &- b
        return a < b ? d &+ value : d
    }

    /// The negation −a mod q, with 0 mapped to 0.
    ///
    /// - Parameter a: a residue in `[0, q)`.
    /// - Returns: the negation in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `negate_uint_mod`
    @inlinable
    public func negateMod(_ a: UInt64) -> UInt64 {
        assert(a < value)
        return a == 0 ? 0 : value &- a
    }

    /// The power base^exponent mod q by square-and-multiply (0^0 = 1).
    ///
    /// - Parameters:
    ///   - base: any word.
    ///   - exponent: any word.
    /// - Returns: the power in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `exponentiate_uint_mod`
    @inlinable
    public func powMod(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        var result: UInt64 = 1 % value
        var power = reduce(base)
        var e = exponent
        while e != 0 {
            if e & 1 == 1 { result = multiplyMod(result, power) }
            power = multiplyMod(power, power)
            e >>= 1
        }
        return result
    }

    /// The multiplicative inverse of a mod q, by the extended Euclidean algorithm.
    ///
    /// - Parameter a: any word.
    /// - Returns: a^-1 in `[1, q)`, or `nil` when gcd(a, q) ≠ 1 (including a ≡ 0).
    /// - Note: SEAL: util/uintarithsmallmod.h `try_invert_uint_mod`
    public func inverse(_ a: UInt64) -> UInt64? {
        let a = reduce(a)
        guard a != 0 else { return nil }
        // Invariant: r_i ≡ s_i · a (mod q); the Bezout coefficients are kept mod q so they stay in a word.
        var (r0, r1) = (value, a)
        var (s0, s1) = (UInt64(0), UInt64(1))
        while r1 != 0 {
            let quotient = r0 / r1
            (r0, r1) = (r1, r0 - quotient * r1)
            (s0, s1) = (s1, subMod(s0, multiplyMod(quotient % value, s1)))
        }
        return r0 == 1 ? s0 : nil
    }
}
