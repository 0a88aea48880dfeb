import Foundation

/// Updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// The learning rate used by the next ``step()``.
    var learningRate: Float { get set }
    /// Applies one update to every parameter from its gradient.
    func step()
    /// Sets every parameter's gradient to zero.
    func zeroGrad()
}

/// Adam with PyTorch's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8, bias correction, no weight decay).
public final class Adam: Optimizer {
    /// The learning rate used by the next ``step()``.
    public var learningRate: Float
    /// First-moment decay.
    public let beta1: Float
    /// Second-moment decay.
    public let beta2: Float
    /// Denominator epsilon.
    public let epsilon: Float
    private let parameters: [Parameter]
    private var m: [[Float]]
    private var v: [[Float]]
    private var t = 0

    /// Creates the optimiser for a fixed parameter list.
    /// - Parameters:
    ///   - parameters: the tensors to update.
    ///   - learningRate: the initial step size.
    ///   - beta1: first-moment decay.
    ///   - beta2: second-moment decay.
    ///   - epsilon: denominator epsilon.
    public init(
        _ parameters: [Parameter], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        v = m
    }

    /// One Adam update.
    public func step() {
        t += 1
        let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(t)))
        let c2 = 1 - Float(Foundation.pow(Double(beta2), Double(t)))
        let stepSize = learningRate / c1, sqrtC2 = c2.squareRoot()
        let b1 = beta1, b2 = beta2, eps = epsilon
        for (index, p) in parameters.enumerated() {
            p.value.data.withUnsafeMutableBufferPointer { w in
                p.grad.data.withUnsafeBufferPointer { g in
                    m[index].withUnsafeMutableBufferPointer { mm in
                        v[index].withUnsafeMutableBufferPointer { vv in
                            for i in 0..<w.count {
                                let gi = g[i]
                                mm[i] = b1 * mm[i] + (1 - b1) * gi
                                vv[i] = b2 * vv[i] + (1 - b2) * gi * gi
                                w[i] -= stepSize * mm[i] / (vv[i].squareRoot() / sqrtC2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Clears every gradient.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// SGD with momentum as PyTorch implements it (no dampening, no Nesterov, no weight decay):
/// `buf = μ·buf + g; w -= lr·buf`, with `buf = g` on the first step.
public final class SGD: Optimizer {
    /// The learning rate used by the next ``step()``.
    public var learningRate: Float
    /// Momentum μ.
    public let momentum: Float
    private let parameters: [Parameter]
    private var buffers: [[Float]]
    private var started = false

    /// Creates the optimiser for a fixed parameter list.
    /// - Parameters:
    ///   - parameters: the tensors to update.
    ///   - learningRate: the initial step size.
    ///   - momentum: the momentum factor (0 for plain SGD).
    public init(_ parameters: [Parameter], learningRate: Float, momentum: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        buffers = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    }

    /// One momentum-SGD update.
    public func step() {
        let mu = momentum, lr = learningRate, first = !started
        for (index, p) in parameters.enumerated() {
            for i in 0..<p.value.count {
                let g = p.grad.data[i]
                let b = first ? g : mu * buffers[index][i] + g
                buffers[index][i] = b
                p.value.data[i] -= lr * (mu == 0 ? g : b)
            }
        }
        started = true
    }

    /// Clears every gradient.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// Cosine annealing (PyTorch `CosineAnnealingLR`, η_min 0): `lr(e) = lr₀·(1 + cos(π·e/T))/2` at epoch `e`.
public struct CosineAnnealing: Sendable {
    /// The learning rate at epoch 0.
    public let initial: Float
    /// The period `T_max` in epochs.
    public let periodEpochs: Int

    /// Creates the schedule.
    /// - Parameters:
    ///   - initial: the starting rate.
    ///   - periodEpochs: `T_max`.
    public init(initial: Float, periodEpochs: Int) {
        self.initial = initial
        self.periodEpochs = max(1, periodEpochs)
    }

    /// The rate to use during epoch `epoch` (counted from 0).
    /// - Parameter epoch: the epoch index.
    /// - Returns: the learning rate.
    public func learningRate(epoch: Int) -> Float {
        Float(Double(initial) * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(periodEpochs))) / 2)
    }
}
