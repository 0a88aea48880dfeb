import NTT

/// Division by the product of the last two primes of a basis with rounding, on NTT-form rows: the key switch's
/// mod-down by P fused with the rescale by q_{ℓ-1}.
///
/// For x over q_0..q_{ℓ-1}, P with M = q_{ℓ-1}·P and h = ⌊M/2⌋, round(x/M) = (x + h − r)/M with
/// r = (x + h) mod M. The two residues a = (x + h) mod q_{ℓ-1} and b = (x + h) mod P give
/// r = a + q_{ℓ-1}·((b − a)·q_{ℓ-1}^-1 mod P) exactly (Garner), so r mod q_i needs no wide arithmetic. This costs
/// two inverse NTTs and ℓ−1 forward NTTs, against 1 + ℓ and 1 + (ℓ−1) for the two divisions done one after the
/// other, and rounds once instead of twice.
struct DivideAndRoundTwoLast: Sendable {
    /// q_0..q_{ℓ-2} (kept), q_{ℓ-1}, P.
    let moduli: [Modulus]
    /// NTT tables in the same order.
    let tables: [NTTTables]
    /// P mod q_j for j < ℓ, to lift a ciphertext row into P·c before the division.
    let specialModQ: [ShoupOperand]
    /// M^-1 mod q_i for i < ℓ−1.
    let inverses: [ShoupOperand]
    /// q_{ℓ-1} mod q_i for i < ℓ−1.
    let lastModQ: [ShoupOperand]
    /// h mod q_i for i < ℓ+1 (the last entry mod P).
    let halfMod: [UInt64]
    /// q_{ℓ-1}^-1 mod P.
    let lastInverseModSpecial: ShoupOperand

    /// The constants for q_0..q_{ℓ-1} (`data`, ℓ ≥ 2) and the special prime `special`.
    init?(data: [Modulus], dataTables: [NTTTables], special: Modulus, specialTable: NTTTables) {
        guard data.count >= 2, let last = data.last,
            let lastInverse = special.inverse(last.value)
        else { return nil }
        moduli = data + [special]
        tables = dataTables + [specialTable]
        let product = UInt128(last.value) * UInt128(special.value)
        let half = product >> 1
        var specialMod: [ShoupOperand] = []
        var inverses: [ShoupOperand] = []
        var lastMod: [ShoupOperand] = []
        for (i, q) in data.enumerated() {
            specialMod.append(ShoupOperand(q.reduce(special.value), modulus: q))
            guard i < data.count - 1 else { continue }
            guard let inverse = q.inverse(q.reduce(product)) else { return nil }
            inverses.append(ShoupOperand(inverse, modulus: q))
            lastMod.append(ShoupOperand(q.reduce(last.value), modulus: q))
        }
        specialModQ = specialMod
        self.inverses = inverses
        lastModQ = lastMod
        halfMod = moduli.map { $0.reduce(half) }
        lastInverseModSpecial = ShoupOperand(lastInverse, modulus: special)
    }

    /// Writes round((P·c + u)/M) into `output` (ℓ−1 rows, NTT form).
    /// - Parameters:
    ///   - product: ℓ+1 canonical NTT-form rows u over q_0..q_{ℓ-1}, P (destroyed).
    ///   - cipher: ℓ canonical NTT-form rows c over q_0..q_{ℓ-1}.
    ///   - n: N.
    ///   - output: ℓ−1 rows; may alias `cipher`.
    ///   - scratch: N words.
    func apply(
        product: UnsafeMutablePointer<UInt64>, cipher: UnsafePointer<UInt64>, degree n: Int,
        output: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>
    ) {
        let l = moduli.count - 1
        let m = l - 1
        // The loops are branch-free (conditional subtractions by mask): on random residues a branch per step
        // mispredicts half the time and costs more than the NTTs saved.
        // x_j = u_j + P·c_j for the data rows; row P is u_P alone since P·c ≡ 0 there.
        for j in 0..<l {
            let q = moduli[j].value
            let p = specialModQ[j]
            let row = product + j * n, c = cipher + j * n
            for k in 0..<n {
                let lifted = Self.reduceOnce(p.multiplyModLazy(c[k], modulus: moduli[j]), q)
                row[k] = Self.reduceOnce(row[k] &+ lifted, q)
            }
        }
        let qm = moduli[m].value, special = moduli[l].value
        let rowA = product + m * n, rowB = product + l * n
        tables[m].inverse(rowA)
        tables[l].inverse(rowB)
        // a = (x + h) mod q_{ℓ-1} in rowA, t = (b − a)·q_{ℓ-1}^-1 mod P in rowB.
        let hA = halfMod[m], hB = halfMod[l]
        let specialModulus = moduli[l]
        for k in 0..<n {
            let a = Self.reduceOnce(rowA[k] &+ hA, qm)
            rowA[k] = a
            let b = Self.reduceOnce(rowB[k] &+ hB, special)
            let aModP = Self.barrett(a, specialModulus)
            let t = lastInverseModSpecial.multiplyModLazy(b &+ special &- aModP, modulus: specialModulus)
            rowB[k] = Self.reduceOnce(t, special)
        }
        for i in 0..<m {
            let qi = moduli[i]
            let q = qi.value
            let lastMod = lastModQ[i]
            let negHalf = q &- halfMod[i]
            // (r − h) mod q_i in [0, 2q_i) for the lazy NTT, r = a + q_{ℓ-1}·t.
            for k in 0..<n {
                let tq = Self.barrett(rowB[k], qi)
                let r = Self.reduceOnce(
                    Self.barrett(rowA[k], qi) &+ Self.reduceOnce(lastMod.multiplyModLazy(tq, modulus: qi), q), q)
                scratch[k] = r &+ negHalf
            }
            RNSTool.subtractAndScale(
                product + i * n, remainder: scratch, degree: n, modulus: qi, table: tables[i], inverse: inverses[i],
                output: output + i * n)
        }
    }

    /// x − q if x ≥ q, else x, for x < 2q < 2^63, without a branch.
    @inline(__always)
    static func reduceOnce(_ x: UInt64, _ q: UInt64) -> UInt64 {
        let t = x &- q
        return t &+ (q & (0 &- (t >> 63)))
    }

    /// x mod q by one Barrett step and a branch-free correction.
    @inline(__always)
    static func barrett(_ x: UInt64, _ q: Modulus) -> UInt64 {
        reduceOnce(x &- x.multipliedFullWidth(by: q.barrettHigh).high &* q.value, q.value)
    }
}
