/// A constant multiplicand with its Shoup quotient, for fast multiplication by a fixed residue.
///
/// - Note: SEAL: util/uintarithsmallmod.h `MultiplyUIntModOperand`
@usableFromInline package struct ShoupOperand: Sendable, Hashable {
    /// The residue w, in `[0, q)`.
    @usableFromInline package let operand: UInt64
    /// floor(w · 2^64 / q).
    @usableFromInline package let quotient: UInt64

    /// Precomputes the Shoup quotient of a residue.
    ///
    /// - Parameters:
    ///   - operand: w, which must lie in `[0, q)`.
    ///   - modulus: q.
    @inlinable
    package init(_ operand: UInt64, modulus: Modulus) {
        precondition(operand < modulus.value, "Shoup operand must be reduced")
        self.operand = operand
        quotient = modulus.value.dividingFullWidth((high: operand, low: 0)).quotient
    }

    /// Builds an operand from a residue and a quotient computed elsewhere (tables store them separately).
    ///
    /// - Parameters:
    ///   - operand: w in `[0, q)`.
    ///   - quotient: floor(w · 2^64 / q).
    @inlinable
    package init(operand: UInt64, quotient: UInt64) {
        self.operand = operand
        self.quotient = quotient
    }

    /// x · w mod q up to one extra q.
    ///
    /// - Parameters:
    ///   - x: any word.
    ///   - modulus: the q the quotient was made for.
    /// - Returns: a value ≡ x·w (mod q) in `[0, 2q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `multiply_uint_mod_lazy`
    @inlinable
    package func multiplyModLazy(_ x: UInt64, modulus: Modulus) -> UInt64 {
        let estimate = x.multipliedFullWidth(by: quotient).high
        let r = x &* operand &- estimate &* modulus.value
        assert(r < 2 &* modulus.value)
        return r
    }

    /// x · w mod q.
    ///
    /// - Parameters:
    ///   - x: any word.
    ///   - modulus: the q the quotient was made for.
    /// - Returns: x·w mod q in `[0, q)`.
    /// - Note: SEAL: util/uintarithsmallmod.h `multiply_uint_mod`
    @inlinable
    package func multiplyMod(_ x: UInt64, modulus: Modulus) -> UInt64 {
        let r = multiplyModLazy(x, modulus: modulus)
        return r >= modulus.value ? r &- modulus.value : r
    }
}
