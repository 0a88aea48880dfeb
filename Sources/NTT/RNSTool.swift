/// Division by the last prime with rounding, the ring-layer step behind CKKS rescaling and the mod-down of key
/// switching.
///
/// For moduli q_0 … q_L of a polynomial c (L + 1 limbs), the result has L limbs holding
/// round(c / q_L) = (c − ((c + h) mod q_L − h)) / q_L with h = ⌊q_L / 2⌋, computed limb by limb as
/// (c_i − ((c_L + h) mod q_L mod q_i − h)) · q_L^-1 mod q_i. The same kernel is the mod-down by the special
/// prime P in key switching: pass the rows (acc_0, …, acc_{ℓ−1}, acc_P) with moduli (q_0, …, q_{ℓ−1}, P).
/// - Note: SEAL: util/rns.cpp `RNSTool::divide_and_round_q_last_ntt_inplace`,
///   `RNSTool::divide_and_round_q_last_inplace`; evaluator.cpp `switch_key_inplace` (mod-down)
package enum RNSTool {
    /// q_L^-1 mod q_i for i < L, with Shoup quotients (SEAL's `inv_q_last_mod_q_`).
    ///
    /// - Parameter moduli: q_0 … q_L, at least two, q_L coprime to the others.
    /// - Returns: L operands, entry i for q_i.
    /// - Throws: `NTTError.invalidModulusCount` for fewer than two moduli, `NTTError.moduliNotCoprime` when
    ///   q_L has no inverse mod some q_i.
    package static func invQLastModQ(_ moduli: [Modulus]) throws -> [ShoupOperand] {
        guard moduli.count >= 2, let last = moduli.last else { throw NTTError.invalidModulusCount(moduli.count) }
        return try moduli.dropLast().map { q in
            guard let inverse = q.inverse(last.value) else { throw NTTError.moduliNotCoprime(q.value, last.value) }
            return ShoupOperand(inverse, modulus: q)
        }
    }

    /// Divides an NTT-form polynomial by its last prime with rounding and drops that limb (CKKS rescale).
    ///
    /// - Parameters:
    ///   - poly: an NTT-form polynomial with L + 1 ≥ 2 limbs; on return L limbs, still in NTT form.
    ///   - moduli: q_0 … q_L (exactly `poly.moduliCount`).
    ///   - tables: the NTT tables of those primes.
    ///   - inverses: `invQLastModQ(moduli)`, precomputed by the caller's context.
    /// - Throws: ``NTTError/invalidArgument(_:)`` for a coefficient-form polynomial, a modulus count other than its
    ///   limb count (at least 2) or missing tables or inverses.
    /// - Note: SEAL: util/rns.cpp `RNSTool::divide_and_round_q_last_ntt_inplace`
    package static func divideAndRoundQLastNTTInPlace(
        _ poly: inout RNSPoly, moduli: [Modulus], tables: [NTTTables], inverses: [ShoupOperand]
    ) throws {
        guard poly.isNTTForm else { throw NTTError.invalidArgument("the polynomial is not in NTT form") }
        guard poly.moduliCount >= 2, moduli.count == poly.moduliCount else {
            throw NTTError.invalidArgument("\(moduli.count) moduli for \(poly.moduliCount) limbs (at least 2)")
        }
        guard tables.count >= moduli.count, inverses.count >= moduli.count - 1 else {
            throw NTTError.invalidArgument("missing NTT tables or inverses for \(moduli.count) moduli")
        }
        let n = poly.degree
        var scratch = [UInt64](repeating: 0, count: n)
        poly.coefficients.withUnsafeMutableBufferPointer { words in
            scratch.withUnsafeMutableBufferPointer { temp in
                guard let base = words.baseAddress, let t = temp.baseAddress else { return }
                divideAndRoundQLastNTT(
                    base, degree: n, moduli: moduli, tables: tables, inverses: inverses, output: base, scratch: t)
            }
        }
        try poly.dropLastLimbs()
    }

    /// The kernel of `divideAndRoundQLastNTTInPlace` on raw rows, without allocation.
    ///
    /// - Parameters:
    ///   - input: L + 1 NTT-form rows of `degree` words (row j mod q_j). Row L is overwritten (it becomes the
    ///     rounded remainder in coefficient form).
    ///   - degree: N.
    ///   - moduli: q_0 … q_L.
    ///   - tables: NTT tables of q_0 … q_L.
    ///   - inverses: q_L^-1 mod q_i for i < L.
    ///   - output: L rows receiving round(c / q_L) in NTT form; may equal `input`.
    ///   - scratch: `degree` words of scratch space.
    @inlinable
    package static func divideAndRoundQLastNTT(
        _ input: UnsafeMutablePointer<UInt64>, degree: Int, moduli: [Modulus], tables: [NTTTables],
        inverses: [ShoupOperand], output: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>
    ) {
        let n = degree
        let last = moduli.count - 1
        let qLast = moduli[last]
        let half = qLast.value >> 1
        let lastRow = input + last * n
        // (c_L + h) mod q_L in coefficient form.
        tables[last].inverse(lastRow)
        for k in 0..<n {
            let s = lastRow[k] &+ half
            lastRow[k] = s >= qLast.value ? s &- qLast.value : s
        }
        for i in 0..<last {
            let qi = moduli[i]
            let q = qi.value
            // t = ((c_L + h) mod q_L) mod q_i − h mod q_i, kept lazily in [0, 2q_i) for the lazy NTT.
            let negHalf = q &- qi.reduce(half)
            if q < qLast.value {
                for k in 0..<n { scratch[k] = qi.reduce(lastRow[k]) &+ negHalf }
            } else {
                for k in 0..<n { scratch[k] = lastRow[k] &+ negHalf }
            }
            subtractAndScale(
                input + i * n, remainder: scratch, degree: n, modulus: qi, table: tables[i], inverse: inverses[i],
                output: output + i * n)
        }
    }

    /// The last step of a division with rounding by a prime (or a product of primes) M, on one NTT-form row: `output` =
    /// (c − t)·M^-1 mod q, where t = (the rounded remainder − h) mod q arrives in coefficient form, lazily in [0, 2q).
    ///
    /// Shared by ``divideAndRoundQLastNTT(_:degree:moduli:tables:inverses:output:scratch:)`` and CKKS's fused division
    /// by the last two primes.
    /// - Parameters:
    ///   - row: c, `degree` canonical NTT-form words mod q.
    ///   - remainder: t in coefficient form, each word below 2q; overwritten by its lazy NTT (below 4q).
    ///   - n: N, the row length.
    ///   - qi: q.
    ///   - table: q's NTT tables.
    ///   - inverse: M^-1 mod q.
    ///   - output: `degree` words; may equal `row`.
    @inlinable
    package static func subtractAndScale(
        _ row: UnsafePointer<UInt64>, remainder: UnsafeMutablePointer<UInt64>, degree n: Int, modulus qi: Modulus,
        table: NTTTables, inverse: ShoupOperand, output: UnsafeMutablePointer<UInt64>
    ) {
        table.forwardLazy(remainder)
        // (c − t) · M^-1: c < q and t < 4q, so c + 4q − t is positive and below 8q < 2^64.
        // The final correction is by mask, not by branch: on random residues a branch mispredicts half the time.
        let q = qi.value, fourQ = q << 2
        for k in 0..<n {
            assert(remainder[k] < fourQ)
            let t = inverse.multiplyModLazy(row[k] &+ fourQ &- remainder[k], modulus: qi) &- q
            output[k] = t &+ (q & (0 &- (t >> 63)))
        }
    }

    /// Divides a coefficient-form polynomial by its last prime with rounding and drops that limb.
    ///
    /// - Parameters:
    ///   - poly: a coefficient-form polynomial with L + 1 ≥ 2 limbs; on return L limbs.
    ///   - moduli: q_0 … q_L (exactly `poly.moduliCount`).
    ///   - inverses: `invQLastModQ(moduli)`.
    /// - Note: SEAL: util/rns.cpp `RNSTool::divide_and_round_q_last_inplace`
    /// - Throws: ``NTTError/invalidArgument(_:)`` for an NTT-form polynomial, a modulus count other than its limb
    ///   count (at least 2) or missing inverses.
    package static func divideAndRoundQLastInPlace(_ poly: inout RNSPoly, moduli: [Modulus], inverses: [ShoupOperand])
        throws
    {
        guard !poly.isNTTForm else { throw NTTError.invalidArgument("the polynomial is not in coefficient form") }
        guard poly.moduliCount >= 2, moduli.count == poly.moduliCount else {
            throw NTTError.invalidArgument("\(moduli.count) moduli for \(poly.moduliCount) limbs (at least 2)")
        }
        guard inverses.count >= moduli.count - 1 else {
            throw NTTError.invalidArgument("missing inverses for \(moduli.count) moduli")
        }
        let n = poly.degree
        let last = moduli.count - 1
        let qLast = moduli[last]
        let half = qLast.value >> 1
        poly.coefficients.withUnsafeMutableBufferPointer { words in
            guard let base = words.baseAddress else { return }
            let lastRow = base + last * n
            for k in 0..<n { lastRow[k] = qLast.addMod(lastRow[k], half) }
            for i in 0..<last {
                let qi = moduli[i]
                let halfMod = qi.reduce(half)
                let row = base + i * n
                for k in 0..<n {
                    let t = qi.subMod(qi.reduce(lastRow[k]), halfMod)
                    row[k] = inverses[i].multiplyMod(qi.subMod(row[k], t), modulus: qi)
                }
            }
        }
        try poly.dropLastLimbs()
    }
}
