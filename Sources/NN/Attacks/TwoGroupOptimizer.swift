/// PrivDNN's two-group optimiser for model recovery (spec §4): the "recover" elements (re-initialised encrypted
/// filters) move at `ratio` times the learning rate of the "other" elements.
///
/// Our encrypted filters are rows of the full conv tensors rather than separate per-filter modules, so a group is
/// a set of *elements*. The wrapper runs the base optimiser at the other group's rate and then scales each
/// element's step by its multiplier. That equals running two optimisers with different rates exactly when the
/// base optimiser's state does not depend on the learning rate (its step is linear in the rate), which holds for
/// ``Adam`` (moments of the gradient only) and ``SGD`` with momentum (the buffer sums gradients).
public final class TwoGroupOptimizer: Optimizer {
    /// The optimiser over every trained tensor, at the other group's rate.
    public let base: any Optimizer
    /// Per tensor of ``base`` that holds recover elements: the tensor and each element's step multiplier.
    public let scaled: [(parameter: Parameter, multipliers: [Float])]

    /// Wraps `base`.
    /// - Parameters:
    ///   - base: the optimiser over all trained parameters, whose rate is the other group's.
    ///   - scaled: tensors whose elements need a different step, with one multiplier per element
    ///     (`ratio` for recover elements, 1 for others, 0 to freeze an element).
    public init(base: any Optimizer, scaled: [(parameter: Parameter, multipliers: [Float])]) {
        for entry in scaled {
            precondition(
                entry.multipliers.count == entry.parameter.value.count, "one multiplier per element")
        }
        self.base = base
        self.scaled = scaled
    }

    /// The other group's rate (the recover group's is this times its multiplier).
    public var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    /// One base step, then each scaled element's change multiplied by its multiplier.
    public func step() {
        let before = scaled.map { $0.parameter.value.data }
        base.step()
        for (entry, old) in zip(scaled, before) {
            entry.parameter.value.data.withUnsafeMutableBufferPointer { w in
                for i in 0..<w.count { w[i] = old[i] + entry.multipliers[i] * (w[i] - old[i]) }
            }
        }
    }

    /// Clears every gradient of the base optimiser's parameters.
    public func zeroGrad() { base.zeroGrad() }
}

/// Mini-batch training with any optimiser, for the attacks whose optimiser ``Trainer`` cannot build
/// (two groups, a frozen remainder): seeded shuffling, cross-entropy, cosine annealing stepped per epoch.
struct AttackTraining {
    let optimizer: any Optimizer
    let schedule: CosineAnnealing
    let batchSize: Int
    var generator: Xoshiro256

    /// Prepares training with `optimizer`, whose learning rate the cosine schedule sets at each epoch.
    ///
    /// - Parameters:
    ///   - optimizer: updates the parameters it was made with; its learning rate is the schedule's start.
    ///   - period: the cosine period in epochs.
    ///   - batchSize: samples per optimiser step.
    ///   - seed: seeds the shuffling (a stream distinct from the models' initialisation).
    init(optimizer: any Optimizer, period: Int, batchSize: Int, seed: UInt64) {
        self.optimizer = optimizer
        schedule = CosineAnnealing(initial: optimizer.learningRate, periodEpochs: period)
        self.batchSize = batchSize
        generator = Xoshiro256(seed: seed ^ 0x4154_5441_434B_5300)  // "ATTACKS": distinct from init streams
    }

    /// Trains epoch `epoch` (from 0) over `count` samples in shuffled batches.
    ///
    /// - Parameters:
    ///   - epoch: the epoch index, from 0; it sets the learning rate.
    ///   - count: the number of training samples.
    ///   - labels: the class of each sample.
    ///   - logits: training-mode logits of the samples at the given indices.
    ///   - backward: back-propagates dLoss/dLogits through the last `logits` call.
    /// - Returns: the mean cross-entropy loss per sample over the epoch.
    mutating func trainEpoch(
        _ epoch: Int, count: Int, labels: [Int], logits: (ArraySlice<Int>) -> Tensor, backward: (Tensor) -> Void
    ) -> Double {
        optimizer.learningRate = schedule.learningRate(epoch: epoch)
        let order = generator.permutation(count)
        var lossSum = 0.0
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let indices = order[start..<min(order.count, start + batchSize)]
            optimizer.zeroGrad()
            let (loss, gradient) = CrossEntropy.lossAndGradient(
                logits: logits(indices), labels: indices.map { labels[$0] })
            backward(gradient)
            optimizer.step()
            lossSum += loss * Double(indices.count)
        }
        return lossSum / Double(max(1, count))
    }

    /// Trains a whole model for one epoch on `data`.
    ///
    /// - Returns: the mean cross-entropy loss per sample over the epoch.
    mutating func trainEpoch(_ epoch: Int, model: Model, on data: LabeledTensor) -> Double {
        trainEpoch(
            epoch, count: data.count, labels: data.labels,
            logits: { model.forward(data.images.gather($0), training: true) }, backward: { model.backward($0) })
    }
}
