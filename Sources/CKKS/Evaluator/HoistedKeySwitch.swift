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
/// π(D − h·V) + h·V. D − h·V is computed once per ciphertext; per element a gather, a Shoup product and an add
/// remain.
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
    /// - Returns: element t's result at index t: 2ℓ rows (c0 then c1), each array made where it is written (no
    ///   zero fill, no copy).
    func applyGaloisHoisted(
        c0: UnsafePointer<UInt64>, c1: UnsafePointer<UInt64>, level: Int, degree: Int, elements: [UInt64],
        keys: [UnsafePointer<UInt64>]
    ) -> [[UInt64]] {
        let n = degree
        let l = level
        let m = elements.count
        assert(l >= 1 && l < keyModuli.count && keys.count >= m * l)
        guard m > 0 else { return [] }
        let permutations = elements.map { GaloisTool.nttPermutation(element: $0, degree: n) }

        // Coefficients a_J (ℓ rows); V = NTT_r(all ones) for output prime I (row I of `ones`); for output prime I
        // and digit J ≠ I, row I·ℓ + J of `digits` holds D − h·V. h·V itself is remade per element from V (a
        // lazy Shoup product) rather than stored: a row of V serves ℓ digits and stays in cache.
        let workspace = UnsafeMutablePointer<UInt64>.allocate(capacity: (2 * l + 1 + (l + 1) * l) * n)
        defer { workspace.deallocate() }
        let coefficients = workspace
        let ones = coefficients + l * n
        let digits = ones + (l + 1) * n

        coefficients.update(from: c1, count: l * n)
        ConcurrentChunks.forEach(l) { _, range in
            for j in range { keyTables[j].inverse(coefficients + j * n) }
        }
        ConcurrentChunks.forEach(l + 1) { _, range in
            for i in range {
                hoistDigits(coefficients, level: l, degree: n, outputPrime: i, ones: ones + i * n, digits: digits)
            }
        }
        let halves = (0...l).map { i in (0..<l).map { j in halfCorrection(digit: j, outputPrime: i, level: l) } }
        let exact = exactDigits(coefficients, level: l, degree: n, elements: elements)
        defer { for rows in exact.values { rows.deallocate() } }

        // Written concurrently, each slot by one worker.
        let results = UnsafeMutableBufferPointer<[UInt64]>.allocate(capacity: m)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        keys.withUnsafeBufferPointer { keyPointers in
            guard let keyBase = keyPointers.baseAddress else { return }
            let hoisted = HoistedDigits(
                c0: c0, c1: c1, digits: digits, ones: ones, halves: halves, exact: exact, keys: keyBase, level: l,
                degree: n)
            // Each core takes whole elements: an element's products (2(ℓ+1) rows) are divided by P right after
            // they are made, while they are still in cache, and no core waits for another.
            ConcurrentChunks.forEach(m) { _, range in
                let space = ElementWorkspace(level: l, degree: n)
                defer { space.deallocate() }
                for t in range {
                    results[t] = [UInt64](unsafeUninitializedCapacity: 2 * l * n) { output, count in
                        guard let output = output.baseAddress else { return }
                        permutations[t].withUnsafeBufferPointer { permutation in
                            for i in 0...l { products(hoisted, element: t, permutation, outputPrime: i, space) }
                            for component in 0..<2 {
                                finish(hoisted, permutation, component: component, space, output: output)
                            }
                        }
                        count = 2 * l * n
                    }
                }
            }
        }
        return Array(results)
    }

    /// What every element's key switch reads: the input, the hoisted digits and the keys.
    private struct HoistedDigits {
        /// c0 and c1, ℓ NTT-form rows each.
        let c0: UnsafePointer<UInt64>
        let c1: UnsafePointer<UInt64>
        /// D − h·V, row I·ℓ + J for output prime I and digit J ≠ I.
        let digits: UnsafePointer<UInt64>
        /// V = NTT_r(all ones), row I for output prime I.
        let ones: UnsafePointer<UInt64>
        /// h for output prime I and digit J at `halves[I][J]`.
        let halves: [[ShoupOperand]]
        /// SEAL's own digits where the shortcut does not hold.
        let exact: [ExactDigitKey: UnsafeMutablePointer<UInt64>]
        /// Element t's ℓ decomposition keys at `keys[t·ℓ ..< (t+1)·ℓ]`.
        let keys: UnsafePointer<UnsafePointer<UInt64>>
        let level: Int
        let degree: Int

        init(
            c0: UnsafePointer<UInt64>, c1: UnsafePointer<UInt64>, digits: UnsafeMutablePointer<UInt64>,
            ones: UnsafeMutablePointer<UInt64>, halves: [[ShoupOperand]],
            exact: [ExactDigitKey: UnsafeMutablePointer<UInt64>],
            keys: UnsafePointer<UnsafePointer<UInt64>>, level: Int, degree: Int
        ) {
            self.c0 = c0
            self.c1 = c1
            self.digits = UnsafePointer(digits)
            self.ones = UnsafePointer(ones)
            self.halves = halves
            self.exact = exact
            self.keys = keys
            self.level = level
            self.degree = degree
        }
    }

    /// One worker's buffers for key-switching elements: ℓ operand rows and their pointers, one row of scratch and
    /// the 2(ℓ+1) product rows.
    private struct ElementWorkspace {
        let operandRows: UnsafeMutablePointer<UInt64>
        let operands: UnsafeMutablePointer<UnsafePointer<UInt64>>
        let scratch: UnsafeMutablePointer<UInt64>
        /// Component c's row I at `products + (c·(ℓ+1) + I)·N`.
        let products: UnsafeMutablePointer<UInt64>

        init(level l: Int, degree n: Int) {
            operandRows = .allocate(capacity: (l + 1 + 2 * (l + 1)) * n)
            scratch = operandRows + l * n
            products = scratch + n
            operands = .allocate(capacity: l)
        }

        func deallocate() {
            operandRows.deallocate()
            operands.deallocate()
        }
    }

    /// Row I of both product components of element t: Σ_J digit_J · key_J[row of I], the digits being π(c1_I)
    /// for J = I (SEAL reuses that NTT-form row for its own prime), SEAL's own digit where one was made, and
    /// π(D − h·V) + h·V otherwise.
    private func products(
        _ hoisted: HoistedDigits, element t: Int, _ permutation: UnsafeBufferPointer<UInt32>, outputPrime i: Int,
        _ space: ElementWorkspace
    ) {
        let n = hoisted.degree
        let l = hoisted.level
        for j in 0..<l {
            let row = space.operandRows + j * n
            space.operands[j] = UnsafePointer(row)
            if i == j {
                gather(hoisted.c1 + j * n, permutation, into: row, degree: n)
            } else if let rows = hoisted.exact[ExactDigitKey(element: t, digit: j)] {
                space.operands[j] = UnsafePointer(rows + i * n)
            } else {
                gatherAdding(
                    hoisted.digits + (i * l + j) * n, permutation, hoisted.halves[i][j], hoisted.ones + i * n,
                    modulus: keyModuli[keyIndex(ofOutputPrime: i, level: l)], into: row, degree: n)
            }
        }
        let keyRow = keyIndex(ofOutputPrime: i, level: l)
        let product0 = space.products + i * n
        Self.multiplyAccumulate(
            operands: space.operands, count: l, keys: hoisted.keys + t * l, keyRowOffset: keyRow * n,
            componentOffset: keyModuli.count * n, modulus: keyModuli[keyRow], degree: n, out0: product0,
            out1: product0 + (l + 1) * n, accumulate: false)
    }

    /// Divides product component `component` by P and writes π(c0) + it (component 0) or 0 + it (component 1)
    /// as SEAL's `apply_galois` leaves them: ℓ rows at `output + component·ℓN`.
    private func finish(
        _ hoisted: HoistedDigits, _ permutation: UnsafeBufferPointer<UInt32>, component: Int,
        _ space: ElementWorkspace, output: UnsafeMutablePointer<UInt64>
    ) {
        let n = hoisted.degree
        let l = hoisted.level
        let product = space.products + component * (l + 1) * n
        modDown[l - 1].apply(product, degree: n, scratch: space.scratch)
        for j in 0..<l {
            let q = keyModuli[j]
            let row = output + (component * l + j) * n
            if component == 0 {
                gather(hoisted.c0 + j * n, permutation, into: row, degree: n)
            } else {
                row.update(repeating: 0, count: n)
            }
            for c in 0..<n { row[c] = q.addMod(row[c], product[j * n + c]) }
        }
    }

    /// The prime of output index I: q_I for I < ℓ, P (the last key prime) for I = ℓ.
    private func keyIndex(ofOutputPrime i: Int, level l: Int) -> Int { i == l ? keyModuli.count - 1 : i }

    /// h = (q_J mod r)·2^-1 mod r for digit J and output prime I (prime r), with its Shoup quotient.
    private func halfCorrection(digit j: Int, outputPrime i: Int, level l: Int) -> ShoupOperand {
        let r = keyModuli[keyIndex(ofOutputPrime: i, level: l)]
        let half = (r.value + 1) >> 1  // 2^-1 mod r, r odd
        return ShoupOperand(r.multiplyMod(r.reduce(keyModuli[j].value), half), modulus: r)
    }

    /// Fills `ones` with V = NTT_r(all ones) and rows I·ℓ + J (J ≠ I) of `digits` with NTT_r(a_J mod r) − h·V,
    /// for r the output prime I (all canonical).
    private func hoistDigits(
        _ coefficients: UnsafePointer<UInt64>, level l: Int, degree n: Int, outputPrime i: Int,
        ones: UnsafeMutablePointer<UInt64>, digits: UnsafeMutablePointer<UInt64>
    ) {
        let keyRow = keyIndex(ofOutputPrime: i, level: l)
        let r = keyModuli[keyRow]
        ones.update(repeating: 1, count: n)
        keyTables[keyRow].forward(ones)
        for j in 0..<l where j != i {
            let h = halfCorrection(digit: j, outputPrime: i, level: l)
            let digit = digits + (i * l + j) * n
            lift(coefficients + j * n, from: keyModuli[j], to: r, into: digit, degree: n)
            keyTables[keyRow].forward(digit)
            for c in 0..<n { digit[c] = r.subMod(digit[c], h.multiplyMod(ones[c], modulus: r)) }
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

    /// destination[s] = source[permutation[s]] + h·V[s], left unreduced in [0, 3r) (the products stay within
    /// the lazy accumulator's bound of 4r).
    @inline(__always)
    private func gatherAdding(
        _ source: UnsafePointer<UInt64>, _ permutation: UnsafeBufferPointer<UInt32>, _ h: ShoupOperand,
        _ ones: UnsafePointer<UInt64>, modulus r: Modulus, into destination: UnsafeMutablePointer<UInt64>, degree n: Int
    ) {
        for s in 0..<n {
            destination[s] = source[Int(permutation[s])] &+ h.multiplyModLazy(ones[s], modulus: r)
        }
    }
}
