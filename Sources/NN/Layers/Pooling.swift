/// Average pooling over square windows without padding (PyTorch `nn.AvgPool2d(k)`, stride defaults to k).
public final class AvgPool2d: PoolingLayer {
    /// Window side.
    public let kernelSize: Int
    /// Window step.
    public let stride: Int
    private var cachedShape: [Int] = []

    /// Creates the pool.
    /// - Parameters:
    ///   - kernelSize: window side.
    ///   - stride: window step; `nil` means `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    /// Averages each window.
    /// - Parameters:
    ///   - input: `[N, C, H, W]`.
    ///   - training: remembers the input shape when `true`.
    /// - Returns: the pooled batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let shape = outputShape(input.shape) else { preconditionFailure("AvgPool2d input \(input.shape)") }
        if training { cachedShape = input.shape }
        var output = Tensor(shape: shape)
        let k = kernelSize, s = stride, h = input.shape[2], w = input.shape[3], oh = shape[2], ow = shape[3]
        let planes = shape[0] * shape[1], inv = 1 / Float(k * k)
        input.data.withUnsafeBufferPointer { xBuf in
            output.data.withUnsafeMutableBufferPointer { yBuf in
                guard let x = xBuf.baseAddress, let y = yBuf.baseAddress else { return }
                Parallelism.forEachChunk(planes, minimumChunk: 64) { _, range in
                    for plane in range {
                        let src = x + plane * h * w, dst = y + plane * oh * ow
                        if k == 2 && s == 2 {
                            // PrivDNN's 2×2 pools: two row pointers, no inner window loops.
                            for oy in 0..<oh {
                                let top = src + 2 * oy * w, bottom = top + w, out = dst + oy * ow
                                for ox in 0..<ow {
                                    out[ox] =
                                        (top[2 * ox] + top[2 * ox + 1] + bottom[2 * ox] + bottom[2 * ox + 1]) * 0.25
                                }
                            }
                            continue
                        }
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                var sum: Float = 0
                                for i in 0..<k {
                                    let row = src + (oy * s + i) * w + ox * s
                                    for j in 0..<k { sum += row[j] }
                                }
                                dst[oy * ow + ox] = sum * inv
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Spreads each output gradient evenly over its window.
    /// - Parameter gradOutput: the pooled-shape gradient.
    /// - Returns: the input-shape gradient.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        var gradInput = Tensor(shape: cachedShape)
        let k = kernelSize, s = stride, h = cachedShape[2], w = cachedShape[3]
        let oh = gradOutput.shape[2], ow = gradOutput.shape[3], planes = gradOutput.shape[0] * gradOutput.shape[1]
        let inv = 1 / Float(k * k)
        gradOutput.data.withUnsafeBufferPointer { gBuf in
            gradInput.data.withUnsafeMutableBufferPointer { dxBuf in
                guard let gp = gBuf.baseAddress, let dx = dxBuf.baseAddress else { return }
                // Planes are disjoint in the input gradient even when windows overlap within a plane.
                Parallelism.forEachChunk(planes, minimumChunk: 64) { _, range in
                    for plane in range {
                        let src = gp + plane * oh * ow, dst = dx + plane * h * w
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                let g = src[oy * ow + ox] * inv
                                for i in 0..<k {
                                    let row = dst + (oy * s + i) * w + ox * s
                                    for j in 0..<k { row[j] += g }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}

/// Max pooling over square windows without padding (PyTorch `nn.MaxPool2d(k)`, stride defaults to k).
public final class MaxPool2d: PoolingLayer {
    /// The window (side and step).
    public let window: (kernelSize: Int, stride: Int)
    /// Window side.
    public var kernelSize: Int { window.kernelSize }
    /// Window step.
    public var stride: Int { window.stride }
    private var cachedShape: [Int] = []
    private var argmax: [Int32] = []

    /// Creates the pool.
    /// - Parameters:
    ///   - kernelSize: window side.
    ///   - stride: window step; `nil` means `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil) {
        window = (kernelSize, stride ?? kernelSize)
    }

    /// Takes each window's maximum (the first one on ties).
    /// - Parameters:
    ///   - input: `[N, C, H, W]`.
    ///   - training: remembers where each maximum came from when `true`.
    /// - Returns: the pooled batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let shape = outputShape(input.shape) else { preconditionFailure("MaxPool2d input \(input.shape)") }
        var output = Tensor(shape: shape)
        var where_ = [Int32](repeating: 0, count: training ? output.count : 0)
        let k = kernelSize, s = stride, h = input.shape[2], w = input.shape[3], oh = shape[2], ow = shape[3]
        let planes = shape[0] * shape[1]
        input.data.withUnsafeBufferPointer { xBuf in
            output.data.withUnsafeMutableBufferPointer { yBuf in
                where_.withUnsafeMutableBufferPointer { aBuf in
                    guard let x = xBuf.baseAddress, let y = yBuf.baseAddress else { return }
                    // An empty array may still hand out a (shared) base address: only record in training.
                    let a = training ? aBuf.baseAddress : nil
                    Parallelism.forEachChunk(planes, minimumChunk: 64) { _, range in
                        for plane in range {
                            let src = x + plane * h * w
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    var best = -Float.infinity
                                    var at = 0
                                    for i in 0..<k {
                                        for j in 0..<k {
                                            let idx = (oy * s + i) * w + ox * s + j
                                            if src[idx] > best || (i == 0 && j == 0) {
                                                best = src[idx]
                                                at = idx
                                            }
                                        }
                                    }
                                    let o = (plane * oh + oy) * ow + ox
                                    y[o] = best
                                    a?[o] = Int32(at)
                                }
                            }
                        }
                    }
                }
            }
        }
        if training {
            cachedShape = input.shape
            argmax = where_
        }
        return output
    }

    /// Routes each output gradient to its window's maximum.
    /// - Parameter gradOutput: the pooled-shape gradient.
    /// - Returns: the input-shape gradient.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        var gradInput = Tensor(shape: cachedShape)
        let plane = cachedShape[2] * cachedShape[3], outPlane = gradOutput.shape[2] * gradOutput.shape[3]
        for o in 0..<gradOutput.count {
            gradInput.data[(o / outPlane) * plane + Int(argmax[o])] += gradOutput.data[o]
        }
        return gradInput
    }
}

/// A pooling layer over unpadded square windows.
public protocol PoolingLayer: Layer {
    /// Window side.
    var kernelSize: Int { get }
    /// Window step.
    var stride: Int { get }
}

extension PoolingLayer {
    /// `[N, C, ⌊(H−k)/s⌋+1, ⌊(W−k)/s⌋+1]`, or `nil` if the window does not fit.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the output shape, or `nil`.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        let shape = inputShape, kernel = kernelSize
        guard shape.count == 4, shape[2] >= kernel, shape[3] >= kernel, kernel > 0, stride > 0 else { return nil }
        return [shape[0], shape[1], (shape[2] - kernel) / stride + 1, (shape[3] - kernel) / stride + 1]
    }
}
