/// One independent single-channel convolution per channel, without bias (a depthwise conv).
///
/// PrivDNN's VGG16-CIFAR10 wraps each conv2 output channel in its own 1→1 3×3 "obscure" conv (spec §3.4,
/// `conv2_obscure`); each channel's kernel is its own parameter, saved as `<i>.weight` with shape `[1, 1, k, k]`
/// exactly like the original's list of `nn.Conv2d(1, 1, k)` modules.
public final class DepthwiseConv2d: Layer {
    /// Channels (one kernel each).
    public let channels: Int
    /// Kernel side.
    public let kernelSize: Int
    /// Zero padding per side (stride is 1).
    public let padding: Int
    /// The per-channel kernels, each `[1, 1, k, k]`.
    public let kernels: [Parameter]
    private var cachedInput: Tensor?

    /// Creates the layer with PyTorch's default initialisation for `Conv2d(1, 1, k)` (uniform in ±1/k).
    /// - Parameters:
    ///   - channels: channel count.
    ///   - kernelSize: kernel side.
    ///   - padding: zero padding per side.
    ///   - generator: the seeded stream for the initial kernels.
    public init(_ channels: Int, kernelSize: Int, padding: Int, generator: inout Xoshiro256) {
        self.channels = channels
        self.kernelSize = kernelSize
        self.padding = padding
        let taps = kernelSize * kernelSize, bound = 1 / Float(taps).squareRoot()
        kernels = (0..<channels).map { _ in
            Parameter(
                Tensor(
                    shape: [1, 1, kernelSize, kernelSize], data: (0..<taps).map { _ in generator.nextSymmetric(bound) })
            )
        }
    }

    /// `0.weight`, `1.weight`, ...
    public var namedParameters: [(String, Parameter)] {
        kernels.enumerated().map { ("\($0.offset).weight", $0.element) }
    }

    /// `[N, C, H', W']` for `[N, C, H, W]`.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the output shape, or `nil`.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        guard inputShape.count == 4, inputShape[1] == channels,
            inputShape[2] + 2 * padding >= kernelSize, inputShape[3] + 2 * padding >= kernelSize
        else { return nil }
        return [
            inputShape[0], channels, inputShape[2] + 2 * padding - kernelSize + 1,
            inputShape[3] + 2 * padding - kernelSize + 1,
        ]
    }

    /// Convolves each channel with its own kernel.
    /// - Parameters:
    ///   - input: `[N, C, H, W]`.
    ///   - training: caches the input when `true`.
    /// - Returns: `[N, C, H', W']`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let shape = outputShape(input.shape) else { preconditionFailure("DepthwiseConv2d input \(input.shape)") }
        if training { cachedInput = input }
        var output = Tensor(shape: shape)
        let h = input.shape[2], w = input.shape[3], oh = shape[2], ow = shape[3], k = kernelSize, pad = padding
        let planes = shape[0] * channels
        let weights = kernels.map(\.value.data)
        input.data.withUnsafeBufferPointer { xBuf in
            output.data.withUnsafeMutableBufferPointer { yBuf in
                guard let x = xBuf.baseAddress, let y = yBuf.baseAddress else { return }
                Parallelism.forEachChunk(planes, minimumChunk: 16) { _, range in
                    for plane in range {
                        let kw = weights[plane % channels]
                        let src = x + plane * h * w, dst = y + plane * oh * ow
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                var sum: Float = 0
                                for i in 0..<k {
                                    let iy = oy - pad + i
                                    if iy < 0 || iy >= h { continue }
                                    for j in 0..<k {
                                        let ix = ox - pad + j
                                        if ix >= 0 && ix < w { sum += kw[i * k + j] * src[iy * w + ix] }
                                    }
                                }
                                dst[oy * ow + ox] = sum
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Back-propagates, accumulating each kernel's gradient.
    /// - Parameter gradOutput: `[N, C, H', W']`.
    /// - Returns: `[N, C, H, W]`.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("DepthwiseConv2d.backward without a forward") }
        var gradInput = Tensor(shape: input.shape)
        let h = input.shape[2], w = input.shape[3], oh = gradOutput.shape[2], ow = gradOutput.shape[3]
        let k = kernelSize, pad = padding
        for plane in 0..<(input.shape[0] * channels) {
            let c = plane % channels
            let kw = kernels[c].value.data
            var dk = [Float](repeating: 0, count: k * k)
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let g = gradOutput.data[(plane * oh + oy) * ow + ox]
                    if g == 0 { continue }
                    for i in 0..<k {
                        let iy = oy - pad + i
                        if iy < 0 || iy >= h { continue }
                        for j in 0..<k {
                            let ix = ox - pad + j
                            if ix < 0 || ix >= w { continue }
                            let at = plane * h * w + iy * w + ix
                            dk[i * k + j] += g * input.data[at]
                            gradInput.data[at] += g * kw[i * k + j]
                        }
                    }
                }
            }
            for t in 0..<(k * k) { kernels[c].grad.data[t] += dk[t] }
        }
        return gradInput
    }
}
