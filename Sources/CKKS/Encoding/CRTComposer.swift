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

    /// Composes every coefficient of `degree` prime-major rows and hands each result to `body` in order.
    ///
    /// All constants are fetched once; the per-coefficient work is k Shoup products and k² word products. For two
    /// primes X = x0 + q0·((x1 − x0)·q0^-1 mod q1) is computed directly in 128 bits.
    /// - Parameters:
    ///   - rows: k rows of `degree` residues, row j modulo q_j.
    ///   - degree: N.
    ///   - body: receives the coefficient index and X as k little-endian words (valid during the call).
    func forEachComposed(
        _ rows: UnsafePointer<UInt64>, degree n: Int, _ body: (Int, UnsafePointer<UInt64>) -> Void
    ) {
        let k = moduli.count
        let out = UnsafeMutablePointer<UInt64>.allocate(capacity: k)
        defer { out.deallocate() }
        if k == 1 {
            for i in 0..<n {
                out[0] = rows[i]
                body(i, out)
            }
            return
        }
        if k == 2 {
            let q0 = moduli[0]
            let q1 = moduli[1]
            // (Q/q1)^-1 mod q1 = q0^-1 mod q1.
            let inverse = inversePunctured[1]
            for i in 0..<n {
                let x0 = rows[i]
                let difference = q1.subMod(rows[n + i], q1.reduce(x0))
                let v = inverse.multiplyMod(difference, modulus: q1)
                let p = v.multipliedFullWidth(by: q0.value)
                let (low, overflow) = p.low.addingReportingOverflow(x0)
                out[0] = low
                out[1] = p.high &+ (overflow ? 1 : 0)
                body(i, out)
            }
            return
        }
        moduli.withUnsafeBufferPointer { m in
            inversePunctured.withUnsafeBufferPointer { inverses in
                product.withUnsafeBufferPointer { qBuffer in
                    puncturedProducts.withUnsafeBufferPointer { puncturedBuffer in
                        guard let q = qBuffer.baseAddress, let punctured = puncturedBuffer.baseAddress else { return }
                        for i in 0..<n {
                            out.update(repeating: 0, count: k)
                            for j in 0..<k {
                                let y = inverses[j].multiplyMod(rows[j * n + i], modulus: m[j])
                                Self.addProduct(out, punctured + j * k, y, modulus: q, count: k)
                            }
                            body(i, out)
                        }
                    }
                }
            }
        }
    }

    /// `out ← (out + a·y) mod Q` for k-word `out < Q` and `a·y < Q`.
    @inline(__always)
    private static func addProduct(
        _ out: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ y: UInt64, modulus q: UnsafePointer<UInt64>,
        count k: Int
    ) {
        var carry: UInt64 = 0
        var addCarry: UInt64 = 0
        for w in 0..<k {
            let p = a[w].multipliedFullWidth(by: y)
            let (t, o1) = p.low.addingReportingOverflow(carry)
            carry = p.high &+ (o1 ? 1 : 0)
            let (s, o2) = out[w].addingReportingOverflow(t)
            let (s2, o3) = s.addingReportingOverflow(addCarry)
            out[w] = s2
            addCarry = (o2 ? 1 : 0) | (o3 ? 1 : 0)
        }
        if addCarry != 0 || !isLess(out, q, count: k) {
            var borrow: UInt64 = 0
            for w in 0..<k {
                let (d, b1) = out[w].subtractingReportingOverflow(q[w])
                let (d2, b2) = d.subtractingReportingOverflow(borrow)
                out[w] = d2
                borrow = (b1 ? 1 : 0) | (b2 ? 1 : 0)
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
