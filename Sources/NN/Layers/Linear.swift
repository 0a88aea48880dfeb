/// A fully connected layer `y = x·Wᵀ + b` (PyTorch `nn.Linear`; `weight` is `[out, in]`).
public final class Linear: Layer {
    /// Input features.
    public let inFeatures: Int
    /// Output features.
    public let outFeatures: Int
    /// `[out, in]`.
    public let weight: Parameter
    /// `[out]`.
    public let bias: Parameter
    private var cachedInput: Tensor?

    /// Creates the layer with PyTorch's default initialisation (uniform in ±1/√in).
    /// - Parameters:
    ///   - inFeatures: input width.
    ///   - outFeatures: output width.
    ///   - generator: the seeded stream for the initial weights.
    public init(_ inFeatures: Int, _ outFeatures: Int, generator: inout Xoshiro256) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(
            Tensor(
                shape: [outFeatures, inFeatures],
                data: (0..<(inFeatures * outFeatures)).map { _ in generator.nextSymmetric(bound) }))
        bias = Parameter(
            Tensor(shape: [outFeatures], data: (0..<outFeatures).map { _ in generator.nextSymmetric(bound) }))
    }

    /// `weight` and `bias`.
    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    /// `[N, out]` for `[N, in]`.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the output shape, or `nil`.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        inputShape.count == 2 && inputShape[1] == inFeatures ? [inputShape[0], outFeatures] : nil
    }

    /// Applies the affine map.
    /// - Parameters:
    ///   - input: `[N, in]`.
    ///   - training: caches the input when `true`.
    /// - Returns: `[N, out]`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard let shape = outputShape(input.shape) else {
            preconditionFailure("Linear(\(inFeatures)→\(outFeatures)) cannot take input \(input.shape)")
        }
        if training { cachedInput = input }
        let n = input.shape[0], fin = inFeatures, fout = outFeatures
        var output = Tensor(shape: shape)
        input.data.withUnsafeBufferPointer { xBuf in
            weight.value.data.withUnsafeBufferPointer { wBuf in
                bias.value.data.withUnsafeBufferPointer { bBuf in
                    output.data.withUnsafeMutableBufferPointer { yBuf in
                        guard let x = xBuf.baseAddress, let w = wBuf.baseAddress, let b = bBuf.baseAddress,
                            let y = yBuf.baseAddress
                        else { return }
                        Parallelism.forEachChunk(n, minimumChunk: 16) { _, range in
                            for r in range { (y + r * fout).update(from: b, count: fout) }
                            sgemm(
                                transposeA: false, transposeB: true, m: range.count, n: fout, k: fin,
                                a: x + range.lowerBound * fin, lda: fin, b: w, ldb: fin,
                                beta: 1, c: y + range.lowerBound * fout, ldc: fout)
                        }
                    }
                }
            }
        }
        return output
    }

    /// Back-propagates, accumulating `weight.grad` and `bias.grad`.
    /// - Parameter gradOutput: `[N, out]`.
    /// - Returns: `[N, in]`.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("Linear.backward without a training forward") }
        let n = input.shape[0], fin = inFeatures, fout = outFeatures
        var gradInput = Tensor(shape: input.shape)
        input.data.withUnsafeBufferPointer { xBuf in
            gradOutput.data.withUnsafeBufferPointer { dyBuf in
                weight.value.data.withUnsafeBufferPointer { wBuf in
                    weight.grad.data.withUnsafeMutableBufferPointer { dwBuf in
                        gradInput.data.withUnsafeMutableBufferPointer { dxBuf in
                            guard let x = xBuf.baseAddress, let dy = dyBuf.baseAddress, let w = wBuf.baseAddress,
                                let dw = dwBuf.baseAddress, let dx = dxBuf.baseAddress
                            else { return }
                            sgemm(
                                transposeA: true, transposeB: false, m: fout, n: fin, k: n,
                                a: dy, lda: fout, b: x, ldb: fin, beta: 1, c: dw, ldc: fin)
                            Parallelism.forEachChunk(n, minimumChunk: 16) { _, range in
                                sgemm(
                                    transposeA: false, transposeB: false, m: range.count, n: fin, k: fout,
                                    a: dy + range.lowerBound * fout, lda: fout, b: w, ldb: fin,
                                    beta: 0, c: dx + range.lowerBound * fin, ldc: fin)
                            }
                        }
                    }
                }
            }
        }
        for r in 0..<n {
            for o in 0..<fout { bias.grad.data[o] += gradOutput.data[r * fout + o] }
        }
        return gradInput
    }
}
