import NN
import NTT

/// One product of a sum of products: an encrypted weight (two components) times a plaintext or a
/// ciphertext of two or three components, all NTT form at the same k primes.
package struct ProductTerm {
    /// The weight ciphertext: component c, prime j at `weight + (c·k + j)·N`.
    let weight: UnsafePointer<UInt64>
    /// The input: a plaintext (prime j at `input + j·N`) or a ciphertext laid out like `weight`.
    let input: UnsafePointer<UInt64>
    /// Whether `input` is a ciphertext (the product then has `inputComponents + 1` components).
    let inputIsCipher: Bool
    /// Components of a ciphertext input: 2, 3 for an unrelinearized product, or 4 for an unrelinearized product
    /// in ``EvaluationForm`` (the product's four rows are then its values at 0, ∞, 1 and −1).
    var inputComponents: Int = 2
    /// With a four-row (``EvaluationForm``) input: whether the weight is in evaluation form too (four rows).
    ///
    /// Otherwise it is plain (b0, b1), its values at 1 and −1 then made in registers. The plain weight is half the
    /// bytes, which is what matters where every weight is read once per image (the pixels packing: GTSRB at 50 % holds
    /// ~3.2 GB of them); where a weight serves many products (the batch packing) the stored rows save two additions.
    var weightIsEvaluated: Bool = true

    /// A term (`package`: the kernel benchmarks build them).
    package init(
        weight: UnsafePointer<UInt64>, input: UnsafePointer<UInt64>, inputIsCipher: Bool, inputComponents: Int = 2,
        weightIsEvaluated: Bool = true
    ) {
        self.weight = weight
        self.input = input
        self.inputIsCipher = inputIsCipher
        self.inputComponents = inputComponents
        self.weightIsEvaluated = weightIsEvaluated
    }
}

