/// A 2-D convolution (PyTorch `nn.Conv2d`, square kernel, zero padding), computed as im2col + SGEMM.
///
/// Two optional masks serve PrivDNN's filter experiments (spec §5): ``outputMask`` scales output channels after
/// the bias ("remove" zeroes encrypted filters), and ``weightMask`` multiplies the weights elementwise
/// ("separate" cuts plaintext filters off from encrypted inputs). Both also mask the gradients.
public final class Conv2d: Layer {
    /// Input channels.
    public let inChannels: Int
    /// Output channels (filters).
    public let outChannels: Int
    /// Kernel height and width.
    public let kernelSize: Int
    /// Step between windows.
    public let stride: Int
    /// Zero padding on each side.
    public let padding: Int
    /// `[out, in, k, k]`.
    public let weight: Parameter
    /// `[out]`, or `nil` for a bias-free conv.
    public let bias: Parameter?
    /// Per-output-channel multipliers applied after the bias, or `nil` for none.
    public var outputMask: [Float]? {
        didSet { precondition(outputMask.map { $0.count == outChannels } ?? true, "outputMask length") }
    }
    /// Elementwise multipliers of ``weight`` (same count), or `nil` for none.
    public var weightMask: [Float]? {
        didSet { precondition(weightMask.map { $0.count == weight.value.count } ?? true, "weightMask length") }
    }
    /// Whether ``backward(_:)`` computes dLoss/dInput; the first layer of a network skips it (returns zeros).
    public var computesInputGradient = true
    private var cachedInput: Tensor?
    /// Per-chunk scratch: 0 columns, 1 GEMM result / gathered dY, 2 column gradient.
    private let scratch = WorkspaceSet(roles: 3)

