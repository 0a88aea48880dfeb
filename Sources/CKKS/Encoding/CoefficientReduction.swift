import NTT

/// Exact reduction of integral doubles (rounded CKKS coefficients) modulo the RNS primes.
///
/// SEAL takes three paths (≤ 64 bits, ≤ 128 bits, and a multi-word `RNSBase::decompose`); all three are exact,
/// so one exact method reproduces them: a double |c| = mantissa·2^e, and `|c| mod q = (mantissa mod q)·(2^e mod q)`.
/// - Note: SEAL: ckks.cpp `encode_internal`
enum CoefficientReduction {
    /// The residue of the integral double `c` modulo `modulus`, negated mod q for negative `c` (−0.0 gives 0).
    /// - Parameters:
    ///   - c: an integral, finite double (the result of `rounded()`).
    ///   - modulus: the prime.
    /// - Returns: the residue in [0, q).
    @inlinable
    static func reduce(_ c: Double, modulus: Modulus) -> UInt64 {
        let magnitude = c.magnitude
        let r: UInt64
        if magnitude < 18_446_744_073_709_551_616.0 {  // 2^64: the integer fits one word exactly
            r = modulus.reduce(UInt64(magnitude))
        } else if magnitude < 0x1p127 {  // two words exactly: one Barrett step instead of a power of two
            r = modulus.reduce(UInt128(magnitude))
        } else {
            // magnitude = significand · 2^(exponent − 52) with a 53-bit integral significand.
            let mantissa = magnitude.significandBitPattern | (1 << 52)
            let shift = UInt64(Int(magnitude.exponent) - 52)
            r = modulus.multiplyMod(modulus.reduce(mantissa), modulus.powMod(2, shift))
        }
        return c.sign == .minus ? modulus.negateMod(r) : r
    }
}
