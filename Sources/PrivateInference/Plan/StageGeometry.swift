import NN

/// One convolution of the encrypted part as the engine runs it: a `window`×`window` kernel with `stride` over a
/// zero-padded source plane of side `side`, giving `outputSide`² outputs.
///
/// The source plane is what the engine encodes or holds: for a conv followed by 2×2 average pooling it is the
/// plane of 2×2 means of the padded input (box form, stride 2, the conv's own k×k kernel) when the input is in the
/// clear, and the padded input itself with the (k+1)×(k+1) kernel ¼·(w ⋆ box) (wide form, stride 2) when it is
/// encrypted (means of ciphertexts would cost additions); an unpooled conv is its k×k kernel with stride 1 over the
/// padded input. Horizontally adjacent taps are paired into one complex product (``pairStarts``).
struct ConvStage: Sendable, Equatable {
    /// Side of the (padded) source plane.
    var side: Int
    /// Kernel side on the source plane.
    var window: Int
    /// 2 after a pool (box and wide forms), else 1.
    var stride: Int
    /// Zero rows and columns around the unpadded input (the source plane's first `padding` rows are zero; for
    /// the means plane, the means that reach into them are partial).
    var padding: Int

    /// Outputs per row and column.
    var outputSide: Int { (side - window) / stride + 1 }
    /// Complex taps per kernel row: taps 2t and 2t + 1 share one product.
    var pairedTapsPerRow: Int { (window + 1) / 2 }
    /// Complex taps per kernel.
    var pairedTaps: Int { window * pairedTapsPerRow }

    /// The source columns where a pair (column c and c + 1) starts for some output: stride·x + 2t, within the plane.
    ///
    /// With stride 2 they are the even columns, so each source value is in exactly one pair.
    var pairStarts: [Int] {
        Array(
            Set((0..<outputSide).flatMap { x in (0..<pairedTapsPerRow).map { stride * x + 2 * $0 } }).filter {
                $0 < side
            }
        )
        .sorted()
    }

    /// Position of each source column in ``pairStarts`` (−1 where no pair starts).
    var pairIndex: [Int] {
        var index = [Int](repeating: -1, count: side)
        for (i, c) in pairStarts.enumerated() { index[c] = i }
        return index
    }
}

/// The shapes of the encrypted part of a network (conv1 → [BN] → [2×2 average pool] → square → conv2 → [pool]),
/// known to both parties: everything the engine's loops and the request's layout depend on.
struct StageGeometry: Sendable, Equatable {
    /// Input channels and side.
    var inputChannels: Int
    var inputSide: Int
    var conv1Channels: Int
    var conv1Kernel: Int
    var conv1Padding: Int
    /// A 2×2 average pool follows conv1.
    var conv1Pooled: Bool
    var conv2Channels: Int
    var conv2Kernel: Int
    var conv2Padding: Int
    /// A 2×2 average pool follows conv2 (LeNet-5: part of the encrypted result).
    var conv2Pooled: Bool

    /// conv1 over the encoded input (box form after a pool).
    var conv1: ConvStage {
        conv1Pooled
            ? ConvStage(side: inputSide + 2 * conv1Padding - 1, window: conv1Kernel, stride: 2, padding: conv1Padding)
            : ConvStage(side: inputSide + 2 * conv1Padding, window: conv1Kernel, stride: 1, padding: conv1Padding)
    }
    /// Side of conv1's (pooled) output, the activation plane.
    var conv1Side: Int { conv1.outputSide }
    /// conv2 over an encrypted channel's squares (wide form after a pool).
    var conv2Cipher: ConvStage {
        ConvStage(
            side: conv1Side + 2 * conv2Padding, window: conv2Pooled ? conv2Kernel + 1 : conv2Kernel,
            stride: conv2Pooled ? 2 : 1, padding: conv2Padding)
    }
    /// conv2 over a plaintext channel's activations (box form after a pool).
    var conv2Plain: ConvStage {
        conv2Pooled
            ? ConvStage(side: conv1Side + 2 * conv2Padding - 1, window: conv2Kernel, stride: 2, padding: conv2Padding)
            : ConvStage(side: conv1Side + 2 * conv2Padding, window: conv2Kernel, stride: 1, padding: conv2Padding)
    }
    /// Side of conv2's (pooled) output.
    var conv2Side: Int { conv2Cipher.outputSide }
    /// Encrypted results per conv2 filter.
    var positions: Int { conv2Side * conv2Side }
    /// conv1 taps per filter (every input channel), then the bias.
    var conv1Taps: Int { inputChannels * conv1Kernel * conv1Kernel }
    /// The input shift (the normalization's mean) is folded into conv1's bias when conv1 has no padding: the encoded
    /// values are then the raw bytes, and positions that are zero in every image are skipped.
    ///
    /// With padding, the shift is applied to the encoded values, so that padding stays zero as in the model.
    var foldsInputShift: Bool { conv1Padding == 0 }
    /// The squares can be streamed into conv2 row by row, each row's columns paired within a column block, when
    /// conv2's pairs start on even columns of an unpadded plane (stride 2, no padding).
    var pairsAlignWithEvenColumns: Bool { conv2Pooled && conv2Padding == 0 }

    /// The geometry of a model's encrypted part.
    /// - Throws: ``InferenceError/unsupportedModel(_:)`` when the layers around conv1/conv2 are not conv1 →
    ///   [BatchNorm] → [2×2 average pool] → Square and conv2 with stride 1.
    init(model: Model) throws {
        let structure = try EncryptedStructure(model)
        let c1 = model.conv1, c2 = model.conv2
        inputChannels = c1.inChannels
        inputSide = model.inputShape[1]
        conv1Channels = c1.outChannels
        conv1Kernel = c1.kernelSize
        conv1Padding = c1.padding
        conv1Pooled = structure.conv1Pooled
        conv2Channels = c2.outChannels
        conv2Kernel = c2.kernelSize
        conv2Padding = c2.padding
        conv2Pooled = structure.conv2Pooled
    }
}

