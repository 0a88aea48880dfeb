import CKKS
import Foundation
import NN
import NTT

/// The plaintext weights of a LeNet-5 whose every activation is a square, in the form the full-encryption
/// baseline encrypts them: pooled conv kernels (pool and input normalization folded, as in the partial pipeline)
/// and the three FC layers as `[out][in]` rows.
struct FullEncryptionWeights: Sendable {
    /// conv1/conv2 rewritten (the wide (k+1)² forms are used: ``LayerKernels/conv1Wide``,
    /// ``LayerKernels/conv2CipherTaps``).
    let kernels: LayerKernels
    /// fc1, fc2, fc3: `weights[out][in]` (PyTorch order; fc1's inputs are the flattened `[C2, 4, 4]`).
    let fc: [(weights: [[Double]], bias: [Double])]

    /// The number of scalars the owner encrypts (one ciphertext each).
    var scalarCount: Int {
        let g = kernels.geometry, taps = (g.conv1Kernel + 1) * (g.conv1Kernel + 1)
        return g.conv1Channels * (taps + 1) + g.conv2Channels * (g.conv1Channels * taps + 1)
            + fc.reduce(0) { $0 + $1.bias.count * (($1.weights.first?.count ?? 0) + 1) }
    }
}

/// The owner's half of the full-encryption baseline.
///
/// It encrypts weights on demand, one symmetric seeded ciphertext per scalar (each the constant repeated in every slot, spec §9.3/§9.9), at the level and scale where
/// the user consumes them. Nothing is cached: the user drops each block after use, so the whole encrypted model
/// (tens of gigabytes expanded) never exists at once.
struct FullEncryptionOwner: Sendable {
    let context: HEContext
    let encryptor: Encryptor

    /// Encrypts `values` (one ciphertext each) at `scale` on k primes, on every core.
    /// - Returns: the ciphertexts' words (2 components × k primes × N).
    func encrypt(_ values: [Double], scale: Double, primes k: Int) throws -> [WordBuffer] {
        try Parallelism.map(values.count) { i in
            Result {
                WordBuffer(try context.encryptConstant(values[i], scale: scale, primes: k, encryptor: encryptor).data)
            }
        }.map { try $0.get() }
    }
}

/// The user's half of the full-encryption baseline: LeNet-5 with every layer evaluated homomorphically, images
/// batched across slots.
///
/// Depth 9 (prime counts `top` → 1): pooled conv1 (ct⊙pt on encoded pixels) → square → pooled conv2 (ct⊗ct)
/// → square → fc1 → square → fc2 → square → fc3, each conv/FC output one lazy sum of products followed by one
/// relinearization (ct⊗ct layers) and one rescale, each square one tensor product, relinearization and rescale.
/// Weight scales are chosen per layer so that every layer output returns to `targetScale` exactly as SEAL's
/// rescale computes it; biases are encrypted at the products' scale.
///
/// Streaming keeps memory to one layer's activations plus a bounded block of weights: conv1 runs one filter at
/// a time over a sliding band of encoded input rows, and each filter's squared outputs are folded into the conv2
/// sums (kept unrelinearized) before the next filter starts; FC weights are encrypted in chunks of one neuron's
/// inputs and dropped after their products are accumulated.
struct FullEncryptionEvaluator {
    let context: HEContext
    let weights: FullEncryptionWeights
    let owner: FullEncryptionOwner
    let relinKeys: RelinKeys
    /// Primes of the encoded inputs and conv1 weights (depth + 1).
    let top: Int
    /// The scale every layer output is brought back to (≈ the rescaling primes).
    let targetScale: Double
    /// FC weights encrypted at once per neuron.
    var chunk = 64
    /// Neurons finished (relinearized, rescaled, squared) together on every core.
    var group = 16
    /// Called after each conv1 filter, conv2 filter and FC neuron.
    var progress: (@Sendable () -> Void)? = nil

    /// Rescales of the pipeline: conv1, square, conv2, square, then each FC layer and a square after all but the last.
    static let depth = 9

    /// Steps reported to `progress` per batch.
    var progressSteps: Int {
        weights.kernels.geometry.conv1Channels + weights.kernels.geometry.conv2Channels
            + weights.fc.reduce(0) { $0 + $1.bias.count }
    }

