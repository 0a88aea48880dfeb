/// Per-channel batch normalisation over `N·H·W` (PyTorch `nn.BatchNorm2d`, eps 1e-5, momentum 0.1).
///
/// Training normalises with the batch's biased variance and updates the running statistics with the unbiased
/// one; evaluation uses the running statistics.
public final class BatchNorm2d: Layer {
    /// Channels.
    public let channels: Int
    /// Added to the variance.
    public let eps: Float
    /// Weight of the newest batch in the running statistics.
    public let momentum: Float
    /// γ, `[C]`, initially 1.
    public let weight: Parameter
    /// β, `[C]`, initially 0.
    public let bias: Parameter
    /// Running mean, `[C]`, initially 0.
    public let runningMean: Parameter
    /// Running (unbiased) variance, `[C]`, initially 1.
    public let runningVar: Parameter
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private var cachedShape: [Int] = []

    /// Creates the layer in its PyTorch initial state.
    /// - Parameters:
    ///   - channels: the channel count.
    ///   - eps: variance epsilon.
    ///   - momentum: running-statistics momentum.
    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(shape: [channels]))
        runningMean = Parameter(Tensor(shape: [channels]))
        runningVar = Parameter(Tensor(shape: [channels], repeating: 1))
    }

    /// `weight` and `bias`.
    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    /// `running_mean` and `running_var`.
    public var namedBuffers: [(String, Parameter)] { [("running_mean", runningMean), ("running_var", runningVar)] }

    /// The input shape if it has `channels` channels.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the same shape, or `nil`.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        inputShape.count == 4 && inputShape[1] == channels ? inputShape : nil
    }

    /// Normalises, scales and shifts each channel.
    /// - Parameters:
    ///   - input: `[N, C, H, W]`.
    ///   - training: batch statistics (and running-statistics update) when `true`.
    /// - Returns: the normalised batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard outputShape(input.shape) != nil else { preconditionFailure("BatchNorm2d input \(input.shape)") }
        let n = input.shape[0], c = channels, hw = input.shape[2] * input.shape[3]
        var output = Tensor(shape: input.shape)
        var mean = runningMean.value.data, variance = runningVar.value.data
        if training {
            let m = Double(n * hw)
            for ch in 0..<c {
                var sum = 0.0, sq = 0.0
                for i in 0..<n {
                    let base = (i * c + ch) * hw
                    for p in 0..<hw {
                        let v = Double(input.data[base + p])
                        sum += v
                        sq += v * v
                    }
                }
                let mu = sum / m
                let biased = max(0, sq / m - mu * mu)
                mean[ch] = Float(mu)
                variance[ch] = Float(biased)
                let unbiased = m > 1 ? biased * m / (m - 1) : biased
                runningMean.value.data[ch] = (1 - momentum) * runningMean.value.data[ch] + momentum * Float(mu)
                runningVar.value.data[ch] = (1 - momentum) * runningVar.value.data[ch] + momentum * Float(unbiased)
            }
            normalized = [Float](repeating: 0, count: input.count)
            cachedShape = input.shape
        }
        let invStd = variance.map { 1 / ($0 + eps).squareRoot() }
        if training { inverseStd = invStd }
        for i in 0..<n {
            for ch in 0..<c {
                let base = (i * c + ch) * hw
                let mu = mean[ch], s = invStd[ch], g = weight.value.data[ch], b = bias.value.data[ch]
                for p in 0..<hw {
                    let xhat = (input.data[base + p] - mu) * s
                    if training { normalized[base + p] = xhat }
                    output.data[base + p] = xhat * g + b
                }
            }
        }
        return output
    }

    /// Back-propagates through batch statistics, accumulating γ and β gradients.
    /// - Parameter gradOutput: `[N, C, H, W]`.
    /// - Returns: `[N, C, H, W]`.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        let n = cachedShape[0], c = channels, hw = cachedShape[2] * cachedShape[3]
        let m = Float(n * hw)
        var gradInput = Tensor(shape: cachedShape)
        for ch in 0..<c {
            var sumG: Float = 0, sumGX: Float = 0
            for i in 0..<n {
                let base = (i * c + ch) * hw
                for p in 0..<hw {
                    let g = gradOutput.data[base + p]
                    sumG += g
                    sumGX += g * normalized[base + p]
                }
            }
            weight.grad.data[ch] += sumGX
            bias.grad.data[ch] += sumG
            let k = weight.value.data[ch] * inverseStd[ch] / m
            for i in 0..<n {
                let base = (i * c + ch) * hw
                for p in 0..<hw {
                    gradInput.data[base + p] =
                        k * (m * gradOutput.data[base + p] - sumG - normalized[base + p] * sumGX)
                }
            }
        }
        return gradInput
    }
}