/// Where the encrypted part sits in a model's layer graph.
struct EncryptedStructure {
    /// conv1's batch norm (folded into conv1), if any.
    let conv1Norm: BatchNorm2d?
    /// A 2×2 average pool follows conv1.
    let conv1Pooled: Bool
    /// The index of the Square after conv1 in the top-level network.
    let squareIndex: Int
    /// A 2×2 average pool follows conv2.
    let conv2Pooled: Bool
    /// conv2's place: top-level index, or the index of its residual block and its index in the main branch.
    let conv2Place: (top: Int, inMain: Int?)
    /// A residual shortcut after conv2 reads conv1's result (the activations entering conv2).
    var readsConv1Result: Bool { conv2Place.inMain != nil }

    init(_ model: Model) throws {
        let entries = model.network.entries
        let c1 = model.conv1, c2 = model.conv2
        guard c1.stride == 1, c2.stride == 1, entries.first?.layer === c1 else {
            throw InferenceError.unsupportedModel("conv1 and conv2 must be stride-1 convolutions, conv1 first")
        }
        var i = 1
        var norm: BatchNorm2d?
        if i < entries.count, let bn = entries[i].layer as? BatchNorm2d {
            norm = bn
            i += 1
        }
        var pooled = false
        if i < entries.count, let pool = entries[i].layer as? AvgPool2d, pool.kernelSize == 2, pool.stride == 2 {
            pooled = true
            i += 1
        }
        guard i < entries.count, entries[i].layer is Square else {
            throw InferenceError.unsupportedModel(
                "\(model.architecture.rawValue): conv1 must be followed by [batch norm] [2×2 average pool] and a square"
            )
        }
        conv1Norm = norm
        conv1Pooled = pooled
        squareIndex = i
        func poolFollows(_ list: [(name: String?, layer: any Layer)], _ at: Int) -> Bool {
            guard at + 1 < list.count, let pool = list[at + 1].layer as? AvgPool2d else { return false }
            return pool.kernelSize == 2 && pool.stride == 2
        }
        if let top = entries.firstIndex(where: { $0.layer === c2 }) {
            guard top == i + 1 else {
                throw InferenceError.unsupportedModel("conv2 must follow conv1's square")
            }
            conv2Place = (top, nil)
            conv2Pooled = poolFollows(entries, top)
        } else if i + 1 < entries.count, let block = entries[i + 1].layer as? Residual,
            let inner = block.main.entries.firstIndex(where: { $0.layer === c2 }), inner == 0
        {
            conv2Place = (i + 1, inner)
            conv2Pooled = poolFollows(block.main.entries, inner)
        } else {
            throw InferenceError.unsupportedModel(
                "conv2 must follow conv1's square (or open the residual block after it)")
        }
    }
}

extension EncryptedStructure {
    /// conv2 (and the pool after it, if any) of `model` on the activations: the plaintext filters' outputs.
    func conv2(_ model: Model, _ activations: Tensor) -> Tensor {
        let out = model.conv2.forward(activations, training: false)
        return conv2Pooled ? AvgPool2d(2).forward(out, training: false) : out
    }

    /// The rest of the network from conv2's (pooled) outputs: the layers after conv2 (and its pool); for conv2 at
    /// the head of a residual block, the rest of its main branch, plus its shortcut on the conv1 result, then the
    /// layers after the block.
    /// - Parameters:
    ///   - model: the plaintext model.
    ///   - outputs: conv2's (pooled) outputs, NCHW.
    ///   - conv1Result: the activations entering conv2 with every channel filled in (the encrypted ones
    ///     decrypted), needed by a residual block's shortcut.
    /// - Returns: the network's logits.
    /// - Throws: ``InferenceError/invalidArgument(_:)`` when a shortcut needs the conv1 result and it is missing.
    func finish(_ model: Model, conv2 outputs: Tensor, conv1Result: Tensor?) throws -> Tensor {
        let network = model.network
        let skip = conv2Pooled ? 2 : 1
        guard let inner = conv2Place.inMain, let block = network.entries[conv2Place.top].layer as? Residual else {
            return network.forward(outputs, from: conv2Place.top + skip, training: false)
        }
        var y = block.main.forward(outputs, from: inner + skip, training: false)
        guard let conv1Result else {
            throw InferenceError.invalidArgument("the residual block after conv2 needs the decrypted conv1 result")
        }
        let s = block.shortcut?.forward(conv1Result, training: false) ?? conv1Result
        guard s.shape == y.shape else {
            throw InferenceError.invalidArgument("internal: residual branches disagree: \(y.shape) vs \(s.shape)")
        }
        for i in y.data.indices { y.data[i] += s.data[i] }
        if block.reluAfterAdd { for i in y.data.indices { y.data[i] = max(0, y.data[i]) } }
        return network.forward(y, from: conv2Place.top + 1, training: false)
    }
}

extension Normalization {
    /// Channel c's mean (one value broadcast to every channel).
    func mean(_ c: Int) -> Double { mean.isEmpty ? 0 : Double(mean[min(c, mean.count - 1)]) }
    /// Channel c's standard deviation (one value broadcast to every channel).
    func std(_ c: Int) -> Double { std.isEmpty ? 1 : Double(std[min(c, std.count - 1)]) }
}
