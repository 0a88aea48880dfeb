import NTT

/// SEAL's hybrid key switching on bare word arrays: adds ⟨decompose(T), key⟩ / P (rounded) into (c0, c1).
///
/// The target T (NTT form over q_0..q_{ℓ-1}) is split into non-centred RNS digits t_J = INTT_{q_J}(T_J). For every
/// output prime r_I ∈ {q_0..q_{ℓ-1}, P} the digit is lifted as NTT_{r_I}(t_J mod r_I) (or T_J itself when I = J),
/// multiplied by key row I (row K−1 for P) and accumulated in 128 bits; the sum is divided by P with rounding.
/// Several targets (c2 and c3 of a size-4 ciphertext) can share one accumulation and one division.
/// All workspace is allocated once per call, never inside the loops.
/// - Note: SEAL: evaluator.cpp `Evaluator::switch_key_inplace`
struct KeySwitchKernel: Sendable {
    /// All key-level primes q_0..q_{K-2}, P.
    let keyModuli: [Modulus]
    /// Their NTT tables.
    let keyTables: [NTTTables]
    /// Division by P with rounding over q_0..q_{ℓ-1}, P, indexed by ℓ − 1.
    let modDown: [DivideAndRoundLast]
    /// Division by q_{ℓ-1}·P with rounding, indexed by ℓ − 1 (nil for ℓ = 1).
    let modDownRescale: [DivideAndRoundTwoLast?]

    /// Precomputes the mod-down constants for every data level.
    /// - Parameter keyLevel: the key level (at least two primes; the last is P).
    init(keyLevel: ContextData) {
        keyModuli = keyLevel.coeffModulus
        keyTables = keyLevel.nttTables
        let k = keyModuli.count
        // P^-1 mod q_i for the key level's primes serves every prefix q_0..q_{ℓ-1}.
        modDown = (1..<k).map { [keyModuli, keyTables] l in
            DivideAndRoundLast(
                moduli: Array(keyModuli[0..<l]) + [keyModuli[k - 1]],
                tables: Array(keyTables[0..<l]) + [keyTables[k - 1]],
                inverses: keyLevel.inverseLastModulusModQ)
        }
        modDownRescale = (1..<k).map { [keyModuli, keyTables] l in
            DivideAndRoundTwoLast(
                data: Array(keyModuli[0..<l]), dataTables: Array(keyTables[0..<l]), special: keyModuli[k - 1],
                specialTable: keyTables[k - 1])
        }
    }

    /// Adds the key-switched `target` into `c0` and `c1`.
    /// - Parameters:
    ///   - target: ℓ NTT-form rows over q_0..q_{ℓ-1} (canonical).
    ///   - level: ℓ, the number of primes of the ciphertext's level (1 ≤ ℓ ≤ K−1).
    ///   - degree: N.
    ///   - keys: at least ℓ key ciphertexts, each two polynomials of K rows (c0 rows then c1 rows).
    ///   - c0: ℓ rows, updated in place.
    ///   - c1: ℓ rows, updated in place.
    func apply(
        target: UnsafePointer<UInt64>, level: Int, degree: Int, keys: [UnsafePointer<UInt64>],
        c0: UnsafeMutablePointer<UInt64>, c1: UnsafeMutablePointer<UInt64>
    ) {
        let n = degree
        let l = level
        withProducts(targets: [target], level: l, degree: n, keys: keys) { product0, product1, scratch in
            let down = modDown[l - 1]
            // The two components' divisions are independent: one per core (`scratch` has a row for each).
            ConcurrentChunks.forEach(2, minimumChunk: Self.parallel(degree: n, level: l) ? 1 : 2) { _, range in
                for component in range {
                    down.apply(component == 0 ? product0 : product1, degree: n, scratch: scratch + component * n)
                }
            }
            for j in 0..<l {
                let q = keyModuli[j]
                for c in 0..<n {
                    c0[j * n + c] = q.addMod(c0[j * n + c], product0[j * n + c])
                    c1[j * n + c] = q.addMod(c1[j * n + c], product1[j * n + c])
                }
            }
        }
    }

