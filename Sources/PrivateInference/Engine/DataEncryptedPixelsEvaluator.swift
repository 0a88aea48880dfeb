import CKKS
import Foundation
import NN

/// The owner's half of the data-encrypted baseline for one image at a time (LoLa style): the Square-activation
/// LeNet-5 evaluated on one encrypted image whose values fill the slots.
///
/// The user sends its image in ``TapBlockLayout`` (a few ciphertexts: conv1's taps side by side); conv1 is one
/// lazy sum of ct⊙pt products, a rescale and the block folds, and every later linear layer — conv2 (box form is
/// not used on ciphertexts: the wide (k+1)² kernel on the squares, written as a matrix) and fc1, fc2, fc3 — is a
/// ``SlotMatrix`` on the periodic vector the layer before left. Squares are relinearized and rescaled at once.
/// The same depth 9 and primes as the batch baseline (``DataEncryptedOwner``), so the two packings share the
/// preset; the owner holds no secret key, only the user's relinearization and Galois keys.
///
/// Everything that depends only on the model — conv1's weight plaintexts and every layer's encoded diagonals —
/// is prepared once in ``init(context:weights:relinKeys:galoisKeys:top:targetScale:)`` and reused for every image.
struct DataEncryptedPixelsOwner {
    let context: HEContext
    let layout: TapBlockLayout
    let relinKeys: RelinKeys
    let galoisKeys: GaloisKeys
    /// Primes of the encrypted inputs (depth + 1) and their scale.
    let top: Int, targetScale: Double
    /// conv1's weight plaintexts, one per input ciphertext, at `top` primes (nil where all zero).
    let conv1Weights: [WordBuffer?]
    /// conv1's bias at one prime fewer, at the rescaled scale, in every block.
    let conv1Bias: WordBuffer
    /// conv1's weight scale (q_{top−1}: the rescale returns the inputs' scale exactly).
    let conv1WeightScale: Double
    /// conv2 (as a matrix), fc1, fc2, fc3.
    let layers: [SlotMatrix]

    /// The rotation steps the user must make Galois keys for: the same for every model of this geometry.
    /// - Throws: ``InferenceError`` when the layers do not fit the slots.
    static func rotationSteps(weights: FullEncryptionWeights, slots: Int) throws -> [Int] {
        let layout = try TapBlockLayout(geometry: weights.kernels.geometry, slots: slots)
        var steps = Set(layout.foldSteps)
        var period = layout.period
        for (rows, columns) in try shapes(weights) {
            let (p, q, b) = SlotMatrix.shape(rows: rows, columns: columns, inputPeriod: period)
            steps.formUnion(SlotMatrix.rotationSteps(p: p, q: q, b: b))
            period = q
        }
        return steps.sorted()
    }

    /// (rows, columns) of conv2 and the FC layers.
    static func shapes(_ weights: FullEncryptionWeights) throws -> [(Int, Int)] {
        let g = weights.kernels.geometry
        let conv2 = (g.conv2Channels * g.positions, g.conv1Channels * g.conv1Side * g.conv1Side)
        return [conv2] + weights.fc.map { ($0.bias.count, $0.weights.first?.count ?? 0) }
    }

    /// conv2 (wide form on the squares, stride and padding of ``StageGeometry/conv2Cipher``) as a matrix from the
    /// flattened `[C1, p1, p1]` squares to the flattened `[C2, p2, p2]` outputs.
    static func conv2Matrix(_ kernels: LayerKernels) -> [Double] {
        let g = kernels.geometry, stage = g.conv2Cipher, w2 = stage.window, p1 = g.conv1Side, p2 = g.conv2Side
        let channels = g.conv1Channels, columns = channels * p1 * p1
        var matrix = [Double](repeating: 0, count: g.conv2Channels * p2 * p2 * columns)
        for o in 0..<g.conv2Channels {
            for y2 in 0..<p2 {
                for x2 in 0..<p2 {
                    let row = (o * p2 + y2) * p2 + x2
                    for c in 0..<channels {
                        for dy in 0..<w2 {
                            let y = y2 * stage.stride + dy - stage.padding
                            guard y >= 0, y < p1 else { continue }
                            for dx in 0..<w2 {
                                let x = x2 * stage.stride + dx - stage.padding
                                guard x >= 0, x < p1 else { continue }
                                matrix[row * columns + (c * p1 + y) * p1 + x] +=
                                    kernels.conv2CipherTaps[o][c][dy * w2 + dx]
                            }
                        }
                    }
                }
            }
        }
        return matrix
    }

