import NTT
import Testing

@testable import PrivateInference

/// The lazy multiply-accumulate against word-by-word modular arithmetic, for every input kind it mixes.
struct LazyAccumulatorTests {
    /// A small ring with primes near 2^60 (the largest products the lazy sums take).
    static func ring() throws -> (Int, [Modulus]) {
        (512, try CoeffModulus.create(degree: 512, bitSizes: [60, 60, 59]))
    }

    /// Random canonical words for `components` polynomials at k primes.
    static func words(_ components: Int, _ moduli: [Modulus], _ n: Int, _ rng: inout some RandomNumberGenerator)
        -> [UInt64]
    {
        var out: [UInt64] = []
        for _ in 0..<components {
            for q in moduli { for _ in 0..<n { out.append(UInt64.random(in: 0..<q.value, using: &rng)) } }
        }
        return out
    }

    /// Σ over terms of weight (2 components) ⊗ input (1 = plaintext, 2 or 3 components), added to `start`.
    static func reference(
        weights: [[UInt64]], inputs: [[UInt64]], sizes: [Int], start: [UInt64], outSize: Int, moduli: [Modulus],
        n: Int
    ) -> [UInt64] {
        let k = moduli.count
        var out = start
        for (t, w) in weights.enumerated() {
            for (j, q) in moduli.enumerated() {
                for i in 0..<n {
                    let a = [w[j * n + i], w[(k + j) * n + i]]
                    let b = (0..<sizes[t]).map { inputs[t][($0 * k + j) * n + i] }
                    // Plaintext: (a0·x, a1·x); ciphertext: the tensor product a ⊗ b.
                    var terms = [UInt64](repeating: 0, count: outSize)
                    if sizes[t] == 1 {
                        terms[0] = q.multiplyMod(a[0], b[0])
                        terms[1] = q.multiplyMod(a[1], b[0])
                    } else {
                        for (u, au) in a.enumerated() {
                            for (v, bv) in b.enumerated() {
                                terms[u + v] = q.addMod(terms[u + v], q.multiplyMod(au, bv))
                            }
                        }
                    }
                    for c in 0..<outSize {
                        out[(c * k + j) * n + i] = q.addMod(out[(c * k + j) * n + i], terms[c])
                    }
                }
            }
        }
        return out
    }

    /// More products than one lazy 128-bit run holds (so the intermediate reductions run too), mixing plaintext,
    /// two- and three-component inputs, accumulated into existing sums.
    @Test(arguments: [[1, 1, 1], [2, 1, 2], [3, 3, 1, 2], [3, 1]])
    func sumsMatchModularArithmetic(kinds: [Int]) throws {
        let (n, moduli) = try Self.ring()
        let k = moduli.count
        var rng = SystemRandomNumberGenerator()
        let terms = 150
        let sizes = (0..<terms).map { kinds[$0 % kinds.count] }
        let outSize = (sizes.max() ?? 1) + 1 < 3 ? 2 : (sizes.max() ?? 1) + 1
        let weights = (0..<terms).map { _ in Self.words(2, moduli, n, &rng) }
        let inputs = sizes.map { Self.words($0, moduli, n, &rng) }
        let start = Self.words(outSize, moduli, n, &rng)
        var out = start
        weights.withUnsafeBufferPointers { w in
            inputs.withUnsafeBufferPointers { x in
                let product = (0..<terms).map {
                    ProductTerm(
                        weight: w[$0], input: x[$0], inputIsCipher: sizes[$0] > 1, inputComponents: max(2, sizes[$0]))
                }
                out.withUnsafeMutableBufferPointer { o in
                    guard let base = o.baseAddress else { return }
                    LazyAccumulator.sumAll(
                        [product], primes: k, degree: n, moduli: moduli, outSize: outSize, into: [base],
                        accumulate: true)
                }
            }
        }
        let expected = Self.reference(
            weights: weights, inputs: inputs, sizes: sizes, start: start, outSize: outSize, moduli: moduli, n: n)
        #expect(out == expected)
    }

