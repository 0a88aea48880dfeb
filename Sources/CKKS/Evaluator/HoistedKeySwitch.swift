import NTT

/// Hoisted automorphisms: one decomposition of c1 serves the key switches of many Galois elements, and every
/// result has the words SEAL's `apply_galois` gives for that element alone.
///
/// SEAL key-switches π(c1), the NTT-form permutation of c1. Its digit J for output prime r is
/// NTT_r(b mod r) with b = INTT_{q_J}(π(c1_J)) = φ(a) where a = INTT_{q_J}(c1_J) and φ is the automorphism on
/// coefficients in [0, q_J): coefficient a_i moves to position k = i·g mod N and becomes q_J − a_i when
/// i·g mod 2N ≥ N (X^N = −1), 0 staying 0. Permuting the hoisted digit D = NTT_r(a mod r) instead gives
/// NTT_r of the same move with the sign taken mod r, (−a_i) mod r. The two differ by q_J mod r at every
/// flipped position whose coefficient is not zero, so, with m the 0/1 polynomial of the flipped positions,
///
///     NTT_r(b mod r) = π(D) + (q_J mod r)·NTT_r(m)      (when no flipped coefficient of a is zero).
///
/// NTT_r(m) needs no transform per element: φ maps the all-ones polynomial u to u − 2m, so
/// NTT_r(m) = (V − π(V))/2 with V = NTT_r(u), and with h = (q_J mod r)/2 mod r the digit is
/// π(D − h·V) + h·V. D − h·V is computed once per ciphertext; per element only a gather and an add remain.
/// A flipped zero coefficient (probability about N/q_J per digit) breaks the identity, so that digit is
/// computed as SEAL does. Everything after the digits (the lazy 128-bit products, the mod-down by P) depends
/// only on their residues mod r, so equal residues give equal words.
/// - Note: SEAL: evaluator.cpp `Evaluator::apply_galois_inplace` and `Evaluator::switch_key_inplace`, once per
///   element.
extension KeySwitchKernel {
    /// Writes (π_g(c0) + ks0, ks1) for every element g, where (ks0, ks1) is the key switch of π_g(c1).
    ///
    /// - Parameters:
    ///   - c0: ℓ NTT-form rows over q_0..q_{ℓ-1} (canonical).
    ///   - c1: ℓ NTT-form rows (canonical).
    ///   - level: ℓ, with 1 ≤ ℓ ≤ K−1.
    ///   - degree: N.
    ///   - elements: distinct odd Galois elements below 2N.
    ///   - keys: element t's ℓ decomposition keys at `keys[t·ℓ ..< (t+1)·ℓ]`.
    ///   - output: element t's result, 2ℓ rows (c0 then c1), at `output + t·2ℓN`.
    func applyGaloisHoisted(
        c0: UnsafePointer<UInt64>, c1: UnsafePointer<UInt64>, level: Int, degree: Int, elements: [UInt64],
        keys: [UnsafePointer<UInt64>], output: UnsafeMutablePointer<UInt64>
    ) {
        let n = degree
        let l = level
        let m = elements.count
        assert(l >= 1 && l < keyModuli.count && keys.count >= m * l)
        guard m > 0 else { return }
        let permutations = elements.map { GaloisTool.nttPermutation(element: $0, degree: n) }

        // Coefficients a_J (ℓ rows); then, for output prime I and digit J ≠ I, row I·ℓ + J of `digits` holds
        // D − h·V and the same row of `offsets` holds h·V; the products of element t, component c, output prime
        // I are row (t·2 + c)·(ℓ+1) + I of `products`.
        let rowCount = l + 2 * (l + 1) * l + 2 * m * (l + 1)
        let workspace = UnsafeMutablePointer<UInt64>.allocate(capacity: rowCount * n)
        defer { workspace.deallocate() }
        let coefficients = workspace
        let digits = coefficients + l * n
        let offsets = digits + (l + 1) * l * n
        let products = offsets + (l + 1) * l * n

        coefficients.update(from: c1, count: l * n)
        ConcurrentChunks.forEach(l) { _, range in
            for j in range { keyTables[j].inverse(coefficients + j * n) }
        }
        ConcurrentChunks.forEach(l + 1) { _, range in
            let ones = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
            defer { ones.deallocate() }
            for i in range {
                hoistDigits(
                    coefficients, level: l, degree: n, outputPrime: i, ones: ones, digits: digits, offsets: offsets)
            }
        }
        let exact = exactDigits(coefficients, level: l, degree: n, elements: elements)
        defer { for rows in exact.values { rows.deallocate() } }

        keys.withUnsafeBufferPointer { keyPointers in
            guard let keyBase = keyPointers.baseAddress else { return }
            // One task per (element, output prime): the gather of the ℓ digits and their products with the key.
            ConcurrentChunks.forEach(m * (l + 1)) { _, range in
                let operandRows = UnsafeMutablePointer<UInt64>.allocate(capacity: l * n)
                defer { operandRows.deallocate() }
                let operands = UnsafeMutablePointer<UnsafePointer<UInt64>>.allocate(capacity: l)
                defer { operands.deallocate() }
                for task in range {
                    let t = task / (l + 1)
                    let i = task % (l + 1)
                    let keyRow = keyIndex(ofOutputPrime: i, level: l)
                    permutations[t].withUnsafeBufferPointer { permutation in
                        for j in 0..<l {
                            let row = operandRows + j * n
                            operands[j] = UnsafePointer(row)
                            if i == j {
                                // SEAL reuses the NTT-form row π(c1_J) itself for its own prime.
                                gather(c1 + j * n, permutation, into: row, degree: n)
                            } else if let rows = exact[ExactDigitKey(element: t, digit: j)] {
                                operands[j] = UnsafePointer(rows + i * n)
                            } else {
                                gatherAdding(
                                    digits + (i * l + j) * n, permutation, offsets + (i * l + j) * n, into: row,
                                    degree: n)
                            }
                        }
                    }
                    let product0 = products + (t * 2 * (l + 1) + i) * n
                    Self.multiplyAccumulate(
                        operands: operands, count: l, keys: keyBase + t * l, keyRowOffset: keyRow * n,
                        componentOffset: keyModuli.count * n, modulus: keyModuli[keyRow], degree: n,
                        out0: product0, out1: product0 + (l + 1) * n, accumulate: false)
                }
            }
        }

        // One task per (element, component): divide by P, then add to π(c0) (c0) or to zero (c1).
        let down = modDown[l - 1]
        ConcurrentChunks.forEach(2 * m) { _, range in
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
            defer { scratch.deallocate() }
            for task in range {
                let t = task / 2
                let component = task % 2
                let product = products + task * (l + 1) * n
                down.apply(product, degree: n, scratch: scratch)
                let result = output + task * l * n
                permutations[t].withUnsafeBufferPointer { permutation in
                    for j in 0..<l {
                        let q = keyModuli[j]
                        let row = result + j * n
                        if component == 0 {
                            gather(c0 + j * n, permutation, into: row, degree: n)
                        } else {
                            row.update(repeating: 0, count: n)
                        }
                        for c in 0..<n { row[c] = q.addMod(row[c], product[j * n + c]) }
                    }
                }
            }
        }
    }