    /// Runs the network on one batch.
    /// - Parameters:
    ///   - pixels: `count · side²` raw bytes, image-major.
    ///   - count: images in the batch (≤ N/2).
    ///   - times: receives package (weight encryption), conv1, activation, conv2 and fc seconds.
    ///   - counts: receives operation counts by kind.
    /// - Returns: one ciphertext per logit at one prime.
    /// - Throws: ``InferenceError`` for a bad batch; `CKKSError` from the evaluator.
    func evaluate(pixels: [UInt8], count: Int, times: inout PhaseTimes, counts: inout [String: Int]) throws
        -> [Ciphertext]
    {
        let side = weights.kernels.geometry.inputSide
        guard count > 0, count <= context.degree / 2, pixels.count == count * side * side else {
            throw InferenceError.invalidArgument(
                "a batch holds 1…\(context.degree / 2) images of \(side)×\(side) bytes, got \(count)")
        }
        var (activations, scale) = try convolutions(pixels: pixels, count: count, times: &times, counts: &counts)
        var k = top - 4
        for (layer, fc) in weights.fc.enumerated() {
            let last = layer == weights.fc.count - 1
            (activations, scale) = try fullyConnected(
                activations, scale: scale, primes: k, weights: fc, square: !last, times: &times, counts: &counts)
            k -= last ? 1 : 2
        }
        return activations.map { context.ciphertext($0, size: 2, primes: k, scale: scale) }
    }

    /// Pooled conv1 → square → pooled conv2 → square.
    /// - Returns: the flattened `[C2, p2, p2]` activations at `top − 4` primes and their scale.
    func convolutions(pixels: [UInt8], count: Int, times: inout PhaseTimes, counts: inout [String: Int]) throws
        -> ([WordBuffer], Double)
    {
        let kernels = weights.kernels
        let n = context.degree
        let k2 = top - 2
        let g = kernels.geometry
        let p2 = g.conv2Side, outputs = p2 * p2, filters = g.conv2Channels
        let window = g.conv1Kernel + 1, taps = window * window, p1 = g.conv1Side
        let moduli = context.moduli(k2)
        // conv2 sums stay three-component (unrelinearized) until every input channel is in.
        var totals: [WordBuffer?] = (0..<(filters * outputs)).map { _ in WordBuffer(count: 3 * k2 * n) }
        // receptiveFields[pos][tap]: the conv1 position (row-major, side p1) under tap of pooled output pos.
        let receptiveFields = (0..<outputs).map { pos in
            (0..<taps).map { tap in (2 * (pos / p2) + tap / window) * p1 + 2 * (pos % p2) + tap % window }
        }
        var squareScale = 0.0
        for c in 0..<g.conv1Channels {
            let (squares, scale) = try conv1Channel(c, pixels: pixels, count: count, times: &times, counts: &counts)
            squareScale = scale
            let weightScale = targetScale * context.prime(k2 - 1) / squareScale
            for o in 0..<filters {
                let block = try encrypt(kernels.conv2CipherTaps[o][c], scale: weightScale, primes: k2, &times, &counts)
                try times.measure("conv2") {
                    let terms = receptiveFields.map { field in
                        zip(block, field).map { w, at in
                            ProductTerm(weight: w.pointer, input: squares[at].pointer, inputIsCipher: true)
                        }
                    }
                    let partial = terms.map { _ in WordBuffer(count: 3 * k2 * n) }
                    withExtendedLifetime((block, squares)) {
                        LazyAccumulator.sumAll(
                            terms, primes: k2, degree: n, moduli: moduli, outSize: 3, into: partial.map(\.pointer))
                    }
                    let sums = try (0..<outputs).map { o2 -> WordBuffer in
                        guard let total = totals[o * outputs + o2] else {
                            throw InferenceError.invalidArgument("internal: conv2 sum \(o2) of filter \(o) released")
                        }
                        return total
                    }
                    Self.addInto(sums, partial, words: 3 * k2 * n, primes: k2, degree: n, moduli: moduli)
                }
                counts["ct⊗ct", default: 0] += outputs * taps
            }
            progress?()
        }
        // Bias, relinearize, rescale and square each conv2 output; its sum is released as soon as it is consumed.
        let productScale = squareScale * (targetScale * context.prime(k2 - 1) / squareScale)
        var flattened: [WordBuffer] = []
        var outScale = 0.0
        for o in 0..<filters {
            let bias = try encrypt([kernels.conv2Bias[o]], scale: productScale, primes: k2, &times, &counts)[0]
            let sums = try (0..<outputs).map { o2 -> WordBuffer in
                guard let total = totals[o * outputs + o2] else {
                    throw InferenceError.invalidArgument("internal: conv2 sum \(o2) of filter \(o) released")
                }
                totals[o * outputs + o2] = nil
                return total
            }
            let rescaled = try times.measure("conv2") {
                try finish(sums, size: 3, primes: k2, scale: productScale) { _ in bias }
            }
            let squared = try times.measure("activation") { try squareAll(rescaled) }
            counts["relinearize", default: 0] += 2 * outputs
            counts["rescale", default: 0] += 2 * outputs
            flattened += squared.map(\.0)
            outScale = squared.first?.1 ?? outScale
            progress?()
        }
        return (flattened, outScale)
    }

