import NTT

/// Division by the last prime of a basis with rounding, on NTT-form rows.
///
/// Used by CKKS rescale, the mod-down of key switching (by the special prime P) and of public-key encryption. The
/// constants for one basis, applied with
/// ``RNSTool/divideAndRoundQLastNTT(_:degree:moduli:tables:inverses:output:scratch:)``.
/// - Note: SEAL: util/rns.cpp `RNSTool::divide_and_round_q_last_ntt_inplace`, evaluator.cpp `switch_key_inplace`
struct DivideAndRoundLast: Sendable {
    /// q_0..q_{ℓ-1} followed by the prime divided out, q_ℓ.
    let moduli: [Modulus]
    /// NTT tables in the same order.
    let tables: [NTTTables]
    /// q_ℓ^-1 mod q_i for i < ℓ.
    let inverses: [ShoupOperand]

    /// The constants for dividing by the last of `moduli`.
    /// - Parameters:
    ///   - moduli: at least two pairwise coprime primes; the last is divided out.
    ///   - tables: their NTT tables.
    ///   - inverses: q_ℓ^-1 mod q_i for every other prime, in order (extra entries are ignored).
    init(moduli: [Modulus], tables: [NTTTables], inverses: [ShoupOperand]) {
        assert(moduli.count >= 2 && tables.count == moduli.count && inverses.count >= moduli.count - 1)
        self.moduli = moduli
        self.tables = tables
        self.inverses = inverses
    }

    /// The constants of a chain level (rescale from it, or the mod-down of public-key encryption into the next).
    /// - Parameter contextData: a level with at least two primes.
    init(level contextData: ContextData) {
        self.init(
            moduli: contextData.coeffModulus, tables: contextData.nttTables,
            inverses: contextData.inverseLastModulusModQ)
    }

    /// Rewrites rows 0..ℓ-1 of `rows` as round(x / q_ℓ).
    ///
    /// `rows` holds ℓ+1 canonical NTT-form rows of `degree` words; row ℓ is destroyed.
    /// - Parameters:
    ///   - rows: ℓ+1 rows, prime-major.
    ///   - degree: N.
    ///   - scratch: N words of workspace.
    func apply(_ rows: UnsafeMutablePointer<UInt64>, degree: Int, scratch: UnsafeMutablePointer<UInt64>) {
        let n = degree
        RNSTool.divideAndRoundQLastNTT(
            rows, degree: n, moduli: moduli, tables: tables, inverses: inverses, output: rows, scratch: scratch)
    }
}
