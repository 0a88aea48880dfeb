/// A fast ``SelectionEvaluator`` for the two LeNet-5 networks (MNIST, EMNIST) that reuses work across selections.
///
/// Both masks of spec §5 only decide which (conv2 filter `o`, conv1 channel `i`) products reach conv2's output,
/// and conv2 → AvgPool is linear. So, once per image set:
/// - `P₁ = square(pool(conv1(x)))` is computed by the model's own layers;
/// - each pooled contribution `Z[o, i] = pool(W₂[o, i] ⋆ P₁[i])` (a 4×4 plane) is stored;
///
/// and for a layer-1 set `S₁` (cached until `S₁` changes):
/// - `G = square(b₂ + Σ_{i∉S₁} Z[·, i])`, the conv2 features when `S₁`'s channels are cut off from every filter;
/// - `H = G·W_fc1ᵀ + b_fc1`, and per conv2 filter `o` the fc1 contributions `Q_r[o] = G[o]·W_fc1[:, o]ᵀ` and
///   `Q_s[o] = (F[o] − G[o])·W_fc1[:, o]ᵀ`, where `F = square(b₂ + Σ_i Z[·, i])` is the unmasked feature.
///
/// A selection `(S₁, S₂)` is then one sum and the small tail of the network:
/// - remove (A_r): filters in `S₂` output zero, so fc1 sees `H − Σ_{o∈S₂} Q_r[o]`;
/// - separate (A_s): filters outside `S₂` lose `S₁`'s inputs (they see `G`), filters in `S₂` keep all (they see
///   `F`), so fc1 sees `H + Σ_{o∈S₂} Q_s[o]`;
///
/// followed by ReLU → fc2 → ReLU → fc3. The results equal ``ModelSelectionEvaluator``'s up to float rounding
/// (the sums run in another order). Memory: `N·C₂·C₁·16` floats for `Z` plus `2·C₂·N·120` for the cached `Q`s
/// (about 110 MB for the 5,000-image MNIST half). Not thread-safe.
public final class LeNetSelectionEvaluator: SelectionEvaluator {
    /// The model (never modified).
    public let model: Model
    /// Evaluations run so far.
    public private(set) var evaluationCount = 0

    private let labels: [Int]
    private let topK: Int
    private let imageCount: Int
    private let c1: Int
    private let c2: Int
    /// Pixels of one pooled conv2 plane (16 for LeNet-5).
    private let plane: Int
    private let features: Int
    private let fc1: Linear
    private let fc2: Linear
    private let fc3: Linear
    /// `Z`, laid out `[n][o][i][p]`.
    private let contributions: [Float]
    /// `F`, `[n][o·p]`: the unmasked squared conv2 features.
    private let fullFeatures: [Float]
    private var originalResult: EvaluationResult?
    /// Images per tile of the per-selection tail (activations of one tile fit in L2).
    static let tileRows = 256
    private var state: LayerOneState?

    /// What depends only on the layer-1 set.
    private struct LayerOneState {
        var removed: [Int]
        /// `G`, `[n][o·p]`.
        var features: [Float]
        /// `H`, `[n][hidden]`.
        var hidden: [Float]
        /// `Q_r` then `Q_s`, each `[o][n][hidden]`; computed on first use.
        var removeTerms: [Float]?
        var separateTerms: [Float]?
    }

    /// Precomputes the per-image contributions for `model` on `images`.
    ///
    /// - Parameters:
    ///   - model: a trained LeNet-5 (``Architecture/lenet5MNIST`` or ``Architecture/lenet5EMNIST``).
    ///   - images: `[N, 1, 28, 28]` evaluation images.
    ///   - labels: their labels.
    /// - Throws: ``NNError/datasetMismatch(_:)`` for images or labels that do not fit, and
    ///   ``NNError/shapeMismatch(_:)`` for a model that is not a LeNet-5.
    public init(model: Model, images: Tensor, labels: [Int]) throws {
        guard model.architecture == .lenet5MNIST || model.architecture == .lenet5EMNIST else {
            throw NNError.shapeMismatch("the factored selection evaluator needs a LeNet-5, got \(model.architecture)")
        }
        try model.validateInput(images)
        try model.validateLabels(labels, count: images.shape[0])
        func linear(_ name: String) throws -> Linear {
            guard let layer = model.network.entries.first(where: { $0.name == name })?.layer as? Linear else {
                throw NNError.shapeMismatch("LeNet-5 without a Linear \(name)")
            }
            return layer
        }
        self.model = model
        self.labels = labels
        topK = model.architecture.topK
        imageCount = images.shape[0]
        fc1 = try linear("fc1")
        fc2 = try linear("fc2")
        fc3 = try linear("fc3")
        c1 = model.conv1.outChannels
        c2 = model.conv2.outChannels
        model.clearMasks()
        // P₁ through the model's own conv1 → AvgPool → Square.
        let pooled1 = model.network.forward(model.conv1Outputs(images), from: 1, through: 2, training: false)
        let side1 = pooled1.shape[2]
        let kernel = model.conv2.kernelSize
        let convSide = side1 - kernel + 1
        guard pooled1.shape[1] == c1, pooled1.shape[3] == side1, convSide % 2 == 0,
            fc1.inFeatures == c2 * (convSide / 2) * (convSide / 2)
        else {
            throw NNError.shapeMismatch("LeNet-5 layer shapes do not chain (conv1 output \(pooled1.shape))")
        }
        let side2 = convSide / 2
        plane = side2 * side2
        features = c2 * plane
        contributions = Self.pooledContributions(
            pooled1: pooled1, weights: model.conv2.weight.value.data, c2: c2, kernel: kernel, side2: side2)
        let bias2 = model.conv2.bias?.value.data ?? [Float](repeating: 0, count: c2)
        fullFeatures = Self.squaredFeatures(
            contributions, bias: bias2, images: imageCount, c1: c1, c2: c2, plane: plane, removed: [])
    }