    /// Replaces (c0, c1) by round((P·c + Σ_t key switch of `targets[t]` before its mod-down) / (q_{ℓ-1}·P)).
    ///
    /// This is relinearize and rescale in one division. Every target's products go into the same 128-bit
    /// accumulators, so a size-4 ciphertext costs one mod-down, not two. The ℓ−1 result rows of each are written
    /// at the start of `c0` and `c1`.
    /// - Parameters:
    ///   - targets: one or more targets, each ℓ NTT-form rows over q_0..q_{ℓ-1} (canonical). They are read in
    ///     full before `c0` and `c1` are written, so they may follow c1 in the same buffer (but not overlap it).
    ///   - level: ℓ, with 2 ≤ ℓ ≤ K−1.
    ///   - degree: N.
    ///   - keys: target t's key for digit J at `keys[t·ℓ + J]` (one target may pass more than ℓ keys).
    ///   - c0: ℓ rows, replaced by ℓ−1.
    ///   - c1: ℓ rows, replaced by ℓ−1.
    /// - Returns: false (and nothing written) when ℓ has no fused division (ℓ = 1).
    func applyRescaling(
        targets: [UnsafePointer<UInt64>], level: Int, degree: Int, keys: [UnsafePointer<UInt64>],
        c0: UnsafeMutablePointer<UInt64>, c1: UnsafeMutablePointer<UInt64>
    ) -> Bool {
        guard level >= 1, level <= modDownRescale.count, let down = modDownRescale[level - 1] else { return false }
        withProducts(targets: targets, level: level, degree: degree, keys: keys) { product0, product1, scratch in
            // The two components' divisions are independent: one per core (`scratch` has a row for each).
            ConcurrentChunks.forEach(2, minimumChunk: Self.parallel(degree: degree, level: level) ? 1 : 2) { _, range in
                for component in range {
                    let product = component == 0 ? product0 : product1, cipher = component == 0 ? c0 : c1
                    down.apply(
                        product: product, cipher: cipher, degree: degree, output: cipher,
                        scratch: scratch + component * degree)
                }
            }
        }
        return true
    }

