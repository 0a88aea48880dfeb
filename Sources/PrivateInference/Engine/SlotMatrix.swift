import CKKS
import Foundation
import NN

/// A plaintext matrix times an encrypted vector held in the slots: the linear layers of a one-image evaluation
/// (conv2 written as a matrix, and every FC layer), by the diagonal method with baby and giant steps.
///
/// **Layout.** The input vector x (`columns` values) sits in the slots periodically: slot s holds x[s mod P] for
/// P = `inputPeriod`, a power of two ≥ `columns`, with zeros at `columns ..< P`. Then every rotation of the whole
/// ciphertext is a cyclic rotation of x within each period, which the diagonal method needs. The output y = M·x
/// comes out in the same form with period Q = `outputPeriod` (a power of two ≥ `rows`, zeros beyond `rows`), so
/// layers chain with nothing in between but the square.
///
/// **Method** (the hybrid diagonal method of Halevi and Shoup, in the baby-step giant-step form of Lattigo's and
/// OpenFHE's linear transforms). With M̃ the matrix padded with zeros to Q × P and the Q generalized diagonals
/// D_d[s] = M̃[s mod Q][(s + d) mod P], z = Σ_{d<Q} D_d ⊙ rot(v, d) has period P, and folding its P/Q windows
/// (log₂(P/Q) rotate-and-add steps by Q, 2Q, …) leaves y in every window. Writing d = B·j + i,
/// Σ_d D_d ⊙ rot(v, d) = Σ_j rot(I_j, B·j) with I_j = Σ_i rot(D_{Bj+i}, −B·j) ⊙ rot(v, i): B − 1 baby rotations of
/// the input, one lazy sum per giant step (``LazyAccumulator``, one Barrett reduction per word), and the giant
/// steps in Horner form I_0 + rot(I_1 + rot(I_2 + …, B), B) — so the whole transform needs Galois keys for the
/// steps 1, B and the folds only (``rotationSteps(p:q:b:)``), not one per diagonal.
///
/// **Scales.** Every diagonal is encoded at `weightScale` = target · q_{k−1} / `inputScale`, so the rescale
/// of each giant step's sum returns the output to exactly the target scale (SEAL's rescale divides the scale by
/// q_{k−1}); the bias is added after the folds at that scale. Depth one.
///
/// The slot count N/2 is usually much larger than P (a LeNet-5 layer has at most 1,024 inputs and N/2 = 8,192),
/// so each product repeats its work N/(2P) times: the price of a one-image layout without masks (a mask would cost
/// a level).
struct SlotMatrix: Sendable {
    /// Output values (matrix rows) and input values (columns).
    let rows: Int, columns: Int
    /// P and Q: the periods of the input and the output in the slots (powers of two, Q ≤ P).
    let inputPeriod: Int, outputPeriod: Int
    /// B: baby steps (a power of two ≤ Q); giant steps are Q / B.
    let babySteps: Int
    /// Primes of the input (the output has one fewer).
    let primes: Int
    /// The input's scale and the diagonals' scale.
    let inputScale: Double, weightScale: Double
    /// The output's scale: SEAL's rescale of `inputScale · weightScale` by q_{k−1}.
    let outputScale: Double
    /// `diagonals[j][i]`: diagonal B·j + i rotated by −B·j, encoded (k·N words, NTT form); nil when it is zero.
    let diagonals: [[WordBuffer?]]
    /// The bias at `outputScale` on k − 1 primes (NTT form), period Q.
    let bias: WordBuffer

    /// The smallest power of two ≥ n (n ≥ 1).
    static func period(_ n: Int) -> Int {
        var p = 1
        while p < n { p <<= 1 }
        return p
    }

