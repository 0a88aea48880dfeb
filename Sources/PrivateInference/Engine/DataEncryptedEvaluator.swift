import CKKS
import Foundation
import NN
import NTT

/// The owner's half of the data-encrypted (CryptoNets / nGraph-HE style) baseline: the Square-activation LeNet-5
/// evaluated on the user's encrypted images with the owner's plaintext weights.
///
/// Images are batched across slots (slot i = image i) and each input value is one ciphertext. The user sends the
/// 2×2 means of its (shifted) bytes rather than the bytes: a conv followed by 2×2 average pooling is the conv's own
/// k×k kernel with stride 2 over those means (``LayerKernels``, box form), so conv1 takes 25 taps per output instead
/// of the 36 of the wide form, and there are 27² means instead of 28² pixels. conv2 runs the wide (k+1)² kernel on
/// the encrypted squares (means of ciphertexts would cost additions and a level of bookkeeping).
///
/// Every weight is a plaintext constant, so each product is a ciphertext times one word per prime
/// (``ConstantAccumulator``), each output one lazy sum plus its bias, one rescale, then (except fc3) a square,
/// relinearization and rescale: depth 9, prime counts `top` → 1. Weight scales are chosen per layer so that every
/// linear output returns to `targetScale` exactly as SEAL's rescale computes it, which lets linear layers rescale by
/// small primes (the weights need ~30 bits, the activations ~40).
///
/// The owner holds no secret key: only the context, its weights and the user's relinearization keys.
///
/// Streaming keeps memory to a band of encrypted mean rows, one row of conv1 squares and the conv2 sums: each row of
/// conv1 squares is folded into every conv2 sum it reaches as soon as it exists and is then dropped.
struct DataEncryptedOwner {
    let context: HEContext
    let weights: FullEncryptionWeights
    /// The user's relinearization keys (s²).
    let relinKeys: RelinKeys
    /// Primes of the encrypted inputs (depth + 1).
    let top: Int
    /// The scale of the inputs and of every linear layer's rescaled output.
    let targetScale: Double
    /// Called after each row of conv1 outputs, after conv2 and after each FC layer.
    var progress: (@Sendable () -> Void)? = nil

    /// Rescales: conv1, square, conv2, square, fc1, square, fc2, square, fc3.
    static let depth = 9

    /// Steps reported to `progress` per batch.
    var progressSteps: Int { weights.kernels.geometry.conv1Side + 1 + weights.fc.count }

    /// Runs the network on one batch.
    /// - Parameters:
    ///   - rows: the user's encrypted mean row r (`[channel · side + column]`, side = ``StageGeometry/conv1``'s
    ///     plane), called once per row in increasing order.
    ///   - times: receives conv1, activation, conv2 and fc seconds.
    ///   - counts: receives operation counts by kind.
    /// - Returns: one ciphertext per logit at one prime and `targetScale`.
    /// - Throws: ``InferenceError`` for a row of the wrong shape, level or scale; `CKKSError` from the evaluator.
    func evaluate(rows: (Int) throws -> [Ciphertext], times: inout PhaseTimes, counts: inout [String: Int]) throws
        -> [Ciphertext]
    {
        var (activations, scale) = try convolutions(rows: rows, times: &times, counts: &counts)
        var k = top - 4
        for (layer, fc) in weights.fc.enumerated() {
            let last = layer == weights.fc.count - 1
            (activations, scale) = try fullyConnected(
                activations, scale: scale, primes: k, layer: fc, square: !last, times: &times, counts: &counts)
            k -= last ? 1 : 2
            progress?()
        }
        return activations.map { context.ciphertext($0, size: 2, primes: k, scale: scale) }
    }