    /// One conv1 filter's pooled outputs, squared: `[row·p1 + col]` at `top − 2` primes, and their scale.
    func conv1Channel(_ f: Int, pixels: [UInt8], count: Int, times: inout PhaseTimes, counts: inout [String: Int])
        throws -> ([WordBuffer], Double)
    {
        let kernels = weights.kernels
        let n = context.degree, k1 = top
        let g = kernels.geometry
        let side = g.inputSide, p1 = g.conv1Side, window = g.conv1Kernel + 1, taps = window * window
        // Pixels are encoded as raw bytes; the weights carry 1/255 and the normalization (LayerKernels).
        let inputScale = exp2((log2(targetScale * context.prime(k1 - 1)) / 2 - 4).rounded(.down))
        let weightScale = targetScale * context.prime(k1 - 1) / inputScale
        let productScale = inputScale * weightScale
        let filter =
            try encrypt(kernels.conv1Wide[f], scale: weightScale, primes: k1, &times, &counts)
            + encrypt([kernels.conv1Bias[f]], scale: productScale, primes: k1, &times, &counts)
        // The window of input rows 2y … 2y+k of the current pooled row y, encoded; it slides down by two rows.
        var rows: [[WordBuffer]] = []
        var squares: [WordBuffer] = []
        var scale = 0.0
        for y in 0..<p1 {
            let fresh = (2 * y + rows.count)..<(2 * y + window)
            let encoded = try times.measure("conv1") {
                try Parallelism.map(fresh.count * side) { item -> Result<WordBuffer, Error> in
                    let row = fresh.lowerBound + item / side, col = item % side
                    var values = [Double](repeating: 0, count: count)
                    for b in 0..<count { values[b] = Double(pixels[b * side * side + row * side + col]) }
                    return Result { try context.encodeBuffer(values, scale: inputScale, primes: k1) }
                }.map { try $0.get() }
            }
            counts["encode", default: 0] += encoded.count
            rows += (0..<fresh.count).map { Array(encoded[($0 * side)..<(($0 + 1) * side)]) }
            let pooled = try times.measure("conv1") { () throws -> [Ciphertext] in
                let terms = (0..<p1).map { x in
                    (0..<taps).map { t in
                        ProductTerm(
                            weight: filter[t].pointer, input: rows[t / window][2 * x + t % window].pointer,
                            inputIsCipher: false)
                    }
                }
                let sums = terms.map { _ in WordBuffer(count: 2 * k1 * n) }
                withExtendedLifetime((filter, rows)) {
                    LazyAccumulator.sumAll(
                        terms, primes: k1, degree: n, moduli: context.moduli(k1), outSize: 2,
                        into: sums.map(\.pointer))
                }
                return try finish(sums, size: 2, primes: k1, scale: productScale) { _ in filter[taps] }
            }
            rows.removeFirst(min(2, rows.count))
            counts["ct⊙pt", default: 0] += p1 * taps
            let squared = try times.measure("activation") { try squareAll(pooled) }
            counts["relinearize", default: 0] += p1
            counts["rescale", default: 0] += 2 * p1
            squares += squared.map(\.0)
            scale = squared.first?.1 ?? scale
        }
        progress?()
        return (squares, scale)
    }

