import CKKS
import Foundation
import NTT

/// The user's homomorphic part of LeNet-5: encrypted pooled conv1 → square → encrypted pooled conv2, with
/// images batched across slots (slot i = image i).
///
/// Work per batch: each input position is encoded once (in a sliding band of six rows) and shared by every
/// encrypted conv1 filter; each pooled output is one lazy sum of 36 ct⊙pt products (plus the bias) followed
/// by one rescale; the square is one tensor product, one relinearization and one rescale; each encrypted
/// conv2 output is one lazy sum over all input channels (ct⊗ct for encrypted channels, ct⊙pt for plaintext
/// ones) followed by one relinearization and one rescale. Work items run on every core.
struct UserEvaluator {
    let context: HEContext
    let plan: ScalePlan
    let weights: EncryptedWeights
    let relinKeys: RelinKeys
    /// conv kernel size k (pooled kernels are (k+1)², stride 2).
    let kernel: Int
    /// Input side (28), pooled conv1 side (12), pooled conv2 side (4).
    let inputSide: Int
    let pooled1Side: Int
    let pooled2Side: Int
    /// conv1 output channels.
    let conv1Channels: Int
    /// Called after each pooled conv1 row and each conv2 filter (``progressSteps`` calls per batch).
    var progress: (@Sendable () -> Void)? = nil

    /// Progress ticks per batch.
    var progressSteps: Int { (weights.conv1Filters.isEmpty ? 0 : pooled1Side) + weights.conv2Filters.count }

    var taps: Int { (kernel + 1) * (kernel + 1) }

    /// Runs the encrypted layers for one batch.
    /// - Parameters:
    ///   - pixels: `count · inputSide²` raw bytes, image-major.
    ///   - activations: `count · conv1Channels · pooled1Side²` squared pooled conv1 outputs of the plaintext
    ///     filters (image-major NCHW; channels of encrypted filters are ignored).
    ///   - count: images in the batch (≤ N/2).
    ///   - times: receives conv1, activation and conv2 times.
    /// - Returns: per selected conv2 filter, its pooled outputs (row-major) at one prime and `resultScale`.
    func evaluate(pixels: [UInt8], activations: [Float], count: Int, times: inout PhaseTimes) throws -> [[Ciphertext]] {
        guard count > 0, count <= context.degree / 2 else {
            throw InferenceError.invalidArgument("a batch holds 1…\(context.degree / 2) images, got \(count)")
        }
        let squares = try encryptedActivations(pixels: pixels, count: count, times: &times)
        return try times.measure("conv2") { try conv2(squares: squares, activations: activations, count: count) }
    }

    /// Squared pooled conv1 outputs of every selected conv1 filter: `[filter][row·side + col]` at 2 primes.
    func encryptedActivations(pixels: [UInt8], count: Int, times: inout PhaseTimes) throws -> [[Ciphertext]] {
        let filters = weights.conv1Filters.count
        guard filters > 0, !weights.conv2Filters.isEmpty else { return [] }
        let n = context.degree
        let k1 = PipelineLevels.conv1Primes
        let side = inputSide, p1 = pooled1Side, window = kernel + 1
        let filterWeights = try times.measure("conv1") { try (0..<filters).map { try weights.filter(1, $0) } }
        var band: [Int: [[UInt64]]] = [:]  // input row → encoded positions
        var squares = [[Ciphertext?]](repeating: [Ciphertext?](repeating: nil, count: p1 * p1), count: filters)
        for y in 0..<p1 {
            let rows = (2 * y)..<(2 * y + window)
            let missing = rows.filter { band[$0] == nil }
            let encoded = try times.measure("conv1") {
                try Workers.map(missing.count * side) { item -> Result<[UInt64], Error> in
                    let row = missing[item / side], col = item % side
                    var values = [Double](repeating: 0, count: count)
                    for b in 0..<count { values[b] = Double(pixels[b * side * side + row * side + col]) }
                    return Result { try context.encodeWords(values, scale: plan.inputScale, primes: k1) }
                }.map { try $0.get() }
            }
            for (i, row) in missing.enumerated() { band[row] = Array(encoded[(i * side)..<((i + 1) * side)]) }
            for old in band.keys where old < 2 * y { band[old] = nil }
            let bandCopy = band
            let pooled = try times.measure("conv1") {
                try Workers.map(filters * p1) { item -> Result<Ciphertext, Error> in
                    let f = item / p1, x = item % p1
                    var ct = context.zeroCiphertext(size: 2, primes: k1, scale: plan.inputScale * plan.conv1WeightScale)
                    withProducts(
                        count: taps,
                        weight: { t in filterWeights[f][t].data },
                        input: { t in bandCopy[2 * y + t / window]?[2 * x + t % window] ?? [] }
                    ) { terms in
                        ct.data.withUnsafeMutableBufferPointer { out in
                            guard let base = out.baseAddress else { return }
                            LazyAccumulator.sum(
                                terms, primes: k1, degree: n, moduli: context.moduli(k1), outSize: 2, into: base)
                        }
                    }
                    return Result {
                        try context.evaluator.addInPlace(&ct, filterWeights[f][taps])
                        try context.evaluator.rescaleToNextInPlace(&ct)
                        return ct
                    }
                }.map { try $0.get() }
            }
            let squared = try times.measure("activation") {
                try Workers.map(pooled.count) { i in Result { try square(pooled[i]) } }.map { try $0.get() }
            }
            for (item, ct) in squared.enumerated() { squares[item / p1][y * p1 + item % p1] = ct }
            progress?()
        }
        return squares.map { $0.compactMap { $0 } }
    }