    /// Pooled conv1 (box form on the means) → square → pooled conv2 (wide form) → square.
    /// - Returns: the flattened `[C2, p2, p2]` activations at `top − 4` primes and their scale.
    func convolutions(rows source: (Int) throws -> [Ciphertext], times: inout PhaseTimes, counts: inout [String: Int])
        throws -> ([WordBuffer], Double)
    {
        let kernels = weights.kernels, g = kernels.geometry, n = context.degree
        let plane = g.conv1, side = plane.side, window = plane.window, p1 = g.conv1Side, c0 = g.inputChannels
        let channels = g.conv1Channels, taps1 = c0 * window * window
        let stage2 = g.conv2Cipher, w2 = stage2.window, p2 = g.conv2Side, pad2 = stage2.padding
        let filters = g.conv2Channels, outputs = p2 * p2
        let k1 = top, k2 = top - 2
        let weightScale1 = targetScale * context.prime(k1 - 1) / targetScale
        let productScale1 = targetScale * weightScale1
        let factors1 = try residues(kernels.conv1Taps.flatMap { $0 }, scale: weightScale1, primes: k1)
        let bias1 = try residues(kernels.conv1Bias, scale: productScale1, primes: k1)
        // conv2's weights depend on the squares' scale, known once the first row is squared.
        var factors2: WordBuffer?
        var productScale2 = 0.0
        let sums = (0..<(filters * outputs)).map { _ in WordBuffer(count: 2 * k2 * n) }
        var band: [Int: [WordBuffer]] = [:]
        var nextRow = 0
        for y in 0..<p1 {
            // The rows y·stride … y·stride + window − 1 of means, received in order; older rows are dropped.
            while nextRow < y * plane.stride + window {
                let row = try source(nextRow)
                try check(row, count: c0 * side, row: nextRow)
                band[nextRow] = row.map { WordBuffer($0.data) }
                nextRow += 1
            }
            for r in band.keys where r < y * plane.stride { band[r] = nil }
            let window1 = try (0..<window).map { dy -> [WordBuffer] in
                guard let row = band[y * plane.stride + dy] else {
                    throw InferenceError.invalidArgument("internal: mean row \(y * plane.stride + dy) released")
                }
                return row
            }
            let squares = try times.measure("conv1") { () throws -> [Ciphertext] in
                let terms = (0..<(channels * p1)).map { item in
                    let f = item / p1, x = item % p1
                    return (0..<taps1).map { t in
                        let c = t / (window * window), dy = t / window % window, dx = t % window
                        return ConstantTerm(
                            input: UnsafePointer(window1[dy][c * side + x * plane.stride + dx].pointer),
                            factor: UnsafePointer(factors1.pointer + (f * taps1 + t) * k1))
                    }
                }
                let out = terms.map { _ in WordBuffer(count: 2 * k1 * n) }
                withExtendedLifetime((window1, factors1)) {
                    ConstantAccumulator.sumAll(
                        terms, primes: k1, degree: n, moduli: context.moduli(k1), into: out.map(\.pointer))
                }
                counts["ct⊙pt", default: 0] += terms.count * taps1
                return try finish(out, bias: { bias1.pointer + ($0 / p1) * k1 }, primes: k1, scale: productScale1)
            }
            counts["rescale", default: 0] += squares.count
            let squared = try times.measure("activation") { try squareAll(squares) }
            counts["relinearize", default: 0] += squared.count
            counts["rescale", default: 0] += squared.count
            guard let squareScale = squared.first?.1 else { continue }
            if factors2 == nil {
                let weightScale2 = targetScale * context.prime(k2 - 1) / squareScale
                productScale2 = squareScale * weightScale2
                factors2 = try residues(
                    kernels.conv2CipherTaps.flatMap { $0.flatMap { $0 } }, scale: weightScale2, primes: k2)
            }
            guard let factors2 else { continue }
            // Fold this row of squares into every conv2 sum whose window covers it (padded row y + pad2).
            times.measure("conv2") {
                var terms: [[ConstantTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
                for y2 in 0..<p2 {
                    let dy = y + pad2 - y2 * stage2.stride
                    guard dy >= 0, dy < w2 else { continue }
                    for o in 0..<filters {
                        for x2 in 0..<p2 {
                            var list: [ConstantTerm] = []
                            for c in 0..<channels {
                                for dx in 0..<w2 {
                                    let col = x2 * stage2.stride + dx - pad2
                                    guard col >= 0, col < p1 else { continue }
                                    list.append(
                                        ConstantTerm(
                                            input: UnsafePointer(squared[c * p1 + col].0.pointer),
                                            factor: UnsafePointer(
                                                factors2.pointer + (((o * channels + c) * w2 + dy) * w2 + dx) * k2)))
                                }
                            }
                            terms.append(list)
                            destinations.append(sums[o * outputs + y2 * p2 + x2].pointer)
                        }
                    }
                }
                guard !terms.isEmpty else { return }
                withExtendedLifetime((squared, factors2, sums)) {
                    ConstantAccumulator.sumAll(
                        terms, primes: k2, degree: n, moduli: context.moduli(k2), into: destinations,
                        accumulate: true)
                }
                counts["ct⊙pt", default: 0] += terms.reduce(0) { $0 + $1.count }
            }
            progress?()
        }
        guard factors2 != nil else {
            throw InferenceError.invalidArgument("internal: conv1 produced no outputs")
        }
        let bias2 = try residues(kernels.conv2Bias, scale: productScale2, primes: k2)
        let rescaled = try times.measure("conv2") {
            try finish(sums, bias: { bias2.pointer + ($0 / outputs) * k2 }, primes: k2, scale: productScale2)
        }
        let squared = try times.measure("activation") { try squareAll(rescaled) }
        counts["rescale", default: 0] += 2 * rescaled.count
        counts["relinearize", default: 0] += rescaled.count
        progress?()
        return (squared.map(\.0), squared.first?.1 ?? 0)
    }

    /// One FC layer with plaintext weights, optionally followed by the square.
    /// - Returns: the outputs two (or one, without the square) primes lower, and their scale.
    func fullyConnected(
        _ inputs: [WordBuffer], scale: Double, primes k: Int, layer fc: (weights: [[Double]], bias: [Double]),
        square: Bool, times: inout PhaseTimes, counts: inout [String: Int]
    ) throws -> ([WordBuffer], Double) {
        let n = context.degree
        guard fc.weights.allSatisfy({ $0.count == inputs.count }) else {
            throw InferenceError.unsupportedModel("an FC layer expects \(fc.weights.first?.count ?? 0) inputs")
        }
        let weightScale = targetScale * context.prime(k - 1) / scale
        let productScale = scale * weightScale
        let factors = try residues(fc.weights.flatMap { $0 }, scale: weightScale, primes: k)
        let bias = try residues(fc.bias, scale: productScale, primes: k)
        let rescaled = try times.measure("fc") { () throws -> [Ciphertext] in
            let terms = (0..<fc.bias.count).map { j in
                inputs.indices.map { i in
                    ConstantTerm(
                        input: UnsafePointer(inputs[i].pointer),
                        factor: UnsafePointer(factors.pointer + (j * inputs.count + i) * k))
                }
            }
            let sums = terms.map { _ in WordBuffer(count: 2 * k * n) }
            withExtendedLifetime((inputs, factors)) {
                ConstantAccumulator.sumAll(
                    terms, primes: k, degree: n, moduli: context.moduli(k), into: sums.map(\.pointer))
            }
            counts["ct⊙pt", default: 0] += terms.count * inputs.count
            return try finish(sums, bias: { bias.pointer + $0 * k }, primes: k, scale: productScale)
        }
        counts["rescale", default: 0] += rescaled.count
        guard square else { return (rescaled.map { WordBuffer($0.data) }, rescaled.first?.scale ?? 0) }
        let squared = try times.measure("activation") { try squareAll(rescaled) }
        counts["relinearize", default: 0] += squared.count
        counts["rescale", default: 0] += squared.count
        return (squared.map(\.0), squared.first?.1 ?? 0)
    }

    /// Refuses a row the user sent in the wrong shape: it must hold `count` two-component ciphertexts at `top`
    /// primes and `targetScale` (the owner's weight scales depend on it).
    func check(_ row: [Ciphertext], count: Int, row r: Int) throws {
        guard row.count == count else {
            throw InferenceError.invalidArgument(
                "encrypted mean row \(r) holds \(row.count) ciphertexts, expected \(count)")
        }
        for ct in row where ct.size != 2 || ct.coeffModulusSize != top || ct.scale != targetScale {
            throw InferenceError.invalidArgument(
                "encrypted mean row \(r): a ciphertext of size \(ct.size) at \(ct.coeffModulusSize) primes and scale "
                    + "\(ct.scale), expected size 2 at \(top) primes and scale \(targetScale)")
        }
    }

    /// The residues round(v·scale) mod q_j (j < k) of each value, `values.count · k` words: a plaintext constant
    /// in NTT form (every coefficient of prime j is that word), exactly as SEAL's `encode(double)` rounds it.
    /// - Throws: ``InferenceError`` for a non-finite weight; `CKKSError` for a value too large for the level.
    func residues(_ values: [Double], scale: Double, primes k: Int) throws -> WordBuffer {
        let out = WordBuffer(count: values.count * k)
        let moduli = context.moduli(k)
        for (i, value) in values.enumerated() {
            let scaled = (value * scale).rounded()
            guard scaled.isFinite else { throw InferenceError.unsupportedModel("a weight or bias is not finite") }
            if abs(scaled) < 0x1p63 {
                let magnitude = UInt64(abs(scaled))
                for j in 0..<k {
                    let r = moduli[j].reduce(magnitude)
                    out.pointer[i * k + j] = scaled < 0 && r != 0 ? moduli[j].value - r : r
                }
            } else {
                // Biases at a product scale can exceed 64 bits: SEAL's multi-word rounding through the encoder.
                let plain = try context.encoder.encode(value, scale: scale, parmsID: context.parmsIDs[k])
                for j in 0..<k { out.pointer[i * k + j] = plain.data[j * context.degree] }
            }
        }
        return out
    }

    /// `sums[o]` (two components at k primes and `scale`) plus the constant at `bias(o)` (k residues) in every
    /// slot, rescaled, for every output on every core.
    func finish(_ sums: [WordBuffer], bias: (Int) -> UnsafeMutablePointer<UInt64>, primes k: Int, scale: Double) throws
        -> [Ciphertext]
    {
        let n = context.degree, moduli = context.moduli(k)
        return try Parallelism.map(sums.count) { o in
            Result {
                let b = bias(o)
                for j in 0..<k {
                    let row = sums[o].pointer + j * n, q = moduli[j], c = b[j]
                    for i in 0..<n { row[i] = q.addMod(row[i], c) }
                }
                var ct = context.ciphertext(sums[o], size: 2, primes: k, scale: scale)
                try context.evaluator.rescaleToNextInPlace(&ct)
                return ct
            }
        }.map { try $0.get() }
    }

    /// ct² relinearized and rescaled for every input, on every core: the words and the resulting scale.
    ///
    /// The fused relinearize-and-rescale divides once by q·P (8 NTTs per square instead of 14).
    func squareAll(_ inputs: [Ciphertext]) throws -> [(WordBuffer, Double)] {
        try Parallelism.map(inputs.count) { i in
            Result {
                var out = try context.evaluator.square(inputs[i])
                try context.evaluator.relinearizeAndRescaleInPlace(&out, relinKeys: relinKeys)
                return (WordBuffer(out.data), out.scale)
            }
        }.map { try $0.get() }
    }
}
