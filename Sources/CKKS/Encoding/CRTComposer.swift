import NTT

/// Exact CRT composition of residues into multi-word integers in [0, Q), for decoding.
///
/// Garner's mixed-radix form: digits v_j with X = v_0 + q_0·(v_1 + q_1·(v_2 + …)), each v_j < q_j computed by
/// word-size modular arithmetic, then evaluated by Horner's rule in k words. The result is exact and below Q
/// without any multi-word reduction, so it equals SEAL's `compose_array` (which sums Σ x̃_j·(Q/q_j) mod Q).
/// - Note: SEAL: util/rns.cpp `RNSBase::compose_array`
struct CRTComposer: Sendable {
    /// The primes q_0..q_{k-1}.
    let moduli: [Modulus]
    /// Q as k little-endian words.
    let product: [UInt64]
    /// (Q + 1) / 2 as k words: composed values at or above it are negative.
    let upperHalfThreshold: [UInt64]
    /// q_i^-1 mod q_j for i < j, at `[i * k + j]` (Shoup form).
    let inverses: [ShoupOperand]

    /// Precomputes the composition constants.
    /// - Parameter moduli: pairwise coprime primes (a valid CKKS level).
    init(moduli: [Modulus]) {
        self.moduli = moduli
        let k = moduli.count
        var q = [UInt64](repeating: 0, count: k)
        q[0] = 1
        for m in moduli { Self.multiplyAdd(&q, by: m.value, adding: 0) }
        product = q
        // (Q + 1) / 2: Q is odd, so this is Q >> 1 plus one.
        var half = [UInt64](repeating: 0, count: k)
        for i in 0..<k { half[i] = (q[i] >> 1) | (i + 1 < k ? q[i + 1] << 63 : 0) }
        var carry: UInt64 = 1
        for i in 0..<k where carry != 0 { (half[i], carry) = (half[i] &+ carry, half[i] == .max ? 1 : 0) }
        upperHalfThreshold = half
        var table = [ShoupOperand](repeating: ShoupOperand(operand: 0, quotient: 0), count: k * k)
        for j in 0..<k {
            for i in 0..<j {
                let qj = moduli[j]
                table[i * k + j] = ShoupOperand(qj.inverse(qj.reduce(moduli[i].value)) ?? 0, modulus: qj)
            }
        }
        inverses = table
    }

    /// `value ← value · factor + addend` for a k-word value that does not overflow.
    @inline(__always)
    private static func multiplyAdd(
        _ value: UnsafeMutablePointer<UInt64>, count: Int, by factor: UInt64, adding: UInt64
    ) {
        var carry = adding
        for i in 0..<count {
            let p = value[i].multipliedFullWidth(by: factor)
            let (low, overflow) = p.low.addingReportingOverflow(carry)
            value[i] = low
            carry = p.high &+ (overflow ? 1 : 0)
        }
    }

    private static func multiplyAdd(_ value: inout [UInt64], by factor: UInt64, adding: UInt64) {
        value.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            multiplyAdd(base, count: buffer.count, by: factor, adding: adding)
        }
    }

    /// Composes every coefficient of `degree` prime-major rows and hands each result to `body` in order.
    /// - Parameters:
    ///   - rows: k rows of `degree` residues, row j modulo q_j (canonical).
    ///   - degree: N.
    ///   - body: receives the coefficient index and X as k little-endian words (valid during the call).
    func forEachComposed(
        _ rows: UnsafePointer<UInt64>, degree: Int, _ body: (Int, UnsafePointer<UInt64>) -> Void
    ) {
        let n = degree
        let k = moduli.count
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * k)
        defer { scratch.deallocate() }
        let digits = scratch
        let out = scratch + k
        moduli.withUnsafeBufferPointer { m in
            inverses.withUnsafeBufferPointer { inv in
                for i in 0..<n {
                    // Mixed-radix digits: v_j = (…((x_j − v_0)·q_0^-1 − v_1)·q_1^-1 …) mod q_j.
                    for j in 0..<k {
                        let qj = m[j]
                        var v = rows[j * n + i]
                        for t in 0..<j {
                            let vt = digits[t] < qj.value ? digits[t] : qj.reduce(digits[t])
                            v = inv[t * k + j].multiplyMod(qj.subMod(v, vt), modulus: qj)
                        }
                        digits[j] = v
                    }
                    // Horner: X = v_{k-1}; X = X·q_i + v_i for i = k−2 … 0.
                    out.update(repeating: 0, count: k)
                    out[0] = digits[k - 1]
                    var t = k - 2
                    while t >= 0 {
                        Self.multiplyAdd(out, count: k, by: m[t].value, adding: digits[t])
                        t -= 1
                    }
                    body(i, out)
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
