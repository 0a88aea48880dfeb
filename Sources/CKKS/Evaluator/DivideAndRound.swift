import NTT

/// Division by the last prime of a basis with rounding, on NTT-form rows: CKKS rescale, the mod-down of key
/// switching (by the special prime P) and of public-key encryption.
///
/// For rows x_0..x_ℓ over q_0..q_{ℓ-1}, q_ℓ, computes round(x / q_ℓ) over q_0..q_{ℓ-1}:
/// `r = INTT(x_ℓ) + ⌊q_ℓ/2⌋ mod q_ℓ`, then for each i `x_i ← (x_i − NTT(r mod q_i − ⌊q_ℓ/2⌋ mod q_i)) · q_ℓ^-1`.
/// - Note: SEAL: util/rns.cpp `RNSTool::divide_and_round_q_last_ntt_inplace`, evaluator.cpp `switch_key_inplace`
struct DivideAndRoundLast: Sendable {
    /// q_0..q_{ℓ-1} followed by the prime divided out, q_ℓ.
    let moduli: [Modulus]
    /// NTT tables in the same order.
    let tables: [NTTTables]
    /// q_ℓ^-1 mod q_i for i < ℓ.
    let inverseLast: [ShoupOperand]
    /// ⌊q_ℓ/2⌋ mod q_i, negated: q_i − (⌊q_ℓ/2⌋ mod q_i), for i < ℓ.
    let negatedHalf: [UInt64]

    /// Precomputes the constants for dividing by the last of `moduli`.
    /// - Parameters:
    ///   - moduli: at least two pairwise coprime primes; the last is divided out.
    ///   - tables: their NTT tables.
    init(moduli: [Modulus], tables: [NTTTables]) {
        precondition(moduli.count >= 2 && tables.count == moduli.count)
        self.moduli = moduli
        self.tables = tables
        let last = moduli[moduli.count - 1]
        let half = last.value >> 1
        var inverses: [ShoupOperand] = []
        var negated: [UInt64] = []
        for q in moduli.dropLast() {
            inverses.append(ShoupOperand(q.inverse(q.reduce(last.value)) ?? 0, modulus: q))
            negated.append(q.value - q.reduce(half))
        }
        inverseLast = inverses
        negatedHalf = negated
    }

    /// Rewrites rows 0..ℓ-1 of `rows` (ℓ+1 NTT-form rows of `degree` words, canonical) as round(x / q_ℓ).
    ///
    /// Row ℓ is destroyed. `scratch` must hold `degree` words.
    /// - Parameters:
    ///   - rows: ℓ+1 rows, prime-major.
    ///   - degree: N.
    ///   - scratch: N words of workspace.
    @inlinable
    func apply(_ rows: UnsafeMutablePointer<UInt64>, degree n: Int, scratch: UnsafeMutablePointer<UInt64>) {
        let l = moduli.count - 1
        let lastModulus = moduli[l]
        let lastRow = rows + l * n
        tables[l].inverseLazy(lastRow)
        let half = lastModulus.value >> 1
        for i in 0..<n { lastRow[i] = lastModulus.reduce(lastRow[i] &+ half) }
        for i in 0..<l {
            let q = moduli[i]
            let qi = q.value
            let fix = negatedHalf[i]
            if qi < lastModulus.value {
                for c in 0..<n { scratch[c] = q.reduce(lastRow[c]) &+ fix }
            } else {
                for c in 0..<n { scratch[c] = lastRow[c] &+ fix }
            }
            tables[i].forwardLazy(scratch)  // [0, 4q)
            let row = rows + i * n
            let fourQ = qi << 2
            let factor = inverseLast[i]
            for c in 0..<n { row[c] = factor.multiplyMod(row[c] &+ fourQ &- scratch[c], modulus: q) }
        }
    }
}