/// Sums of dyadic products with lazy 128-bit accumulation: one Barrett reduction per output word, instead of
/// one reduction and one addition per product.
///
/// Terms are streamed one block of coefficients at a time into 128-bit running sums kept in a small scratch
/// area; ct⊙pt terms go in pairs, whose two products are added in registers before touching the scratch.
/// (Running over all terms per coefficient with the sums in registers is slower: the dozens of input rows
/// sit at the same page offset and evict each other from the L1 cache.)
package enum LazyAccumulator {
    /// Coefficients per block: the (up to eight) running-sum rows of a block stay in L1.
    static let block = 256
    /// Words from one running-sum row to the next: a block plus a cache line, so that rows are not a multiple of 4 KiB
    /// apart (lo0 and lo1 were): the store to one row's word i then no longer holds up the load of the next row's word
    /// i (the core guesses load-store overlaps from the low 12 address bits), and the rows fall in distinct L1 sets.
    ///
    /// Measured 1.08–1.19× on ct⊙ct3 terms (block by block against the unpadded rows, in one process), neutral on
    /// ct⊙pt.
    static let rowStride = block + 8
    /// Products a 128-bit sum can take before it must be reduced: each is below (2^60)² = 2^120, so 255 fit.
    static let maxLazyProducts = 255

    /// Writes Σ terms into `out` (`outSize` components of k·N words): component 0 = Σ w0·x (or w0·b0),
    /// 1 = Σ w1·x (or w0·b1 + w1·b0), 2 = Σ w1·b1 (+ w0·b2) (only when some input is a ciphertext, `outSize` = 3
    /// or, with a three-component input, 4), 3 = Σ w1·b2; with `accumulate` the sums are added to `out` (mod q)
    /// instead of overwriting it.
    /// - Precondition: every word is canonical (< q_j) and q_j < 2^60.
    package static func sum(
        _ terms: [ProductTerm], primes k: Int, degree n: Int, moduli: [Modulus], outSize: Int,
        into out: UnsafeMutablePointer<UInt64>, accumulate: Bool = false
    ) {
        let evaluation = false
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 8 * rowStride)
        defer { scratch.deallocate() }
        for j in 0..<k {
            var start = 0
            while start < n {
                sumBlock(
                    terms, prime: j, start: start, count: min(block, n - start), primes: k, degree: n,
                    modulus: moduli[j], outSize: outSize, into: out, scratch: scratch, accumulate: accumulate,
                    evaluation: evaluation)
                start += block
            }
        }
    }

    /// Many sums at once, cache-blocked.
    ///
    /// Many sums at once, cache-blocked: work items are (prime, block of coefficients), and each item computes
    /// that block of every output, so a block of every input and weight is loaded from memory once and reused
    /// by all outputs that share it (neighbouring pooled outputs share two thirds of their inputs). Items run
    /// on every core.
    ///
    /// With `evaluation`, the destinations are four-component sums in ``EvaluationForm`` (accumulated): terms in
    /// evaluation form add their four products row by row, and two-component sums (ct⊙pt terms, `outSize` 2)
    /// are added as the values of c0 + c1·Y at 0, 1 and −1.
    package static func sumAll(
        _ outputs: [[ProductTerm]], primes k: Int, degree n: Int, moduli: [Modulus], outSize: Int,
        into destinations: [UnsafeMutablePointer<UInt64>], accumulate: Bool = false, evaluation: Bool = false
    ) {
        let blocks = (n + block - 1) / block
        Parallelism.forEach(k * blocks) { item in
            let j = item / blocks, start = (item % blocks) * block
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 8 * rowStride)
            defer { scratch.deallocate() }
            for (o, terms) in outputs.enumerated() {
                sumBlock(
                    terms, prime: j, start: start, count: min(block, n - start), primes: k, degree: n,
                    modulus: moduli[j], outSize: outSize, into: destinations[o], scratch: scratch,
                    accumulate: accumulate, evaluation: evaluation)
            }
        }
    }

    /// One block of coefficients of one prime of one sum.
    @inline(__always)
    static func sumBlock(
        _ terms: [ProductTerm], prime j: Int, start: Int, count: Int, primes k: Int, degree n: Int, modulus q: Modulus,
        outSize: Int, into out: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, accumulate: Bool,
        evaluation: Bool
    ) {
        // ct⊙pt sums into an evaluation-form destination start from zero and are folded in at the end.
        let folded = evaluation && outSize == 2
        let lo0 = scratch, hi0 = scratch + rowStride, lo1 = scratch + 2 * rowStride, hi1 = scratch + 3 * rowStride
        let lo2 = scratch + 4 * rowStride, hi2 = scratch + 5 * rowStride
        let lo3 = scratch + 6 * rowStride, hi3 = scratch + 7 * rowStride
        // The running sums start from zero, or from the destination's words when accumulating (they are < q, so
        // they only take the place of one product in the 128-bit budget).
        for c in 0..<max(3, outSize) {
            let lo = scratch + 2 * c * rowStride
            if accumulate && c < outSize && !folded {
                lo.update(from: out + (c * k + j) * n + start, count: count)
            } else {
                lo.update(repeating: 0, count: count)
            }
            (lo + rowStride).update(repeating: 0, count: count)
        }
        var pending = 1  // products in the running sums since the last reduction (at most 2 per term)
        var t = 0
        while t < terms.count {
            if pending > maxLazyProducts - 2 {
                fold(lo0, hi0, count, q)
                fold(lo1, hi1, count, q)
                if outSize >= 3 { fold(lo2, hi2, count, q) }
                if outSize == 4 { fold(lo3, hi3, count, q) }
                pending = 0
            }
            let term = terms[t]
            let w0 = term.weight + j * n + start
            let w1 = term.weight + (k + j) * n + start
            if term.inputIsCipher && term.inputComponents == 4 && !term.weightIsEvaluated {
                // Evaluation form with a plain weight: its rows at 1 and −1 are b0 + b1 and b0 − b1.
                let b0 = term.input + j * n + start, b1 = term.input + (k + j) * n + start
                let b2 = term.input + (2 * k + j) * n + start, b3 = term.input + (3 * k + j) * n + start
                let next = t + 1 < terms.count ? terms[t + 1] : term
                if t + 1 < terms.count, next.inputIsCipher, next.inputComponents == 4, !next.weightIsEvaluated {
                    let v0 = next.weight + j * n + start, v1 = next.weight + (k + j) * n + start
                    let y0 = next.input + j * n + start, y1 = next.input + (k + j) * n + start
                    let y2 = next.input + (2 * k + j) * n + start, y3 = next.input + (3 * k + j) * n + start
                    for i in 0..<count {
                        let a0 = w0[i], a1 = w1[i], c0 = v0[i], c1 = v1[i]
                        var s0 = WideSum(a0, times: b0[i])
                        s0.add(c0, times: y0[i])
                        var s1 = WideSum(a1, times: b1[i])
                        s1.add(c1, times: y1[i])
                        var s2 = WideSum(q.addMod(a0, a1), times: b2[i])
                        s2.add(q.addMod(c0, c1), times: y2[i])
                        var s3 = WideSum(q.subMod(a0, a1), times: b3[i])
                        s3.add(q.subMod(c0, c1), times: y3[i])
                        add(s0, lo0 + i, hi0 + i)
                        add(s1, lo1 + i, hi1 + i)
                        add(s2, lo2 + i, hi2 + i)
                        add(s3, lo3 + i, hi3 + i)
                    }
                    pending += 2
                    t += 2
                } else {
                    for i in 0..<count {
                        let a0 = w0[i], a1 = w1[i]
                        add(WideSum(a0, times: b0[i]), lo0 + i, hi0 + i)
                        add(WideSum(a1, times: b1[i]), lo1 + i, hi1 + i)
                        add(WideSum(q.addMod(a0, a1), times: b2[i]), lo2 + i, hi2 + i)
                        add(WideSum(q.subMod(a0, a1), times: b3[i]), lo3 + i, hi3 + i)
                    }
                    pending += 1
                    t += 1
                }
            } else if term.inputIsCipher && term.inputComponents == 4 {
                // Evaluation form: row r of the product is row r of the weight times row r of the input. Two terms
                // at a time when they can, their products added in registers.
                let w2 = term.weight + (2 * k + j) * n + start, w3 = term.weight + (3 * k + j) * n + start
                let b0 = term.input + j * n + start, b1 = term.input + (k + j) * n + start
                let b2 = term.input + (2 * k + j) * n + start, b3 = term.input + (3 * k + j) * n + start
                if t + 1 < terms.count, terms[t + 1].inputIsCipher, terms[t + 1].inputComponents == 4,
                    terms[t + 1].weightIsEvaluated
                {
                    let next = terms[t + 1]
                    let v0 = next.weight + j * n + start, v1 = next.weight + (k + j) * n + start
                    let v2 = next.weight + (2 * k + j) * n + start, v3 = next.weight + (3 * k + j) * n + start
                    let y0 = next.input + j * n + start, y1 = next.input + (k + j) * n + start
                    let y2 = next.input + (2 * k + j) * n + start, y3 = next.input + (3 * k + j) * n + start
                    for i in 0..<count {
                        var s0 = WideSum(w0[i], times: b0[i])
                        s0.add(v0[i], times: y0[i])
                        var s1 = WideSum(w1[i], times: b1[i])
                        s1.add(v1[i], times: y1[i])
                        var s2 = WideSum(w2[i], times: b2[i])
                        s2.add(v2[i], times: y2[i])
                        var s3 = WideSum(w3[i], times: b3[i])
                        s3.add(v3[i], times: y3[i])
                        add(s0, lo0 + i, hi0 + i)
                        add(s1, lo1 + i, hi1 + i)
                        add(s2, lo2 + i, hi2 + i)
                        add(s3, lo3 + i, hi3 + i)
                    }
                    pending += 2
                    t += 2
                } else {
                    for i in 0..<count {
                        add(WideSum(w0[i], times: b0[i]), lo0 + i, hi0 + i)
                        add(WideSum(w1[i], times: b1[i]), lo1 + i, hi1 + i)
                        add(WideSum(w2[i], times: b2[i]), lo2 + i, hi2 + i)
                        add(WideSum(w3[i], times: b3[i]), lo3 + i, hi3 + i)
                    }
                    pending += 1
                    t += 1
                }
            } else if term.inputIsCipher && term.inputComponents == 3 {
                let b0 = term.input + j * n + start
                let b1 = term.input + (k + j) * n + start
                let b2 = term.input + (2 * k + j) * n + start
                for i in 0..<count {
                    let a0 = w0[i], a1 = w1[i], x0 = b0[i], x1 = b1[i], x2 = b2[i]
                    var c1 = WideSum(a0, times: x1)
                    c1.add(a1, times: x0)
                    var c2 = WideSum(a1, times: x1)
                    c2.add(a0, times: x2)
                    add(WideSum(a0, times: x0), lo0 + i, hi0 + i)
                    add(c1, lo1 + i, hi1 + i)
                    add(c2, lo2 + i, hi2 + i)
                    add(WideSum(a1, times: x2), lo3 + i, hi3 + i)
                }
                pending += 2
                t += 1
            } else if term.inputIsCipher {
                let b0 = term.input + j * n + start
                let b1 = term.input + (k + j) * n + start
                for i in 0..<count {
                    let a0 = w0[i], a1 = w1[i], x0 = b0[i], x1 = b1[i]
                    var middle = WideSum(a0, times: x1)
                    middle.add(a1, times: x0)
                    add(WideSum(a0, times: x0), lo0 + i, hi0 + i)
                    add(middle, lo1 + i, hi1 + i)
                    add(WideSum(a1, times: x1), lo2 + i, hi2 + i)
                }
                pending += 2
                t += 1
            } else if t + 1 < terms.count, !terms[t + 1].inputIsCipher {
                let next = terms[t + 1]
                let v0 = next.weight + j * n + start
                let v1 = next.weight + (k + j) * n + start
                let x = term.input + j * n + start, y = next.input + j * n + start
                for i in 0..<count {
                    let xi = x[i], yi = y[i]
                    var s0 = WideSum(w0[i], times: xi)
                    s0.add(v0[i], times: yi)
                    var s1 = WideSum(w1[i], times: xi)
                    s1.add(v1[i], times: yi)
                    add(s0, lo0 + i, hi0 + i)
                    add(s1, lo1 + i, hi1 + i)
                }
                pending += 2
                t += 2
            } else {
                let x = term.input + j * n + start
                for i in 0..<count {
                    let xi = x[i]
                    add(WideSum(w0[i], times: xi), lo0 + i, hi0 + i)
                    add(WideSum(w1[i], times: xi), lo1 + i, hi1 + i)
                }
                pending += 1
                t += 1
            }
        }
        if folded {
            // c0 + c1·Y at Y = 0, 1, −1 into rows 0, 2, 3 of the evaluation form (its value at ∞, row 1, is 0).
            let e0 = out + j * n + start, e1 = out + (2 * k + j) * n + start, e2 = out + (3 * k + j) * n + start
            for i in 0..<count {
                let d0 = q.reduce(high: hi0[i], low: lo0[i]), d1 = q.reduce(high: hi1[i], low: lo1[i])
                e0[i] = q.addMod(e0[i], d0)
                e1[i] = q.addMod(e1[i], q.addMod(d0, d1))
                e2[i] = q.addMod(e2[i], q.subMod(d0, d1))
            }
            return
        }
        for c in 0..<outSize {
            let lo = scratch + 2 * c * rowStride, hi = lo + rowStride
            let row = out + (c * k + j) * n + start
            for i in 0..<count { row[i] = q.reduce(high: hi[i], low: lo[i]) }
        }
    }

    /// Adds a 128-bit value to the running sum kept at (lo, hi).
    @inline(__always)
    static func add(_ p: WideSum, _ lo: UnsafeMutablePointer<UInt64>, _ hi: UnsafeMutablePointer<UInt64>) {
        WideSum.add(p, low: lo, high: hi)
    }

    /// Reduces running sums to single words (so that more products fit).
    @inline(__always)
    static func fold(_ lo: UnsafeMutablePointer<UInt64>, _ hi: UnsafeMutablePointer<UInt64>, _ count: Int, _ q: Modulus)
    {
        for i in 0..<count {
            lo[i] = q.reduce(high: hi[i], low: lo[i])
            hi[i] = 0
        }
    }
}