    /// Calls `body` with the (ℓ+1)-row products Σ_t ⟨decompose(T_t), key_t⟩ over q_0..q_{ℓ-1}, P.
    ///
    /// Both key components are summed before the mod-down; `body` also gets 2N words of scratch (a row per
    /// component, so their divisions can run at once). Target t uses
    /// `keys[t·ℓ ..< (t+1)·ℓ]`.
    private func withProducts(
        targets: [UnsafePointer<UInt64>], level: Int, degree: Int, keys: [UnsafePointer<UInt64>],
        _ body: (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>) -> Void
    ) {
        let n = degree
        let l = level
        let bigK = keyModuli.count
        // m·ℓ digits in all: digit (t, J) is row t·ℓ + J of the workspace and pairs with keys[t·ℓ + J].
        let m = targets.count
        let digitCount = m * l
        assert(l >= 1 && l < bigK && m >= 1 && keys.count >= digitCount)
        // Output primes are independent, so at ring sizes where it pays they are split between the cores (each
        // chunk lifts into its own rows); the words are the same either way.
        let chunks = Self.parallel(degree: n, level: l) ? ConcurrentChunks.chunkCount(l + 1) : 1
        // Workspace: digits t_J (m·ℓ rows), one target's lifted digits for one output prime (ℓ rows per chunk),
        // products (2 × (ℓ+1) rows), and two rows of scratch for the mod-downs. Lifting and accumulating one
        // target at a time keeps the working set of a size-4 switch that of a size-3 one.
        let workspace = UnsafeMutablePointer<UInt64>.allocate(capacity: (digitCount + chunks * l + 2 * l + 4) * n)
        defer { workspace.deallocate() }
        let digits = workspace
        let liftedRows = digits + digitCount * n
        let product0 = liftedRows + chunks * l * n
        let product1 = product0 + (l + 1) * n
        let scratch = product1 + (l + 1) * n
        for (t, target) in targets.enumerated() {
            (digits + t * l * n).update(from: target, count: l * n)
        }
        // One chunk (this thread) unless the switch is split.
        func split(_ count: Int) -> Int { chunks > 1 ? 1 : max(1, count) }
        ConcurrentChunks.forEach(digitCount, minimumChunk: split(digitCount)) { _, range in
            for row in range { keyTables[row % l].inverse(digits + row * n) }
        }
        let operandRows = UnsafeMutablePointer<UnsafePointer<UInt64>>.allocate(capacity: chunks * l)
        defer { operandRows.deallocate() }
        /// The products for output primes `range` (r_I: q_I, or P for I = ℓ), lifting into chunk `chunk`'s rows.
        func products(_ range: Range<Int>, chunk: Int, keyBase: UnsafePointer<UnsafePointer<UInt64>>) {
            let lifted = liftedRows + chunk * l * n
            let operands = operandRows + chunk * l
            for i in range {
                let keyRow = i == l ? bigK - 1 : i
                let r = keyModuli[keyRow]
                for (t, target) in targets.enumerated() {
                    for j in 0..<l {
                        if i == j {
                            operands[j] = target + j * n
                            continue
                        }
                        let source = digits + (t * l + j) * n
                        let destination = lifted + j * n
                        if keyModuli[j].value <= r.value {
                            destination.update(from: source, count: n)
                        } else {
                            for c in 0..<n { destination[c] = r.reduce(source[c]) }
                        }
                        keyTables[keyRow].forwardLazy(destination)  // [0, 4r)
                        operands[j] = UnsafePointer(destination)
                    }
                    Self.multiplyAccumulate(
                        operands: operands, count: l, keys: keyBase + t * l, keyRowOffset: keyRow * n,
                        componentOffset: bigK * n, modulus: r, degree: n, out0: product0 + i * n,
                        out1: product1 + i * n, accumulate: t > 0)
                }
            }
        }
        keys.withUnsafeBufferPointer { keyPointers in
            guard let keyBase = keyPointers.baseAddress else { return }
            ConcurrentChunks.forEach(l + 1, minimumChunk: split(l + 1)) { chunk, range in
                products(range, chunk: chunk, keyBase: keyBase)
            }
        }
        body(product0, product1, scratch)
    }

    /// Whether a key switch at this size is split between the cores: from N = 4096 and two primes, where one
    /// output prime's lifts and products (ℓ NTTs of N words) outweigh waking a second thread many times over.
    static func parallel(degree: Int, level: Int) -> Bool { degree >= 4096 && level >= 2 }

    /// out_comp[c] = Σ_J operand_J[c] · key_J.comp[row][c] mod r, with 128-bit lazy sums (reduced every 8 terms);
    /// with `accumulate`, the sum starts from out_comp[c] (canonical) instead of 0.
    @inline(__always)
    static func multiplyAccumulate(
        operands: UnsafeMutablePointer<UnsafePointer<UInt64>>, count l: Int,
        keys: UnsafePointer<UnsafePointer<UInt64>>, keyRowOffset: Int, componentOffset: Int, modulus r: Modulus,
        degree: Int,
        out0: UnsafeMutablePointer<UInt64>, out1: UnsafeMutablePointer<UInt64>, accumulate: Bool
    ) {
        for c in 0..<degree {
            var sum0 = WideSum(accumulate ? out0[c] : 0)
            var sum1 = WideSum(accumulate ? out1[c] : 0)
            var pending = 0
            for j in 0..<l {
                let x = operands[j][c]
                let key = keys[j] + keyRowOffset + c
                sum0.add(x, times: key[0])
                sum1.add(x, times: key[componentOffset])
                pending += 1
                // Products are below 4r·r < 2^124 (a start value is below r); fold after 8 of them so the sum
                // stays below 2^128.
                if pending == 8 {
                    sum0 = WideSum(sum0.reduced(r))
                    sum1 = WideSum(sum1.reduced(r))
                    pending = 0
                }
            }
            out0[c] = sum0.reduced(r)
            out1[c] = sum1.reduced(r)
        }
    }
}