    /// The prime of output index I: q_I for I < ℓ, P (the last key prime) for I = ℓ.
    private func keyIndex(ofOutputPrime i: Int, level l: Int) -> Int { i == l ? keyModuli.count - 1 : i }

    /// Fills rows I·ℓ + J (J ≠ I) of `digits` with NTT_r(a_J mod r) − h·V and of `offsets` with h·V, for
    /// r the output prime I, V = NTT_r(all ones) and h = (q_J mod r)·2^-1 mod r (all canonical).
    private func hoistDigits(
        _ coefficients: UnsafePointer<UInt64>, level l: Int, degree n: Int, outputPrime i: Int,
        ones: UnsafeMutablePointer<UInt64>, digits: UnsafeMutablePointer<UInt64>,
        offsets: UnsafeMutablePointer<UInt64>
    ) {
        let keyRow = keyIndex(ofOutputPrime: i, level: l)
        let r = keyModuli[keyRow]
        ones.update(repeating: 1, count: n)
        keyTables[keyRow].forward(ones)
        let half = (r.value + 1) >> 1  // 2^-1 mod r, r odd
        for j in 0..<l where j != i {
            let h = ShoupOperand(r.multiplyMod(r.reduce(keyModuli[j].value), half), modulus: r)
            let digit = digits + (i * l + j) * n
            let offset = offsets + (i * l + j) * n
            lift(coefficients + j * n, from: keyModuli[j], to: r, into: digit, degree: n)
            keyTables[keyRow].forward(digit)
            for c in 0..<n {
                offset[c] = h.multiplyMod(ones[c], modulus: r)
                digit[c] = r.subMod(digit[c], offset[c])
            }
        }
    }

