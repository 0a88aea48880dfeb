import NTT

/// m(X) + m(X⁻¹) in the coefficient domain: the polynomial whose slots are 2·Re of m's slots.
///
/// In R = Z[X]/(X^N + 1), X⁻¹ = −X^(N−1), so m(X⁻¹) has coefficient −m_(N−j) at j ≥ 1 and m_0 at 0; evaluated at
/// the slots' roots ζ it is m(ζ̄) = conj(m(ζ)) for a real-coefficient m. The owner applies it to every decrypted
/// (flooded, masked) result, so the user learns only the real parts the pipeline computes — conv2's paired
/// complex products put unrelated combinations of the weights in the imaginary parts. It is linear, so the user
/// removes the mask by applying it to the mask too, and it is a post-processing of the flooded decryption, so
/// it cannot leak more about the key than the flooded polynomial itself.
enum RealProjection {
    /// Replaces each of the k rows of `words` (coefficient form, N words per prime) by m(X) + m(X⁻¹) mod q_j.
    static func apply(_ words: inout [UInt64], moduli: [Modulus], degree n: Int) {
        words.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for (j, q) in moduli.enumerated() where (j + 1) * n <= buffer.count {
                let row = base + j * n
                row[0] = q.addMod(row[0], row[0])
                row[n / 2] = 0
                for i in 1..<(n / 2) {
                    let a = row[i], b = row[n - i]
                    row[i] = q.subMod(a, b)
                    row[n - i] = q.subMod(b, a)
                }
            }
        }
    }
}
