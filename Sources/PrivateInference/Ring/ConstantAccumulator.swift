import NN
import NTT

/// One product of a sum of ciphertext-times-constant products: a two-component NTT-form ciphertext at k primes
/// times a plaintext constant.
///
/// A real weight w encoded as a constant (every slot w) at scale Δ is the constant polynomial round(w·Δ), which
/// in NTT form is the single word round(w·Δ) mod q_j repeated over every coefficient of prime j. Multiplying by it
/// is therefore one word product per coefficient, with no encoding, NTT or plaintext buffer to read.
struct ConstantTerm {
    /// The ciphertext: component c, prime j at `input + (c·k + j)·N`.
    let input: UnsafePointer<UInt64>
    /// The constant's residues: word j is round(w·Δ) mod q_j.
    let factor: UnsafePointer<UInt64>
}

/// Sums of ciphertext × constant products with ``LazyAccumulator``'s 128-bit lazy accumulation (one Barrett
/// reduction per output word), for the data-encrypted baseline, whose weights are plaintext constants.
///
/// ``LazyAccumulator`` multiplies coefficient by coefficient by a second buffer; here the second factor is one word
/// per prime held in a register, which halves the memory read per product.
enum ConstantAccumulator {
    /// Writes (or with `accumulate` adds, mod q) Σ terms into each destination (two components of k·N words),
    /// work items being (prime, block of coefficients) on every core, as ``LazyAccumulator/sumAll``.
    /// - Precondition: every word and factor is canonical (< q_j) and q_j < 2^60.
    static func sumAll(
        _ outputs: [[ConstantTerm]], primes k: Int, degree n: Int, moduli: [Modulus],
        into destinations: [UnsafeMutablePointer<UInt64>], accumulate: Bool = false
    ) {
        let block = LazyAccumulator.block
        let blocks = (n + block - 1) / block
        Parallelism.forEach(k * blocks) { item in
            let j = item / blocks, start = (item % blocks) * block, count = min(block, n - start)
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 4 * block)
            defer { scratch.deallocate() }
            for (o, terms) in outputs.enumerated() {
                sumBlock(
                    terms, prime: j, start: start, count: count, primes: k, degree: n, modulus: moduli[j],
                    into: destinations[o], scratch: scratch, accumulate: accumulate)
            }
        }
    }

    /// One block of coefficients of one prime of one sum (both components).
    @inline(__always)
    static func sumBlock(
        _ terms: [ConstantTerm], prime j: Int, start: Int, count: Int, primes k: Int, degree n: Int,
        modulus q: Modulus, into out: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
        accumulate: Bool
    ) {
        let block = LazyAccumulator.block
        let lo0 = scratch, hi0 = scratch + block, lo1 = scratch + 2 * block, hi1 = scratch + 3 * block
        let row0 = out + j * n + start, row1 = out + (k + j) * n + start
        if accumulate {
            lo0.update(from: row0, count: count)
            lo1.update(from: row1, count: count)
        } else {
            lo0.update(repeating: 0, count: count)
            lo1.update(repeating: 0, count: count)
        }
        hi0.update(repeating: 0, count: count)
        hi1.update(repeating: 0, count: count)
        var pending = 1  // products per running sum since the last reduction (the start value counts as one)
        for term in terms {
            if pending == LazyAccumulator.maxLazyProducts {
                LazyAccumulator.fold(lo0, hi0, count, q)
                LazyAccumulator.fold(lo1, hi1, count, q)
                pending = 1
            }
            let c = term.factor[j]
            let x0 = term.input + j * n + start, x1 = term.input + (k + j) * n + start
            for i in 0..<count {
                LazyAccumulator.add(WideSum(c, times: x0[i]), lo0 + i, hi0 + i)
                LazyAccumulator.add(WideSum(c, times: x1[i]), lo1 + i, hi1 + i)
            }
            pending += 1
        }
        for i in 0..<count {
            row0[i] = q.reduce(high: hi0[i], low: lo0[i])
            row1[i] = q.reduce(high: hi1[i], low: lo1[i])
        }
    }
}
