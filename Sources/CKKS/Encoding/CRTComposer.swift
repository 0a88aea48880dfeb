import NTT

/// Exact CRT composition of one coefficient's residues into a multi-word integer in [0, Q), for decoding.
///
/// X = Σ_j ((x_j · (Q/q_j)^-1) mod q_j) · (Q/q_j), summed modulo Q word by word. The primes are ≤ 61 bits, so every
/// partial sum fits in k words.
/// - Note: SEAL: util/rns.cpp `RNSBase::compose_array`
struct CRTComposer: Sendable {
    /// The primes q_0..q_{k-1}.
    let moduli: [Modulus]
    /// Q as k little-endian words.
    let product: [UInt64]
    /// (Q + 1) / 2 as k words: composed values at or above it are negative.
    let upperHalfThreshold: [UInt64]
    /// Q/q_j as k words each, row j at `[j*k ..< (j+1)*k]`.
    let puncturedProducts: [UInt64]
    /// (Q/q_j)^-1 mod q_j with its Shoup quotient.
    let inversePunctured: [ShoupOperand]

    /// Precomputes the composition constants.
    /// - Parameter moduli: pairwise coprime primes (a valid CKKS level).
    init(moduli: [Modulus]) {
        self.moduli = moduli
        let k = moduli.count
        var q = [UInt64](repeating: 0, count: k)
        q[0] = 1
        var punctured = [UInt64](repeating: 0, count: k * k)
        var inverses: [ShoupOperand] = []
        for j in 0..<k {
            var pj = [UInt64](repeating: 0, count: k)
            pj[0] = 1
            for (i, m) in moduli.enumerated() where i != j { Self.multiply(&pj, by: m.value) }
            punctured.replaceSubrange((j * k)..<((j + 1) * k), with: pj)
            let residue = Self.remainder(pj, modulus: moduli[j])
            inverses.append(ShoupOperand(moduli[j].inverse(residue) ?? 0, modulus: moduli[j]))
            Self.multiply(&q, by: moduli[j].value)
        }
        product = q
        // (Q + 1) / 2: Q is odd, so this is Q >> 1 plus one.
        var half = [UInt64](repeating: 0, count: k)
        for i in 0..<k { half[i] = (q[i] >> 1) | (i + 1 < k ? q[i + 1] << 63 : 0) }
        var carry: UInt64 = 1
        for i in 0..<k where carry != 0 { (half[i], carry) = (half[i] &+ carry, half[i] == .max ? 1 : 0) }
        upperHalfThreshold = half
        puncturedProducts = punctured
        inversePunctured = inverses
    }

    /// `value ← value · factor` for a k-word value that does not overflow.
    private static func multiply(_ value: inout [UInt64], by factor: UInt64) {
        var carry: UInt64 = 0
        for i in value.indices {
            let p = value[i].multipliedFullWidth(by: factor)
            let (low, overflow) = p.low.addingReportingOverflow(carry)
            value[i] = low
            carry = p.high &+ (overflow ? 1 : 0)
        }
    }

    /// A multi-word value modulo one prime (Horner from the top word).
    private static func remainder(_ value: [UInt64], modulus: Modulus) -> UInt64 {
        var r: UInt64 = 0
        for word in value.reversed() { r = modulus.reduce(high: r, low: word) }
        return r
    }

    /// Composes the residues `residues[j * stride]` (j < k) into `out` (k words).
    /// - Parameters:
    ///   - residues: points at residue 0; residue j lives `j * stride` words later, each in [0, q_j).
    ///   - stride: the distance between rows (the ring degree).
    ///   - out: k words, overwritten with X in [0, Q).
    func compose(_ residues: UnsafePointer<UInt64>, stride: Int, into out: UnsafeMutablePointer<UInt64>) {
        let k = moduli.count
        if k == 1 {
            out[0] = residues[0]
            return
        }
        out.update(repeating: 0, count: k)
        product.withUnsafeBufferPointer { q in
            puncturedProducts.withUnsafeBufferPointer { punctured in
                for j in 0..<k {
                    let y = inversePunctured[j].multiplyMod(residues[j * stride], modulus: moduli[j])
                    // out += y · (Q/q_j), then reduce mod Q once (both terms are < Q).
                    var carry: UInt64 = 0
                    var addCarry = false
                    for w in 0..<k {
                        let p = punctured[j * k + w].multipliedFullWidth(by: y)
                        let (t, o1) = p.low.addingReportingOverflow(carry)
                        carry = p.high &+ (o1 ? 1 : 0)
                        let (s, o2) = out[w].addingReportingOverflow(t)
                        let (s2, o3) = s.addingReportingOverflow(addCarry ? 1 : 0)
                        out[w] = s2
                        addCarry = o2 || o3
                    }
                    if addCarry || !Self.isLess(out, q.baseAddress.unsafelyUnwrapped, count: k) {
                        var borrow = false
                        for w in 0..<k {
                            let (d, b1) = out[w].subtractingReportingOverflow(q[w])
                            let (d2, b2) = d.subtractingReportingOverflow(borrow ? 1 : 0)
                            out[w] = d2
                            borrow = b1 || b2
                        }
                    }
                }
            }
        }
    }

    /// Whether the k-word `a` is below the k-word `b`.
    static func isLess(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, count: Int) -> Bool {
        var i = count - 1
        while i >= 0 {
            if a[i] != b[i] { return a[i] < b[i] }
            i -= 1
        }
        return false
    }
}
