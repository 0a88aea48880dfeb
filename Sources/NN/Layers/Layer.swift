/// A trainable (or state) tensor of a layer, with its gradient; shared by reference with the optimiser.
public final class Parameter: @unchecked Sendable {
    /// The current value.
    public var value: Tensor
    /// The accumulated gradient of the loss with respect to ``value`` (same shape).
    public var grad: Tensor

    /// Wraps an initial value with a zero gradient.
    /// - Parameter value: the initial tensor.
    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }

    /// Sets the gradient to zero.
    public func zeroGrad() {
        for i in grad.data.indices { grad.data[i] = 0 }
    }
}

/// One differentiable step of a network.
///
/// `forward(_:training: true)` remembers what `backward(_:)` needs, so a layer object runs one training batch at
/// a time; `training: false` keeps no state and may be called on any batch size.
public protocol Layer: AnyObject {
    /// Computes the layer's output.
    /// - Parameters:
    ///   - input: an NCHW (or N×features) batch.
    ///   - training: `true` in training mode (batch statistics, dropout, caching for backward).
    /// - Returns: the output batch.
    func forward(_ input: Tensor, training: Bool) -> Tensor

    /// Propagates the loss gradient through the last training-mode `forward`, accumulating parameter gradients.
    /// - Parameter gradOutput: dLoss/dOutput, shaped like the last output.
    /// - Returns: dLoss/dInput, shaped like the last input.
    func backward(_ gradOutput: Tensor) -> Tensor

    /// The output shape for an input shape, or `nil` if the input does not fit this layer.
    /// - Parameter inputShape: the full input shape including the batch dimension.
    /// - Returns: the output shape, or `nil`.
    func outputShape(_ inputShape: [Int]) -> [Int]?

    /// The trainable tensors under their PyTorch local names (`weight`, `bias`, `0.weight`, ...).
    var namedParameters: [(String, Parameter)] { get }

    /// The non-trainable state tensors under their PyTorch local names (`running_mean`, ...).
    var namedBuffers: [(String, Parameter)] { get }
}

extension Layer {
    /// Layers without parameters have none.
    public var namedParameters: [(String, Parameter)] { [] }
    /// Layers without state have none.
    public var namedBuffers: [(String, Parameter)] { [] }
}

/// Joins a module path prefix and a local name the way PyTorch's `state_dict` does.
func qualified(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : "\(prefix).\(name)"
}

/// Layers applied in order; each entry may carry the PyTorch module name its tensors are saved under.
public final class Sequential: Layer {
    /// The layers with their module names (`nil` for parameter-free layers that need no name).
    public private(set) var entries: [(name: String?, layer: any Layer)]

    /// Builds the chain.
    /// - Parameter entries: `(name, layer)` pairs in application order.
    public init(_ entries: [(String?, any Layer)]) {
        self.entries = entries.map { (name: $0.0, layer: $0.1) }
    }

    /// The layers alone, in order.
    public var layers: [any Layer] { entries.map(\.layer) }