    /// `[conv1 filters, conv2 filters]`.
    public var layerSizes: [Int] { [c1, c2] }

    /// Each filter's weights of conv1 (`layer` 1) or conv2 (`layer` 2), flattened.
    public func filterWeights(layer: Int) -> [[Float]] {
        let conv = layer == 1 ? model.conv1 : model.conv2
        let per = conv.weight.value.count / conv.outChannels
        return (0..<conv.outChannels).map { Array(conv.weight.value.data[($0 * per)..<(($0 + 1) * per)]) }
    }

    /// One evaluation of `selection` under `mode` (A_o for `nil`), with ``Model/applyMask(_:mode:)``'s checks.
    ///
    /// - Throws: ``NNError/invalidSelection(_:)`` for layers other than 1 and 2 or filters out of range.
    public func evaluate(_ selection: SelectedNeurons, mode: FilterMaskMode?) throws -> EvaluationResult {
        for layer in selection.layerNumbers {
            guard layer == 1 || layer == 2 else {
                throw NNError.invalidSelection("layer \(layer) is not encryptable (only 1 and 2)")
            }
            let width = layer == 1 ? c1 : c2
            if let bad = selection[layer].first(where: { $0 >= width }) {
                throw NNError.invalidSelection("layer \(layer) has filters 0..<\(width), got \(bad)")
            }
        }
        evaluationCount += 1
        switch mode {
        case nil:
            return original()
        case .remove:
            let removed = selection[1]
            if removed.isEmpty && selection[2].isEmpty { return original() }
            return score(layerOne: removed, filters: selection[2], remove: true)
        case .separate:
            // As the masked model: the rule needs both layers listed; with no encrypted input nothing is cut.
            let layers = selection.layerNumbers
            guard layers.contains(1), layers.contains(2), !selection[1].isEmpty else { return original() }
            return score(layerOne: selection[1], filters: selection[2], remove: false)
        }
    }

    private func original() -> EvaluationResult {
        if let originalResult { return originalResult }
        let result = score(layerOne: [], filters: [], remove: true)
        originalResult = result
        return result
    }

    // MARK: - Precomputation