    /// Encodes the diagonals of `matrix` for an input at `inputScale` on k primes.
    /// - Parameters:
    ///   - context: the ring and its primes.
    ///   - matrix: `rows · columns` values, row-major.
    ///   - rows: the output length.
    ///   - columns: the input length.
    ///   - bias: `rows` values added to the output.
    ///   - inputPeriod: the input's period (at least the power of two ≥ `columns`).
    ///   - k: the primes the input is on.
    ///   - inputScale: the input's scale.
    ///   - targetScale: the output's intended scale (reached exactly when q_{k−1} allows it).
    /// - Throws: ``InferenceError`` for a shape that does not fit the slots or a non-finite value; `CKKSError`
    ///   from encoding.
    init(
        context: HEContext, matrix: [Double], rows: Int, columns: Int, bias: [Double], inputPeriod: Int,
        primes k: Int, inputScale: Double, targetScale: Double
    ) throws {
        let sourcePeriod = inputPeriod
        let slots = context.degree / 2
        guard rows > 0, columns > 0, matrix.count == rows * columns, bias.count == rows else {
            throw InferenceError.invalidArgument("internal: a \(rows)×\(columns) matrix with \(matrix.count) values")
        }
        guard matrix.allSatisfy(\.isFinite), bias.allSatisfy(\.isFinite) else {
            throw InferenceError.unsupportedModel("a weight or bias is not finite")
        }
        guard k >= 2 else { throw InferenceError.invalidArgument("internal: a linear layer needs two primes") }
        let (p, q, b) = Self.shape(rows: rows, columns: columns, inputPeriod: sourcePeriod)
        guard p <= slots else {
            throw InferenceError.invalidArgument(
                "a layer of \(columns) inputs and \(rows) outputs does not fit \(slots) slots")
        }
        self.rows = rows
        self.columns = columns
        self.inputPeriod = p
        outputPeriod = q
        primes = k
        self.inputScale = inputScale
        babySteps = b
        weightScale = targetScale * context.prime(k - 1) / inputScale
        outputScale = inputScale * weightScale / context.prime(k - 1)
        let giant = q / b, scale = weightScale
        diagonals = try Parallelism.map(giant * b) { item -> Result<WordBuffer?, Error> in
            let j = item / b, i = item % b, d = b * j + i
            var values = [Double](repeating: 0, count: slots)
            var any = false
            for s in 0..<p {
                let t = ((s - b * j) % p + p) % p
                let row = t % q, column = (t + d) % p
                guard row < rows, column < columns else { continue }
                let value = matrix[row * columns + column]
                guard value != 0 else { continue }
                any = true
                for copy in stride(from: s, to: slots, by: p) { values[copy] = value }
            }
            guard any else { return .success(nil) }
            return Result { try context.encodeBuffer(values, scale: scale, primes: k) }
        }.map { try $0.get() }.chunked(b)
        var biasSlots = [Double](repeating: 0, count: slots)
        for s in 0..<slots where s % q < rows { biasSlots[s] = bias[s % q] }
        self.bias = try context.encodeBuffer(biasSlots, scale: outputScale, primes: k - 1)
    }

    /// P, Q and B for a matrix of `rows × columns` on an input of period `inputPeriod`: Q the power of two ≥
    /// `rows`, P the input's period widened to hold the columns and Q, B ≈ √Q a power of two (as many baby
    /// rotations as giant ones).
    static func shape(rows: Int, columns: Int, inputPeriod: Int) -> (p: Int, q: Int, b: Int) {
        let q = period(rows), p = max(period(max(columns, inputPeriod)), q)
        var b = 1
        while b * b < q { b <<= 1 }
        return (p, q, b)
    }

    /// The rotation steps a matrix of this shape needs keys for: 1 (baby steps), B (giant steps) and the folds.
    static func rotationSteps(p: Int, q: Int, b: Int) -> Set<Int> {
        var steps: Set<Int> = []
        if b > 1 { steps.insert(1) }
        if q / b > 1 { steps.insert(b) }
        var fold = q
        while fold < p {
            steps.insert(fold)
            fold <<= 1
        }
        return steps
    }

    /// Rotations ``apply(_:context:galoisKeys:counts:)`` performs at most (fewer where the last giant steps'
    /// diagonals are all zero).
    var rotations: Int {
        (babySteps - 1) + (outputPeriod / babySteps - 1) + (inputPeriod / outputPeriod).trailingZeroBitCount
    }

    /// Bytes of the encoded diagonals and bias.
    var bytes: Int {
        (diagonals.joined().reduce(0) { $0 + ($1?.count ?? 0) } + bias.count) * MemoryLayout<UInt64>.size
    }

