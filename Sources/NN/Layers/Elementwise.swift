/// `max(x, 0)` elementwise.
public final class ReLU: Layer {
    private var positive: [Bool] = []

    /// Creates the activation.
    public init() {}

    /// Any shape is accepted unchanged.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the same shape.
    public func outputShape(_ inputShape: [Int]) -> [Int]? { inputShape }

    /// Clamps negatives to zero.
    /// - Parameters:
    ///   - input: any batch.
    ///   - training: remembers the sign pattern when `true`.
    /// - Returns: the rectified batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var y = input
        if training { positive = input.data.map { $0 > 0 } }
        for i in y.data.indices where y.data[i] < 0 { y.data[i] = 0 }
        return y
    }

    /// Passes the gradient where the input was positive.
    /// - Parameter gradOutput: dLoss/dOutput.
    /// - Returns: dLoss/dInput.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        for i in g.data.indices where !positive[i] { g.data[i] = 0 }
        return g
    }
}

/// `x²` elementwise: PrivDNN's HE-friendly activation in the encrypted layers.
public final class Square: Layer {
    private var cachedInput: Tensor?

    /// Creates the activation.
    public init() {}

    /// Any shape is accepted unchanged.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the same shape.
    public func outputShape(_ inputShape: [Int]) -> [Int]? { inputShape }

    /// Squares every element.
    /// - Parameters:
    ///   - input: any batch.
    ///   - training: caches the input when `true`.
    /// - Returns: the squared batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if training { cachedInput = input }
        var y = input
        for i in y.data.indices { y.data[i] *= y.data[i] }
        return y
    }

    /// `2x · g`.
    /// - Parameter gradOutput: dLoss/dOutput.
    /// - Returns: dLoss/dInput.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("Square.backward without a training forward") }
        var g = gradOutput
        for i in g.data.indices { g.data[i] *= 2 * x.data[i] }
        return g
    }
}

/// Inverted dropout (PyTorch `nn.Dropout`): in training, zeroes each element with probability `p` and scales
/// survivors by `1/(1−p)`; identity in evaluation.
///
/// Draws from its own seeded stream.
public final class Dropout: Layer {
    /// Drop probability.
    public let probability: Float
    private var generator: Xoshiro256
    private var keep: [Float] = []

    /// Creates the layer.
    /// - Parameters:
    ///   - probability: drop probability in `[0, 1)`.
    ///   - generator: the stream this layer splits its own generator from.
    public init(_ probability: Float, generator: inout Xoshiro256) {
        self.probability = probability
        self.generator = generator.split()
    }

    /// Any shape is accepted unchanged.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the same shape.
    public func outputShape(_ inputShape: [Int]) -> [Int]? { inputShape }

    /// Drops elements in training; identity otherwise.
    /// - Parameters:
    ///   - input: any batch.
    ///   - training: the mode.
    /// - Returns: the batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training, probability > 0 else { return input }
        let scale = 1 / (1 - probability)
        keep = (0..<input.count).map { _ in generator.nextUnitFloat() < probability ? 0 : scale }
        var y = input
        for i in y.data.indices { y.data[i] *= keep[i] }
        return y
    }

    /// Applies the same mask to the gradient.
    /// - Parameter gradOutput: dLoss/dOutput.
    /// - Returns: dLoss/dInput.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard !keep.isEmpty else { return gradOutput }
        var g = gradOutput
        for i in g.data.indices { g.data[i] *= keep[i] }
        return g
    }
}

/// Reshapes `[N, ...]` to `[N, features]`.
public final class Flatten: Layer {
    private var cachedShape: [Int] = []

    /// Creates the layer.
    public init() {}

    /// `[N, product of the rest]`.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the flattened shape.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        inputShape.isEmpty ? nil : [inputShape[0], inputShape.dropFirst().reduce(1, *)]
    }

    /// Reshapes without copying.
    /// - Parameters:
    ///   - input: any batch.
    ///   - training: remembers the input shape when `true`.
    /// - Returns: the flattened batch.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if training { cachedShape = input.shape }
        return input.reshaped([input.shape[0], input.itemCount])
    }

    /// Restores the input shape.
    /// - Parameter gradOutput: `[N, features]`.
    /// - Returns: the gradient in the input's shape.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        gradOutput.reshaped(cachedShape)
    }
}
