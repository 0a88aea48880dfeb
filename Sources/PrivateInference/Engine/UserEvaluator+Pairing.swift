import NN
import NTT

/// Neighbouring conv1 squares paired into one complex slot value each, as conv2's paired weights take them.
extension UserEvaluator {
    /// Neighbouring squares paired in place as sq[2p] + X^(N/2)·sq[2p+1] (slot values a + σ_j·b·i), written over
    /// sq[2p]: `squares` is `[group · width + col]` (three components at conv2's primes), the result `[group ·
    /// ⌈width/2⌉ + p]`.
    ///
    /// The paired (complex) conv2 weights take both in one product.
    func pairColumns(_ squares: [WordBuffer], groups: Int, width: Int, unit: [[ShoupOperand]]) -> [WordBuffer] {
        let half = (width + 1) / 2
        let pairs = (0..<(groups * half)).map { i -> (Int, Int?) in
            let g = i / half, col = 2 * (i % half)
            return (g * width + col, col + 1 < width ? g * width + col + 1 : nil)
        }
        addRotated(pairs.compactMap { a, b in b.map { (squares[a], squares[$0]) } }, unit: unit)
        return pairs.map { squares[$0.0] }
    }

    /// Paired squares (three components at conv2's primes) in ``EvaluationForm``, on every core.
    func evaluationInputs(_ pairs: [WordBuffer]) -> [WordBuffer] {
        let k = PipelineLevels.conv2Primes, moduli = context.moduli(k)
        return Parallelism.map(pairs.count) {
            EvaluationForm.input(pairs[$0], primes: k, degree: context.degree, moduli: moduli)
        }
    }

    /// conv2 weight ciphertexts (two components at conv2's primes) in ``EvaluationForm``.
    func evaluationWeights(_ taps: [WordBuffer]) -> [WordBuffer] {
        let k = PipelineLevels.conv2Primes, moduli = context.moduli(k)
        return taps.map { EvaluationForm.weight($0, primes: k, degree: context.degree, moduli: moduli) }
    }

    /// x += X^(N/2)·y for each (x, y) (three components at conv2's primes), on every core.
    func addRotated(_ pairs: [(WordBuffer, WordBuffer)], unit: [[ShoupOperand]]) {
        let k = PipelineLevels.conv2Primes, n = context.degree, moduli = context.moduli(k)
        Parallelism.forEach(pairs.count * 3 * k) { item in
            let (x, y) = pairs[item / (3 * k)]
            let c = item % (3 * k) / k, j = item % k
            let q = moduli[j], row = (c * k + j) * n
            let a = x.pointer + row, b = y.pointer + row
            unit[j].withUnsafeBufferPointer { u in
                for t in 0..<n { a[t] = q.addMod(a[t], u[t].multiplyMod(b[t], modulus: q)) }
            }
        }
    }

    /// One row of squares (`[group · width + col − x0]` for the columns `columns`) as the pairs conv2 reads,
    /// `(start index, pair)` per group (``ConvStage/pairStarts`` of ``StageGeometry/conv2Cipher``): in place where
    /// pairs align with even columns, else into new buffers (pairs then overlap: every column starts one).
    func pairRow(_ squared: [WordBuffer], groups: Int, columns: Range<Int>, unit: [[ShoupOperand]]) -> [[(
        Int, WordBuffer
    )]] {
        let stage = geometry.conv2Cipher, index = stage.pairIndex, width = columns.count
        if geometry.pairsAlignWithEvenColumns {
            let pairs = pairColumns(squared, groups: groups, width: width, unit: unit)
            let half = (width + 1) / 2
            return (0..<groups).map { g in
                (0..<half).compactMap { p in
                    let column = columns.lowerBound + 2 * p
                    return index[column] >= 0 ? (index[column], pairs[g * half + p]) : nil
                }
            }
        }
        let k = PipelineLevels.conv2Primes, n = context.degree, pad = stage.padding
        var out = [[(Int, WordBuffer)]](repeating: [], count: groups)
        var rotations: [(WordBuffer, WordBuffer)] = []
        for g in 0..<groups {
            func square(_ padded: Int) -> WordBuffer? {
                let column = padded - pad
                return columns.contains(column) ? squared[g * width + column - columns.lowerBound] : nil
            }
            for (i, start) in stage.pairStarts.enumerated() {
                let (a, b) = (square(start), square(start + 1))
                guard a != nil || b != nil else { continue }
                let pair = a.map { WordBuffer($0.array) } ?? WordBuffer(count: 3 * k * n)
                if let b { rotations.append((pair, b)) }
                out[g].append((i, pair))
            }
        }
        addRotated(rotations, unit: unit)
        return out
    }
}