    /// M·x + bias for an input in the layout above (two components at k primes and `inputScale`).
    /// - Returns: the output at k − 1 primes and ``outputScale``, period Q.
    /// - Throws: ``InferenceError`` for an input at another level or scale; `CKKSError` for a missing Galois key.
    func apply(_ input: Ciphertext, context: HEContext, galoisKeys: GaloisKeys, counts: inout [String: Int]) throws
        -> Ciphertext
    {
        guard input.size == 2, input.coeffModulusSize == primes, input.scale == inputScale else {
            throw InferenceError.invalidArgument(
                "internal: a linear layer's input of size \(input.size) at \(input.coeffModulusSize) primes and scale "
                    + "\(input.scale), expected size 2 at \(primes) primes and scale \(inputScale)")
        }
        let evaluator = context.evaluator, n = context.degree, k = primes, moduli = context.moduli(k)
        // Baby steps: rot(v, i) for i < B, each from the previous one (one key).
        var baby = [WordBuffer(input.data)]
        var current = input
        for _ in 1..<babySteps {
            current = try evaluator.rotateVector(current, steps: 1, galoisKeys: galoisKeys)
            baby.append(WordBuffer(current.data))
        }
        counts["rotate", default: 0] += babySteps - 1
        // One lazy sum per giant step, all at once on every core.
        let giant = diagonals.count
        let sums = (0..<giant).map { _ in WordBuffer(count: 2 * k * n) }
        let terms = diagonals.map { row in
            row.indices.compactMap { i in
                row[i].map {
                    ProductTerm(
                        weight: UnsafePointer(baby[i].pointer), input: UnsafePointer($0.pointer), inputIsCipher: false)
                }
            }
        }
        withExtendedLifetime((baby, diagonals, sums)) {
            LazyAccumulator.sumAll(terms, primes: k, degree: n, moduli: moduli, outSize: 2, into: sums.map(\.pointer))
        }
        counts["ct⊙pt", default: 0] += terms.reduce(0) { $0 + $1.count }
        // Each giant step's sum rescaled first (a rescale costs a few NTTs; a key switch's cost grows with the
        // square of the prime count, so the giant rotations are cheaper one prime lower), then Horner form.
        let productScale = inputScale * weightScale
        // A giant step whose diagonals are all zero has no sum (SEAL refuses to rescale a transparent ciphertext).
        let rescaled = try Parallelism.map(giant) { j -> Result<Ciphertext?, Error> in
            guard !terms[j].isEmpty else { return .success(nil) }
            return Result {
                var ct = context.ciphertext(sums[j], size: 2, primes: k, scale: productScale)
                try evaluator.rescaleToNextInPlace(&ct)
                return ct
            }
        }.map { try $0.get() }
        counts["rescale", default: 0] += rescaled.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        var sum: Ciphertext?
        for j in stride(from: giant - 1, through: 0, by: -1) {
            if var total = sum {
                try evaluator.rotateVectorInPlace(&total, steps: babySteps, galoisKeys: galoisKeys)
                counts["rotate", default: 0] += 1
                if let step = rescaled[j] { try evaluator.addInPlace(&total, step) }
                sum = total
            } else {
                sum = rescaled[j]
            }
        }
        guard var total = sum else { throw InferenceError.unsupportedModel("a linear layer's weights are all zero") }
        // Fold the P/Q windows: every window ends with the whole of y.
        var fold = outputPeriod
        while fold < inputPeriod {
            let rotated = try evaluator.rotateVector(total, steps: fold, galoisKeys: galoisKeys)
            try evaluator.addInPlace(&total, rotated)
            counts["rotate", default: 0] += 1
            fold <<= 1
        }
        return try Self.addConstantWords(bias, to: total, context: context)
    }

    /// `ct` with the plaintext words `plain` (NTT form, at ct's primes) added to its first component.
    static func addConstantWords(_ plain: WordBuffer, to ct: Ciphertext, context: HEContext) throws -> Ciphertext {
        let k = ct.coeffModulusSize, n = context.degree, moduli = context.moduli(k)
        guard plain.count == k * n else {
            throw InferenceError.invalidArgument("internal: a constant at \(plain.count / n) primes for \(k)")
        }
        let words = WordBuffer(ct.data)
        for j in 0..<k {
            let row = words.pointer + j * n, b = plain.pointer + j * n, q = moduli[j]
            for i in 0..<n { row[i] = q.addMod(row[i], b[i]) }
        }
        return context.ciphertext(words, size: ct.size, primes: k, scale: ct.scale)
    }
}

extension Array {
    /// The elements in consecutive runs of `size` (the last may be shorter).
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