    /// Runs the layers in order.
    /// - Parameters:
    ///   - input: the batch.
    ///   - training: the mode, passed to every layer.
    /// - Returns: the last layer's output.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, from: 0, training: training)
    }

    /// Runs layers `start...end` only, for example to resume from a cached intermediate output.
    /// - Parameters:
    ///   - input: the output of layer `start - 1` (or the network input if `start == 0`).
    ///   - start: the index of the first layer to run.
    ///   - end: the index of the last layer to run; `nil` runs to the end of the network.
    ///   - training: the mode.
    /// - Returns: the output of layer `end` (of the last layer when `end` is `nil`); `input` itself when
    ///   `start > end`.
    public func forward(_ input: Tensor, from start: Int, through end: Int? = nil, training: Bool) -> Tensor {
        var x = input
        let last = end ?? (entries.count - 1)
        if start <= last {
            for i in start...last { x = entries[i].layer.forward(x, training: training) }
        }
        return x
    }

    /// Back-propagates through every layer in reverse.
    /// - Parameter gradOutput: dLoss/dOutput.
    /// - Returns: dLoss/dInput.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        for entry in entries.reversed() { g = entry.layer.backward(g) }
        return g
    }

    /// Chains the layers' output shapes.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the final shape, or `nil` if some layer rejects its input.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        var shape = inputShape
        for entry in entries {
            guard let next = entry.layer.outputShape(shape) else { return nil }
            shape = next
        }
        return shape
    }

    /// Every layer's parameters, prefixed by the layer's module name.
    public var namedParameters: [(String, Parameter)] {
        entries.flatMap { entry in entry.layer.namedParameters.map { (qualified(entry.name ?? "", $0.0), $0.1) } }
    }

    /// Every layer's buffers, prefixed by the layer's module name.
    public var namedBuffers: [(String, Parameter)] {
        entries.flatMap { entry in entry.layer.namedBuffers.map { (qualified(entry.name ?? "", $0.0), $0.1) } }
    }
}

/// A residual connection `y = main(x) + shortcut(x)`, optionally followed by ReLU (ResNet's BasicBlock).
public final class Residual: Layer {
    /// The main branch.
    public let main: Sequential
    /// The projection branch, or `nil` for the identity.
    public let shortcut: Sequential?
    /// Whether a ReLU follows the addition.
    public let reluAfterAdd: Bool
    private var positive: [Bool] = []

    /// Builds the block.
    /// - Parameters:
    ///   - main: the main branch (its names are not prefixed further).
    ///   - shortcut: the projection branch, saved under `shortcut.*`; `nil` means identity.
    ///   - reluAfterAdd: apply ReLU to the sum.
    public init(main: Sequential, shortcut: Sequential?, reluAfterAdd: Bool) {
        self.main = main
        self.shortcut = shortcut
        self.reluAfterAdd = reluAfterAdd
    }

    /// Adds the two branches (and applies the optional ReLU).
    /// - Parameters:
    ///   - input: the batch.
    ///   - training: the mode.
    /// - Returns: the block output.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var y = main.forward(input, training: training)
        let s = shortcut?.forward(input, training: training) ?? input
        precondition(y.shape == s.shape, "residual branches disagree: \(y.shape) vs \(s.shape)")
        for i in y.data.indices { y.data[i] += s.data[i] }
        if reluAfterAdd {
            if training { positive = y.data.map { $0 > 0 } }
            for i in y.data.indices where y.data[i] < 0 { y.data[i] = 0 }
        }
        return y
    }

    /// Splits the gradient into both branches and sums their input gradients.
    /// - Parameter gradOutput: dLoss/dOutput.
    /// - Returns: dLoss/dInput.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        if reluAfterAdd {
            for i in g.data.indices where !positive[i] { g.data[i] = 0 }
        }
        var dx = main.backward(g)
        let ds = shortcut?.backward(g) ?? g
        for i in dx.data.indices { dx.data[i] += ds.data[i] }
        return dx
    }

    /// The main branch's output shape, if the shortcut agrees.
    /// - Parameter inputShape: the input shape.
    /// - Returns: the output shape or `nil`.
    public func outputShape(_ inputShape: [Int]) -> [Int]? {
        guard let m = main.outputShape(inputShape) else { return nil }
        let s = shortcut == nil ? inputShape : shortcut?.outputShape(inputShape)
        return s == m ? m : nil
    }

    /// The main branch's parameters, then the shortcut's under `shortcut.`.
    public var namedParameters: [(String, Parameter)] {
        main.namedParameters + (shortcut?.namedParameters.map { ("shortcut.\($0.0)", $0.1) } ?? [])
    }

    /// The main branch's buffers, then the shortcut's under `shortcut.`.
    public var namedBuffers: [(String, Parameter)] {
        main.namedBuffers + (shortcut?.namedBuffers.map { ("shortcut.\($0.0)", $0.1) } ?? [])
    }
}