    /// ct², relinearized and rescaled.
    func square(_ input: Ciphertext) throws -> Ciphertext {
        var out = try context.evaluator.square(input)
        try context.evaluator.relinearizeInPlace(&out, relinKeys: relinKeys)
        try context.evaluator.rescaleToNextInPlace(&out)
        return out
    }

    /// The selected conv2 filters' pooled outputs.
    func conv2(squares: [[Ciphertext]], activations: [Float], count: Int) throws -> [[Ciphertext]] {
        let n = context.degree
        let k2 = PipelineLevels.conv2Primes
        let p1 = pooled1Side, p2 = pooled2Side, window = kernel + 1
        let encryptedChannel = Dictionary(uniqueKeysWithValues: weights.conv1Filters.enumerated().map { ($1, $0) })
        let plainChannels = (0..<conv1Channels).filter { encryptedChannel[$0] == nil }
        guard !weights.conv2Filters.isEmpty else { return [] }
        // Encode every plaintext channel's activations once, shared by all encrypted conv2 filters.
        let plane = p1 * p1
        let encodedPlain = try Workers.map(plainChannels.count * plane) { item -> Result<[UInt64], Error> in
            let c = plainChannels[item / plane], pos = item % plane
            var values = [Double](repeating: 0, count: count)
            for b in 0..<count { values[b] = Double(activations[(b * conv1Channels + c) * plane + pos]) }
            return Result { try context.encodeWords(values, scale: plan.squareScale, primes: k2) }
        }.map { try $0.get() }
        let plainIndex = Dictionary(uniqueKeysWithValues: plainChannels.enumerated().map { ($1, $0) })
        let hasEncryptedInputs = !weights.conv1Filters.isEmpty
        return try weights.conv2Filters.indices.map { index in
            defer { progress?() }
            let ciphertexts = try weights.filter(2, index)
            let expanded = ciphertexts.map(\.data)
            let biasCiphertext = ciphertexts.last
            return try Workers.map(p2 * p2) { pos -> Result<Ciphertext, Error> in
                let y = pos / p2, x = pos % p2
                let size = hasEncryptedInputs ? 3 : 2
                var ct = context.zeroCiphertext(size: size, primes: k2, scale: plan.squareScale * plan.conv2WeightScale)
                let termCount = conv1Channels * taps
                withProducts(
                    count: termCount,
                    weight: { expanded[$0] },
                    input: { t in
                        let c = t / taps, tap = t % taps
                        let at = (2 * y + tap / window) * p1 + 2 * x + tap % window
                        if let e = encryptedChannel[c] { return squares[e][at].data }
                        return encodedPlain[(plainIndex[c] ?? 0) * plane + at]
                    },
                    isCipher: { encryptedChannel[$0 / taps] != nil }
                ) { terms in
                    ct.data.withUnsafeMutableBufferPointer { out in
                        guard let base = out.baseAddress else { return }
                        LazyAccumulator.sum(terms, primes: k2, degree: n, moduli: context.moduli(k2), outSize: size, into: base)
                    }
                }
                return Result {
                    if let biasCiphertext { try context.evaluator.addInPlace(&ct, biasCiphertext) }
                    if ct.size == 3 { try context.evaluator.relinearizeInPlace(&ct, relinKeys: relinKeys) }
                    try context.evaluator.rescaleToNextInPlace(&ct)
                    return ct
                }
            }.map { try $0.get() }
        }
    }

    /// Pins the weight and input arrays of `count` products and hands their pointers to `body`.
    func withProducts(
        count: Int, weight: (Int) -> [UInt64], input: (Int) -> [UInt64], isCipher: (Int) -> Bool = { _ in false },
        _ body: ([ProductTerm]) -> Void
    ) {
        // Arrays are immutable here; holding them keeps the storage alive while the raw pointers are used.
        let weights = (0..<count).map(weight)
        let inputs = (0..<count).map(input)
        var terms: [ProductTerm] = []
        terms.reserveCapacity(count)
        var pinned: [UnsafeBufferPointer<UInt64>] = []
        for t in 0..<count {
            let w = weights[t].withUnsafeBufferPointer { $0 }
            let x = inputs[t].withUnsafeBufferPointer { $0 }
            pinned.append(w)
            guard let wb = w.baseAddress, let xb = x.baseAddress else { continue }
            terms.append(ProductTerm(weight: wb, input: xb, inputIsCipher: isCipher(t)))
        }
        withExtendedLifetime((weights, inputs, pinned)) { body(terms) }
    }
}