    /// Prepares every layer's plaintexts for inputs at `top` primes and `targetScale`.
    /// - Throws: ``InferenceError`` for a model that does not fit the slots or has a non-finite weight;
    ///   `CKKSError` from encoding.
    init(
        context: HEContext, weights: FullEncryptionWeights, relinKeys: RelinKeys, galoisKeys: GaloisKeys, top: Int,
        targetScale: Double
    ) throws {
        let kernels = weights.kernels, slots = context.degree / 2
        let layout = try TapBlockLayout(geometry: kernels.geometry, slots: slots)
        self.context = context
        self.layout = layout
        self.relinKeys = relinKeys
        self.galoisKeys = galoisKeys
        self.top = top
        self.targetScale = targetScale
        let weightScale = targetScale * context.prime(top - 1) / targetScale
        conv1WeightScale = weightScale
        guard kernels.conv1Taps.allSatisfy({ $0.allSatisfy(\.isFinite) }), kernels.conv1Bias.allSatisfy(\.isFinite)
        else { throw InferenceError.unsupportedModel("a conv1 weight or bias is not finite") }
        conv1Weights = try Parallelism.map(layout.ciphertexts) { j -> Result<WordBuffer?, Error> in
            var any = false
            let values = (0..<slots).map { s -> Double in
                guard let t = layout.term(ciphertext: j, slot: s) else { return 0 }
                let window = kernels.geometry.conv1.window
                let w = kernels.conv1Taps[t.filter][(t.channel * window + t.dy) * window + t.dx]
                any = any || w != 0
                return w
            }
            guard any else { return .success(nil) }
            return Result { try context.encodeBuffer(values, scale: weightScale, primes: top) }
        }.map { try $0.get() }
        let positions = layout.outputs / kernels.geometry.conv1Channels
        let conv1Scale = targetScale * weightScale / context.prime(top - 1)
        conv1Bias = try context.encodeBuffer(
            (0..<slots).map { s in
                s % layout.period < layout.outputs ? kernels.conv1Bias[s % layout.period / positions] : 0
            },
            scale: conv1Scale, primes: top - 1)
        // The scales through the chain, computed as SEAL's square and rescale compute them.
        var scale = conv1Scale * conv1Scale / context.prime(top - 2)
        var primes = top - 2, period = layout.period
        var layers: [SlotMatrix] = []
        let conv2 = (
            matrix: Self.conv2Matrix(kernels),
            bias: kernels.conv2Bias.flatMap { bias in
                [Double](repeating: bias, count: kernels.geometry.positions)
            }
        )
        let fc = weights.fc.map { (matrix: $0.weights.flatMap { $0 }, bias: $0.bias) }
        for (index, (rows, columns)) in try Self.shapes(weights).enumerated() {
            let source = index == 0 ? conv2 : fc[index - 1]
            let layer = try SlotMatrix(
                context: context, matrix: source.matrix, rows: rows, columns: columns, bias: source.bias,
                inputPeriod: period, primes: primes, inputScale: scale, targetScale: targetScale)
            layers.append(layer)
            period = layer.outputPeriod
            scale = layer.outputScale * layer.outputScale / context.prime(primes - 2)
            primes -= 2
        }
        self.layers = layers
    }

    /// Bytes of the prepared plaintexts (the owner keeps them for every image).
    var preparedBytes: Int {
        (conv1Weights.reduce(0) { $0 + ($1?.count ?? 0) } + conv1Bias.count) * MemoryLayout<UInt64>.size
            + layers.reduce(0) { $0 + $1.bytes }
    }

    /// Runs the network on one image.
    /// - Parameters:
    ///   - inputs: the user's ``TapBlockLayout/ciphertexts`` ciphertexts (two components at `top` primes and
    ///     `targetScale`).
    ///   - times: receives conv1, activation, conv2 and fc seconds.
    ///   - counts: receives operation counts by kind.
    /// - Returns: one ciphertext at one prime whose slots `0 ..< classes` (repeated with the last layer's period)
    ///   hold the logits.
    /// - Throws: ``InferenceError`` for inputs of the wrong count, level or scale; `CKKSError` from the evaluator.
    func evaluate(_ inputs: [Ciphertext], times: inout PhaseTimes, counts: inout [String: Int]) throws -> Ciphertext {
        guard inputs.count == layout.ciphertexts else {
            throw InferenceError.invalidArgument(
                "an encrypted image holds \(layout.ciphertexts) ciphertexts, got \(inputs.count)")
        }
        for ct in inputs where ct.size != 2 || ct.coeffModulusSize != top || ct.scale != targetScale {
            throw InferenceError.invalidArgument(
                "an encrypted image: a ciphertext of size \(ct.size) at \(ct.coeffModulusSize) primes and scale "
                    + "\(ct.scale), expected size 2 at \(top) primes and scale \(targetScale)")
        }
        let evaluator = context.evaluator, n = context.degree
        var x = try times.measure("conv1") { () throws -> Ciphertext in
            let words = inputs.map { WordBuffer($0.data) }
            let terms = inputs.indices.compactMap { j in
                conv1Weights[j].map {
                    ProductTerm(
                        weight: UnsafePointer(words[j].pointer), input: UnsafePointer($0.pointer), inputIsCipher: false)
                }
            }
            let sum = WordBuffer(count: 2 * top * n)
            withExtendedLifetime((words, conv1Weights)) {
                LazyAccumulator.sumAll(
                    [terms], primes: top, degree: n, moduli: context.moduli(top), outSize: 2, into: [sum.pointer])
            }
            counts["ct⊙pt", default: 0] += terms.count
            var ct = context.ciphertext(sum, size: 2, primes: top, scale: targetScale * conv1WeightScale)
            try evaluator.rescaleToNextInPlace(&ct)
            for step in layout.foldSteps {
                try evaluator.addInPlace(&ct, try evaluator.rotateVector(ct, steps: step, galoisKeys: galoisKeys))
            }
            counts["rescale", default: 0] += 1
            counts["rotate", default: 0] += layout.foldSteps.count
            return try SlotMatrix.addConstantWords(conv1Bias, to: ct, context: context)
        }
        for (index, layer) in layers.enumerated() {
            x = try times.measure("activation") { try square(x, counts: &counts) }
            x = try times.measure(index == 0 ? "conv2" : "fc") {
                try layer.apply(x, context: context, galoisKeys: galoisKeys, counts: &counts)
            }
        }
        return x
    }

    /// ct² relinearized and rescaled (one fused key switch).
    func square(_ ct: Ciphertext, counts: inout [String: Int]) throws -> Ciphertext {
        var out = try context.evaluator.square(ct)
        try context.evaluator.relinearizeAndRescaleInPlace(&out, relinKeys: relinKeys)
        counts["relinearize", default: 0] += 1
        counts["rescale", default: 0] += 1
        return out
    }
}