    /// One FC layer (ct⊗ct products with every weight encrypted), optionally followed by the square.
    /// - Returns: the outputs two (or one, without the square) primes lower, and their scale.
    func fullyConnected(
        _ inputs: [WordBuffer], scale: Double, primes k: Int, weights fc: (weights: [[Double]], bias: [Double]),
        square: Bool, times: inout PhaseTimes, counts: inout [String: Int]
    ) throws -> ([WordBuffer], Double) {
        let n = context.degree
        let moduli = context.moduli(k)
        let weightScale = targetScale * context.prime(k - 1) / scale
        let productScale = scale * weightScale
        guard fc.weights.allSatisfy({ $0.count == inputs.count }) else {
            throw InferenceError.unsupportedModel("an FC layer expects \(fc.weights.first?.count ?? 0) inputs")
        }
        var outputs: [WordBuffer] = []
        var outScale = 0.0
        var start = 0
        while start < fc.bias.count {
            let neurons = start..<min(fc.bias.count, start + group)
            var sums: [WordBuffer] = []
            for j in neurons {
                let total = WordBuffer(count: 3 * k * n)
                var first = 0
                while first < inputs.count {
                    let range = first..<min(inputs.count, first + chunk)
                    let block = try encrypt(Array(fc.weights[j][range]), scale: weightScale, primes: k, &times, &counts)
                    times.measure("fc") {
                        let terms = range.enumerated().map { t, i in
                            ProductTerm(weight: block[t].pointer, input: inputs[i].pointer, inputIsCipher: true)
                        }
                        let partial = WordBuffer(count: 3 * k * n)
                        withExtendedLifetime((block, inputs)) {
                            LazyAccumulator.sumAll(
                                [terms], primes: k, degree: n, moduli: moduli, outSize: 3, into: [partial.pointer])
                        }
                        Self.addInto([total], [partial], words: 3 * k * n, primes: k, degree: n, moduli: moduli)
                    }
                    counts["ct⊗ct", default: 0] += range.count
                    first = range.upperBound
                }
                sums.append(total)
            }
            let biases = try encrypt(Array(fc.bias[neurons]), scale: productScale, primes: k, &times, &counts)
            // Each neuron's bias, relinearization and rescale, and the square, run concurrently over the group.
            let rescaled = try times.measure("fc") {
                try finish(sums, size: 3, primes: k, scale: productScale) { biases[$0] }
            }
            counts["relinearize", default: 0] += neurons.count
            counts["rescale", default: 0] += neurons.count
            if square {
                let squared = try times.measure("activation") { try squareAll(rescaled) }
                counts["relinearize", default: 0] += neurons.count
                counts["rescale", default: 0] += neurons.count
                outputs += squared.map(\.0)
                outScale = squared.first?.1 ?? outScale
            } else {
                outputs += rescaled.map { WordBuffer($0.data) }
                outScale = rescaled.first?.scale ?? outScale
            }
            for _ in neurons { progress?() }
            start = neurons.upperBound
        }
        return (outputs, outScale)
    }

    /// The owner's encryption of one block of weights, timed as "package" and counted (ciphertexts, and the
    /// bytes of their seeded form: one k·N-word component each, the other being a seed).
    func encrypt(
        _ values: [Double], scale: Double, primes k: Int, _ times: inout PhaseTimes, _ counts: inout [String: Int]
    ) throws -> [WordBuffer] {
        let block = try times.measure("package") { try owner.encrypt(values, scale: scale, primes: k) }
        counts["encrypt", default: 0] += values.count
        counts["seeded bytes", default: 0] += values.count * k * context.degree * 8
        return block
    }

    /// `sums[o]` (at `scale`, `size` components) plus the two-component `bias(o)`, relinearized when three
    /// components and rescaled, for every output on every core.
    func finish(_ sums: [WordBuffer], size: Int, primes k: Int, scale: Double, bias: (Int) -> WordBuffer) throws
        -> [Ciphertext]
    {
        try Parallelism.map(sums.count) { o in
            Result {
                var ct = context.ciphertext(sums[o], size: size, primes: k, scale: scale)
                try context.evaluator.addInPlace(&ct, context.ciphertext(bias(o), size: 2, primes: k, scale: scale))
                if size == 3 { try context.evaluator.relinearizeInPlace(&ct, relinKeys: relinKeys) }
                try context.evaluator.rescaleToNextInPlace(&ct)
                return ct
            }
        }.map { try $0.get() }
    }

    /// ct² relinearized and rescaled for every input, on every core: the words and the resulting scale.
    func squareAll(_ inputs: [Ciphertext]) throws -> [(WordBuffer, Double)] {
        try Parallelism.map(inputs.count) { i in
            Result {
                var out = try context.evaluator.square(inputs[i])
                try context.evaluator.relinearizeInPlace(&out, relinKeys: relinKeys)
                try context.evaluator.rescaleToNextInPlace(&out)
                return (WordBuffer(out.data), out.scale)
            }
        }.map { try $0.get() }
    }

    /// `totals[i] += parts[i]` word by word modulo each prime (layout: component, prime, coefficient), on every core.
    static func addInto(
        _ totals: [WordBuffer], _ parts: [WordBuffer], words: Int, primes k: Int, degree n: Int, moduli: [Modulus]
    ) {
        let rows = words / n
        Parallelism.forEach(totals.count * rows) { item in
            let total = totals[item / rows].pointer, part = parts[item / rows].pointer
            let row = item % rows, q = moduli[row % k], base = row * n
            for i in 0..<n { total[base + i] = q.addMod(total[base + i], part[base + i]) }
        }
    }
}
