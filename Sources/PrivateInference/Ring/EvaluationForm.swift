import NTT

/// Products of an encrypted weight and an unrelinearized square, kept as values instead of coefficients.
///
/// A ciphertext (c0, c1, c2) is the polynomial c0 + c1·Y + c2·Y² in the secret Y = s; a weight (b0, b1) is
/// b0 + b1·Y. Their product has four coefficients, which the schoolbook way costs six multiplications per word. Its
/// values at Y = 0, ∞ (the leading coefficient), 1 and −1 cost four: a0·b0, a2·b1, (a0+a1+a2)(b0+b1) and
/// (a0−a1+a2)(b0−b1), once both operands are held as those points' values. Values add like coefficients, so a whole
/// conv2 sum is taken in this form and interpolated once at its end (Toom–Cook with the points 0, ∞, 1, −1):
/// c0 = P(0), c3 = P(∞), c1 = (P(1) − P(−1))/2 − c3, c2 = (P(1) + P(−1))/2 − c0, exact mod q since q is odd. The
/// result is word for word the schoolbook sum's.
///
/// Rows are laid out like a ciphertext's components: row r, prime j at `(r·k + j)·N`.
enum EvaluationForm {
    /// A weight (b0, b1) as (b0, b1, b0 + b1, b0 − b1).
    static func weight(_ w: WordBuffer, primes k: Int, degree n: Int, moduli: [Modulus]) -> WordBuffer {
        let out = WordBuffer(uninitializedCount: 4 * k * n)
        let b = w.pointer, e = out.pointer
        for (j, q) in moduli.prefix(k).enumerated() {
            let b0 = b + j * n, b1 = b + (k + j) * n
            let e0 = e + j * n, e1 = e + (k + j) * n, e2 = e + (2 * k + j) * n, e3 = e + (3 * k + j) * n
            for i in 0..<n {
                e0[i] = b0[i]
                e1[i] = b1[i]
                e2[i] = q.addMod(b0[i], b1[i])
                e3[i] = q.subMod(b0[i], b1[i])
            }
        }
        return out
    }

    /// An unrelinearized ciphertext (a0, a1, a2) as (a0, a2, a0 + a1 + a2, a0 − a1 + a2).
    static func input(_ a: WordBuffer, primes k: Int, degree n: Int, moduli: [Modulus]) -> WordBuffer {
        let out = WordBuffer(uninitializedCount: 4 * k * n)
        let x = a.pointer, e = out.pointer
        for (j, q) in moduli.prefix(k).enumerated() {
            let a0 = x + j * n, a1 = x + (k + j) * n, a2 = x + (2 * k + j) * n
            let e0 = e + j * n, e1 = e + (k + j) * n, e2 = e + (2 * k + j) * n, e3 = e + (3 * k + j) * n
            for i in 0..<n {
                let even = q.addMod(a0[i], a2[i])
                e0[i] = a0[i]
                e1[i] = a2[i]
                e2[i] = q.addMod(even, a1[i])
                e3[i] = q.subMod(even, a1[i])
            }
        }
        return out
    }

    /// ``input(_:primes:degree:moduli:)`` undone: (a0, a1, a2) again, a1 = (A(1) − A(−1))/2.
    static func coefficients(ofInput e: WordBuffer, primes k: Int, degree n: Int, moduli: [Modulus]) -> WordBuffer {
        let out = WordBuffer(uninitializedCount: 3 * k * n)
        let x = e.pointer, a = out.pointer
        for (j, q) in moduli.prefix(k).enumerated() {
            let e0 = x + j * n, e1 = x + (k + j) * n, e2 = x + (2 * k + j) * n, e3 = x + (3 * k + j) * n
            let a0 = a + j * n, a1 = a + (k + j) * n, a2 = a + (2 * k + j) * n
            for i in 0..<n {
                a0[i] = e0[i]
                a1[i] = half(q.subMod(e2[i], e3[i]), q)
                a2[i] = e1[i]
            }
        }
        return out
    }

    /// Product values (P(0), P(∞), P(1), P(−1)) interpolated in place into coefficients (c0, c1, c2, c3).
    static func interpolate(_ p: UnsafeMutablePointer<UInt64>, primes k: Int, degree n: Int, moduli: [Modulus]) {
        for (j, q) in moduli.prefix(k).enumerated() {
            let r0 = p + j * n, r1 = p + (k + j) * n, r2 = p + (2 * k + j) * n, r3 = p + (3 * k + j) * n
            for i in 0..<n {
                let atZero = r0[i], atInfinity = r1[i], atOne = r2[i], atMinusOne = r3[i]
                let odd = half(q.subMod(atOne, atMinusOne), q), even = half(q.addMod(atOne, atMinusOne), q)
                r1[i] = q.subMod(odd, atInfinity)
                r2[i] = q.subMod(even, atZero)
                r3[i] = atInfinity
            }
        }
    }

    /// x/2 mod q for odd q: x >> 1, plus (q + 1)/2 when x is odd.
    @inline(__always)
    static func half(_ x: UInt64, _ q: Modulus) -> UInt64 {
        (x >> 1) &+ ((x & 1) &* ((q.value >> 1) &+ 1))
    }
}