    /// `Z[n][o][i][p]`: conv2 → AvgPool 2 of one input channel, as a stride-2 convolution with the pooled kernel
    /// (the 2×2 box filter applied to `W₂[o, i]`, `kernel + 1` wide).
    private static func pooledContributions(
        pooled1: Tensor, weights: [Float], c2: Int, kernel: Int, side2: Int
    ) -> [Float] {
        let n = pooled1.shape[0], c1 = pooled1.shape[1], side1 = pooled1.shape[2]
        let wide = kernel + 1, taps = wide * wide, plane = side2 * side2
        // Pooled kernels, [i][o][taps] so each channel's block is one GEMM operand.
        var pooledKernels = [Float](repeating: 0, count: c1 * c2 * taps)
        for i in 0..<c1 {
            for o in 0..<c2 {
                let w = (o * c1 + i) * kernel * kernel
                for u in 0..<wide {
                    for v in 0..<wide {
                        var sum: Float = 0
                        for a in 0..<2 where u - a >= 0 && u - a < kernel {
                            for b in 0..<2 where v - b >= 0 && v - b < kernel {
                                sum += weights[w + (u - a) * kernel + (v - b)]
                            }
                        }
                        pooledKernels[(i * c2 + o) * taps + u * wide + v] = sum / 4
                    }
                }
            }
        }
        var result = [Float](repeating: 0, count: n * c2 * c1 * plane)
        pooled1.data.withUnsafeBufferPointer { xBuf in
            pooledKernels.withUnsafeBufferPointer { kBuf in
                result.withUnsafeMutableBufferPointer { zBuf in
                    guard let x = xBuf.baseAddress, let k = kBuf.baseAddress, let z = zBuf.baseAddress else { return }
                    nonisolated(unsafe) let out = z
                    Parallelism.forEachChunk(n, minimumChunk: 64) { _, range in
                        // Patches of one channel for the chunk's images: rows (image, p), columns taps.
                        var patches = [Float](repeating: 0, count: range.count * plane * taps)
                        var products = [Float](repeating: 0, count: range.count * plane * c2)
                        patches.withUnsafeMutableBufferPointer { pBuf in
                            products.withUnsafeMutableBufferPointer { rBuf in
                                guard let pm = pBuf.baseAddress, let r = rBuf.baseAddress else { return }
                                for i in 0..<c1 {
                                    for (row, image) in range.enumerated() {
                                        let source = x + (image * c1 + i) * side1 * side1
                                        for y in 0..<side2 {
                                            for xx in 0..<side2 {
                                                let dst = pm + ((row * plane) + y * side2 + xx) * taps
                                                for u in 0..<wide {
                                                    let src = source + (2 * y + u) * side1 + 2 * xx
                                                    for v in 0..<wide { dst[u * wide + v] = src[v] }
                                                }
                                            }
                                        }
                                    }
                                    sgemm(
                                        transposeA: false, transposeB: true, m: range.count * plane, n: c2, k: taps,
                                        a: pm, lda: taps, b: k + i * c2 * taps, ldb: taps, beta: 0, c: r, ldc: c2)
                                    for (row, image) in range.enumerated() {
                                        for p in 0..<plane {
                                            let src = r + (row * plane + p) * c2
                                            for o in 0..<c2 { out[((image * c2 + o) * c1 + i) * plane + p] = src[o] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// `square(b₂ + Σ_{i∉removed} Z[·, i])`, `[n][o·p]`.
    private static func squaredFeatures(
        _ z: [Float], bias: [Float], images: Int, c1: Int, c2: Int, plane: Int, removed: [Int]
    ) -> [Float] {
        var keep = [Bool](repeating: true, count: c1)
        for i in removed { keep[i] = false }
        let kept = (0..<c1).filter { keep[$0] }
        var result = [Float](repeating: 0, count: images * c2 * plane)
        z.withUnsafeBufferPointer { zBuf in
            result.withUnsafeMutableBufferPointer { gBuf in
                guard let zp = zBuf.baseAddress, let g = gBuf.baseAddress else { return }
                nonisolated(unsafe) let out = g
                Parallelism.forEachChunk(images, minimumChunk: 256) { _, range in
                    for image in range {
                        for o in 0..<c2 {
                            let dst = out + (image * c2 + o) * plane
                            let base = zp + (image * c2 + o) * c1 * plane
                            for p in 0..<plane {
                                var sum = bias[o]
                                for i in kept { sum += base[i * plane + p] }
                                dst[p] = sum * sum
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The cached state for `removed`, rebuilt when the layer-1 set changes; `Q`s too when `withTerms`.
    private func layerOneState(_ removed: [Int], withTerms: Bool) -> LayerOneState {
        if var current = state, current.removed == removed {
            if withTerms && current.removeTerms == nil {
                (current.removeTerms, current.separateTerms) = terms(current.features)
                state = current
            }
            return current
        }
        let bias2 = model.conv2.bias?.value.data ?? [Float](repeating: 0, count: c2)
        let g = Self.squaredFeatures(
            contributions, bias: bias2, images: imageCount, c1: c1, c2: c2, plane: plane, removed: removed)
        var fresh = LayerOneState(
            removed: removed, features: g,
            hidden: fc1.forward(
                Tensor(shape: [imageCount, features], data: g), training: false
            ).data)
        if withTerms { (fresh.removeTerms, fresh.separateTerms) = terms(g) }
        state = fresh
        return fresh
    }

    /// `Q_r[o] = G[o]·W_fc1[:, o]ᵀ` and `Q_s[o] = (F[o] − G[o])·W_fc1[:, o]ᵀ`, each `[o][n][hidden]`.
    private func terms(_ g: [Float]) -> ([Float], [Float]) {
        let hidden = fc1.outFeatures, n = imageCount, width = features, plane = plane
        var difference = fullFeatures
        for index in difference.indices { difference[index] -= g[index] }
        func blockProducts(_ input: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: c2 * n * hidden)
            input.withUnsafeBufferPointer { xBuf in
                fc1.weight.value.data.withUnsafeBufferPointer { wBuf in
                    out.withUnsafeMutableBufferPointer { oBuf in
                        guard let x = xBuf.baseAddress, let w = wBuf.baseAddress, let o = oBuf.baseAddress else {
                            return
                        }
                        nonisolated(unsafe) let result = o
                        Parallelism.forEachChunk(n, minimumChunk: 64) { _, range in
                            for filter in 0..<c2 {
                                sgemm(
                                    transposeA: false, transposeB: true, m: range.count, n: hidden, k: plane,
                                    a: x + range.lowerBound * width + filter * plane, lda: width,
                                    b: w + filter * plane, ldb: width, beta: 0,
                                    c: result + (filter * n + range.lowerBound) * hidden, ldc: hidden)
                            }
                        }
                    }
                }
            }
            return out
        }
        return (blockProducts(g), blockProducts(difference))
    }

    // MARK: - Per selection

    /// Runs fc1's sum, ReLU → fc2 → ReLU → fc3, and scores the logits.
    private func score(layerOne removed: [Int], filters: [Int], remove: Bool) -> EvaluationResult {
        let current = layerOneState(removed, withTerms: !filters.isEmpty)
        let n = imageCount, hidden = fc1.outFeatures, mid = fc2.outFeatures, classes = fc3.outFeatures
        let termsArray = (remove ? current.removeTerms : current.separateTerms) ?? []
        let sign: Float = remove ? -1 : 1
        var logits = Tensor(shape: [n, classes])
        current.hidden.withUnsafeBufferPointer { hBuf in
            termsArray.withUnsafeBufferPointer { qBuf in
                fc2.weight.value.data.withUnsafeBufferPointer { w2Buf in
                    fc3.weight.value.data.withUnsafeBufferPointer { w3Buf in
                        logits.data.withUnsafeMutableBufferPointer { lBuf in
                            guard let h = hBuf.baseAddress, let w2 = w2Buf.baseAddress, let w3 = w3Buf.baseAddress,
                                let l = lBuf.baseAddress
                            else { return }
                            let q = qBuf.baseAddress
                            nonisolated(unsafe) let out = l
                            let b2 = fc2.bias.value.data, b3 = fc3.bias.value.data
                            Parallelism.forEachChunk(n, minimumChunk: 256) { _, range in
                                // Tiles small enough that the sums, activations and both GEMMs stay in cache.
                                let tile = min(Self.tileRows, range.count)
                                var a = [Float](repeating: 0, count: tile * hidden)
                                var m = [Float](repeating: 0, count: tile * mid)
                                a.withUnsafeMutableBufferPointer { aBuf in
                                    m.withUnsafeMutableBufferPointer { mBuf in
                                        guard let ap = aBuf.baseAddress, let mp = mBuf.baseAddress else { return }
                                        var first = range.lowerBound
                                        while first < range.upperBound {
                                            let rows = min(tile, range.upperBound - first), count = rows * hidden
                                            ap.update(from: h + first * hidden, count: count)
                                            if let q {
                                                for filter in filters {
                                                    let block = q + (filter * n + first) * hidden
                                                    for e in 0..<count { ap[e] += sign * block[e] }
                                                }
                                            }
                                            for e in 0..<count where ap[e] < 0 { ap[e] = 0 }
                                            for r in 0..<rows { (mp + r * mid).update(from: b2, count: mid) }
                                            sgemm(
                                                transposeA: false, transposeB: true, m: rows, n: mid, k: hidden,
                                                a: ap, lda: hidden, b: w2, ldb: hidden, beta: 1, c: mp, ldc: mid)
                                            for e in 0..<(rows * mid) where mp[e] < 0 { mp[e] = 0 }
                                            let lp = out + first * classes
                                            for r in 0..<rows { (lp + r * classes).update(from: b3, count: classes) }
                                            sgemm(
                                                transposeA: false, transposeB: true, m: rows, n: classes, k: mid,
                                                a: mp, lda: mid, b: w3, ldb: mid, beta: 1, c: lp, ldc: classes)
                                            first += rows
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Evaluation.score(logits: logits, labels: labels, topK: topK)
    }
}

/// Picks the fastest exact evaluator for a model.
public enum SelectionEvaluators {
    /// ``LeNetSelectionEvaluator`` for the LeNet-5 networks, else ``ModelSelectionEvaluator`` (cached conv1).
    ///
    /// - Parameters:
    ///   - model: a trained model.
    ///   - images: the evaluation images.
    ///   - labels: their labels.
    /// - Returns: the evaluator.
    /// - Throws: ``NNError/datasetMismatch(_:)`` when the images or labels do not fit the model.
    public static func make(model: Model, images: Tensor, labels: [Int]) throws -> any SelectionEvaluator {
        switch model.architecture {
        case .lenet5MNIST, .lenet5EMNIST: try LeNetSelectionEvaluator(model: model, images: images, labels: labels)
        default: try ModelSelectionEvaluator(model: model, images: images, labels: labels)
        }
    }
}