    /// conv2's sums in evaluation form (four products per ct⊗ct3 term, values at 0, ∞, 1, −1) with ct⊙pt sums folded
    /// in, interpolated at the end, equal the schoolbook sums word for word; an input's evaluation form turns back into
    /// its coefficients.
    ///
    /// Odd term counts and more products than one lazy run holds.
    /// Weights in evaluation form (four rows), plain (two rows, their values at ±1 made in the kernel), or mixed so
    /// that paired terms of either kind meet terms of the other.
    @Test(arguments: [[3], [3, 1], [1, 3, 3]], [0, 1, 2])
    func evaluationFormEqualsTheSchoolbookSum(kinds: [Int], plainWeights: Int) throws {
        let (n, moduli) = try Self.ring()
        let k = moduli.count
        var rng = SystemRandomNumberGenerator()
        let terms = 301
        let sizes = (0..<terms).map { kinds[$0 % kinds.count] }
        let weights = (0..<terms).map { _ in Self.words(2, moduli, n, &rng) }
        let inputs = sizes.map { Self.words($0, moduli, n, &rng) }
        let start = Self.words(4, moduli, n, &rng)
        let expected = Self.reference(
            weights: weights, inputs: inputs, sizes: sizes, start: start, outSize: 4, moduli: moduli, n: n)
        // The running sums start as the evaluation form of `start` (its values at 0, ∞, 1, −1).
        let sums = WordBuffer(count: 4 * k * n)
        for (j, q) in moduli.enumerated() {
            for i in 0..<n {
                let c = (0..<4).map { start[($0 * k + j) * n + i] }
                let even = q.addMod(c[0], c[2]), odd = q.addMod(c[1], c[3])
                sums.pointer[j * n + i] = c[0]
                sums.pointer[(k + j) * n + i] = c[3]
                sums.pointer[(2 * k + j) * n + i] = q.addMod(even, odd)
                sums.pointer[(3 * k + j) * n + i] = q.subMod(even, odd)
            }
        }
        let w = weights.map { WordBuffer($0) }, x = inputs.map { WordBuffer($0) }
        let cipherWeights = w.map { EvaluationForm.weight($0, primes: k, degree: n, moduli: moduli) }
        // Only three-component inputs have an evaluation form (a plaintext's k·n words would be read past their end).
        let cipherInputs = x.enumerated().map { t, input in
            sizes[t] == 3 ? EvaluationForm.input(input, primes: k, degree: n, moduli: moduli) : input
        }
        for (t, input) in x.enumerated() where sizes[t] == 3 {
            let back = EvaluationForm.coefficients(ofInput: cipherInputs[t], primes: k, degree: n, moduli: moduli)
            #expect(back.array == input.array)
        }
        // The ciphertext terms go in one sum, the plaintext ones in another folded into the same totals.
        // plainWeights 0: every weight evaluated; 1: none; 2: every third term's.
        let evaluated = { (t: Int) in plainWeights == 0 || (plainWeights == 2 && t % 3 == 0) }
        let cipher = (0..<terms).filter { sizes[$0] == 3 }.map {
            ProductTerm(
                weight: evaluated($0) ? cipherWeights[$0].pointer : w[$0].pointer, input: cipherInputs[$0].pointer,
                inputIsCipher: true, inputComponents: 4, weightIsEvaluated: evaluated($0))
        }
        let plain = (0..<terms).filter { sizes[$0] == 1 }.map {
            ProductTerm(weight: w[$0].pointer, input: x[$0].pointer, inputIsCipher: false, inputComponents: 2)
        }
        withExtendedLifetime((w, x, cipherWeights, cipherInputs)) {
            LazyAccumulator.sumAll(
                [cipher], primes: k, degree: n, moduli: moduli, outSize: 4, into: [sums.pointer], accumulate: true,
                evaluation: true)
            if !plain.isEmpty {
                LazyAccumulator.sumAll(
                    [plain], primes: k, degree: n, moduli: moduli, outSize: 2, into: [sums.pointer], accumulate: true,
                    evaluation: true)
            }
        }
        EvaluationForm.interpolate(sums.pointer, primes: k, degree: n, moduli: moduli)
        #expect(sums.array == expected)
    }
}

extension Array where Element == [UInt64] {
    /// Base addresses of every inner array, valid inside `body`.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafePointer<UInt64>]) -> R) -> R {
        var pointers: [UnsafePointer<UInt64>] = []
        func step(_ i: Int) -> R {
            if i == count { return body(pointers) }
            return self[i].withUnsafeBufferPointer { b in
                pointers.append(b.baseAddress!)  // the inner arrays are never empty
                return step(i + 1)
            }
        }
        return step(0)
    }
}