    /// Creates the layer with PyTorch's default initialisation: weights and bias uniform in ±1/√fan_in.
    /// - Parameters:
    ///   - inChannels: input channels.
    ///   - outChannels: filters.
    ///   - kernelSize: kernel side.
    ///   - stride: window step.
    ///   - padding: zero padding per side.
    ///   - bias: whether the layer has a bias.
    ///   - generator: the seeded stream to draw the initial weights from.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, generator: inout Xoshiro256
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inChannels * kernelSize * kernelSize
        let bound = 1 / Float(fanIn).squareRoot()
        let w = (0..<(outChannels * fanIn)).map { _ in generator.nextSymmetric(bound) }
        weight = Parameter(Tensor(shape: [outChannels, inChannels, kernelSize, kernelSize], data: w))
        self.bias =
            bias
            ? Parameter(
                Tensor(shape: [outChannels], data: (0..<outChannels).map { _ in generator.nextSymmetric(bound) })) : nil
    }

    /// `weight` and (if present) `bias`.
    public var namedParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    func geometry(_ shape: [Int]) -> ConvGeometry {
        ConvGeometry(
            channels: shape[1], height: shape[2], width: shape[3], kernel: kernelSize, stride: stride,
            padding: padding)
    }

    /// `[N, outChannels, H', W']` for a fitting `[N, inChannels, H, W]`.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the output shape, or `nil`.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        guard inputShape.count == 4, inputShape[1] == inChannels,
            inputShape[2] + 2 * padding >= kernelSize, inputShape[3] + 2 * padding >= kernelSize
        else { return nil }
        let g = geometry(inputShape)
        return [inputShape[0], outChannels, g.outHeight, g.outWidth]
    }

    /// The weights actually used: ``weight`` times ``weightMask``.
    var effectiveWeight: [Float] {
        guard let mask = weightMask else { return weight.value.data }
        return zip(weight.value.data, mask).map { $0 * $1 }
    }

    /// Images per GEMM so the column buffer stays near 128 Ki floats (512 KiB) per worker: im2col writes and the
    /// GEMM reads then stay in the core's L2 instead of streaming a 25× blown-up copy through memory.
    func imagesPerBlock(_ g: ConvGeometry) -> Int {
        max(1, (1 << 17) / max(1, g.patch * g.outPixels))
    }

    /// Convolves the batch.
    /// - Parameters:
    ///   - input: `[N, inChannels, H, W]`.
    ///   - training: caches the input for ``backward(_:)`` when `true`.
    /// - Returns: `[N, outChannels, H', W']`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let outShape = outputShape(input.shape) else {
            preconditionFailure("Conv2d(\(inChannels)→\(outChannels)) cannot take input \(input.shape)")
        }
        if training { cachedInput = input }
        let g = geometry(input.shape)
        let n = input.shape[0], pixels = g.outPixels, cout = outChannels
        var output = Tensor(shape: outShape)
        let w = effectiveWeight
        let b = bias?.value.data ?? [Float](repeating: 0, count: cout)
        let scale = outputMask ?? [Float](repeating: 1, count: cout)
        let chunks = Parallelism.chunkCount(n)
        let maxImages = min(imagesPerBlock(g), (n + chunks - 1) / chunks)
        let cols = scratch.reserve(role: 0, chunks: chunks, count: g.patch * maxImages * pixels)
        let results = scratch.reserve(role: 1, chunks: chunks, count: cout * maxImages * pixels)
        input.data.withUnsafeBufferPointer { xBuf in
            output.data.withUnsafeMutableBufferPointer { yBuf in
                w.withUnsafeBufferPointer { wBuf in
                    guard let x = xBuf.baseAddress, let y = yBuf.baseAddress, let wp = wBuf.baseAddress else { return }
                    Parallelism.forEachChunk(n) { chunk, range in
                        let cp = cols[chunk], rp = results[chunk]
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let images = min(maxImages, range.upperBound - start)
                            let columns = images * pixels
                            g.im2col(x + start * g.channels * g.inPixels, images: images, into: cp)
                            sgemm(
                                transposeA: false, transposeB: false, m: cout, n: columns, k: g.patch,
                                a: wp, lda: g.patch, b: cp, ldb: columns, beta: 0, c: rp, ldc: columns)
                            for i in 0..<images {
                                for co in 0..<cout {
                                    let src = rp + co * columns + i * pixels
                                    let dst = y + ((start + i) * cout + co) * pixels
                                    let bc = b[co], sc = scale[co]
                                    for p in 0..<pixels { dst[p] = (src[p] + bc) * sc }
                                }
                            }
                            start += images
                        }
                    }
                }
            }
        }
        return output
    }

    /// Back-propagates through the last training-mode forward, accumulating `weight.grad` and `bias.grad`.
    /// - Parameter gradOutput: `[N, outChannels, H', W']`.
    /// - Returns: `[N, inChannels, H, W]`.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("Conv2d.backward without a training forward") }
        let g = geometry(input.shape)
        let n = input.shape[0], pixels = g.outPixels, cout = outChannels, patch = g.patch
        var gradInput = Tensor(shape: input.shape)
        let w = effectiveWeight
        let scale = outputMask ?? [Float](repeating: 1, count: cout)
        let chunks = Parallelism.chunkCount(n)
        var dW = [Float](repeating: 0, count: chunks * cout * patch)
        var dB = [Float](repeating: 0, count: chunks * cout)
        let maxImages = min(imagesPerBlock(g), (n + chunks - 1) / chunks)
        let cols = scratch.reserve(role: 0, chunks: chunks, count: patch * maxImages * pixels)
        let gathered = scratch.reserve(role: 1, chunks: chunks, count: cout * maxImages * pixels)
        let columnGradients = scratch.reserve(
            role: 2, chunks: chunks, count: computesInputGradient ? patch * maxImages * pixels : 1)
        input.data.withUnsafeBufferPointer { xBuf in
            gradOutput.data.withUnsafeBufferPointer { dyBuf in
                gradInput.data.withUnsafeMutableBufferPointer { dxBuf in
                    w.withUnsafeBufferPointer { wBuf in
                        dW.withUnsafeMutableBufferPointer { dWBuf in
                            dB.withUnsafeMutableBufferPointer { dBBuf in
                                guard let x = xBuf.baseAddress, let dy = dyBuf.baseAddress,
                                    let dx = dxBuf.baseAddress, let wp = wBuf.baseAddress,
                                    let dWAll = dWBuf.baseAddress, let dBAll = dBBuf.baseAddress
                                else { return }
                                Parallelism.forEachChunk(n) { chunk, range in
                                    let dWp = dWAll + chunk * cout * patch
                                    let dBp = dBAll + chunk * cout
                                    let cp = cols[chunk], dcp = columnGradients[chunk], gp = gathered[chunk]
                                    var start = range.lowerBound
                                    while start < range.upperBound {
                                        let images = min(maxImages, range.upperBound - start)
                                        let columns = images * pixels
                                        // Gather dY (masked) into [cout, images·pixels].
                                        for i in 0..<images {
                                            for co in 0..<cout {
                                                let src = dy + ((start + i) * cout + co) * pixels
                                                let dst = gp + co * columns + i * pixels
                                                let sc = scale[co]
                                                var sum: Float = 0
                                                for p in 0..<pixels {
                                                    let v = src[p] * sc
                                                    dst[p] = v
                                                    sum += v
                                                }
                                                dBp[co] += sum
                                            }
                                        }
                                        g.im2col(x + start * g.channels * g.inPixels, images: images, into: cp)
                                        sgemm(
                                            transposeA: false, transposeB: true, m: cout, n: patch,
                                            k: columns, a: gp, lda: columns, b: cp, ldb: columns,
                                            beta: 1, c: dWp, ldc: patch)
                                        if computesInputGradient {
                                            sgemm(
                                                transposeA: true, transposeB: false, m: patch,
                                                n: columns, k: cout, a: wp, lda: patch, b: gp,
                                                ldb: columns, beta: 0, c: dcp, ldc: columns)
                                            g.col2im(
                                                dcp, images: images, into: dx + start * g.channels * g.inPixels)
                                        }
                                        start += images
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let count = cout * patch
        for c in 0..<chunks {
            for i in 0..<count { weight.grad.data[i] += dW[c * count + i] * (weightMask?[i] ?? 1) }
            if let bias {
                for co in 0..<cout { bias.grad.data[co] += dB[c * cout + co] }
            }
        }
        return gradInput
    }
}