    /// Identifies a digit that the shortcut cannot produce: element index and digit J.
    private struct ExactDigitKey: Hashable {
        let element: Int
        let digit: Int
    }

    /// SEAL's own digits, NTT_r(φ(a_J) mod r) for every output prime r ≠ q_J, for each (element, J) where φ
    /// flips the sign of a zero coefficient of a_J (row I of the returned ℓ+1 rows; row J is unused).
    ///
    /// The caller deallocates the rows.
    private func exactDigits(
        _ coefficients: UnsafePointer<UInt64>, level l: Int, degree n: Int, elements: [UInt64]
    ) -> [ExactDigitKey: UnsafeMutablePointer<UInt64>] {
        let logN = UInt64(n).log2
        var exact: [ExactDigitKey: UnsafeMutablePointer<UInt64>] = [:]
        for j in 0..<l {
            let row = coefficients + j * n
            let zeros = (0..<n).filter { row[$0] == 0 }
            guard !zeros.isEmpty else { continue }
            for (t, g) in elements.enumerated() {
                // Source i lands at i·g mod 2N; the sign flips when that is N or more.
                guard zeros.contains(where: { ((UInt64($0) &* g) >> logN) & 1 == 1 }) else { continue }
                let rows = UnsafeMutablePointer<UInt64>.allocate(capacity: (l + 2) * n)
                let moved = rows + (l + 1) * n
                GaloisTool.applyGalois(row, element: g, degree: n, modulus: keyModuli[j], into: moved)
                for i in 0...l where i != j {
                    let keyRow = keyIndex(ofOutputPrime: i, level: l)
                    lift(moved, from: keyModuli[j], to: keyModuli[keyRow], into: rows + i * n, degree: n)
                    keyTables[keyRow].forwardLazy(rows + i * n)  // [0, 4r), as SEAL's operand
                }
                exact[ExactDigitKey(element: t, digit: j)] = rows
            }
        }
        return exact
    }

    /// Copies coefficients in [0, q) into the prime r: reduced when q > r, as SEAL's `modulo_poly_coeffs`.
    private func lift(
        _ source: UnsafePointer<UInt64>, from q: Modulus, to r: Modulus, into destination: UnsafeMutablePointer<UInt64>,
        degree n: Int
    ) {
        if q.value <= r.value {
            destination.update(from: source, count: n)
        } else {
            for c in 0..<n { destination[c] = r.reduce(source[c]) }
        }
    }

    /// destination[s] = source[permutation[s]]: an NTT-form automorphism (SEAL's `apply_galois_ntt`).
    @inline(__always)
    private func gather(
        _ source: UnsafePointer<UInt64>, _ permutation: UnsafeBufferPointer<UInt32>,
        into destination: UnsafeMutablePointer<UInt64>, degree n: Int
    ) {
        for s in 0..<n { destination[s] = source[Int(permutation[s])] }
    }

    /// destination[s] = source[permutation[s]] + offset[s], left unreduced in [0, 2r) (the products stay
    /// within the lazy accumulator's bound of 4r).
    @inline(__always)
    private func gatherAdding(
        _ source: UnsafePointer<UInt64>, _ permutation: UnsafeBufferPointer<UInt32>, _ offset: UnsafePointer<UInt64>,
        into destination: UnsafeMutablePointer<UInt64>, degree n: Int
    ) {
        for s in 0..<n { destination[s] = source[Int(permutation[s])] &+ offset[s] }
    }
}
