import Foundation

/// What one training epoch did.
public struct EpochReport: Sendable, Equatable, Codable {
    /// The epoch number, from 1.
    public var epoch: Int
    /// The learning rate used throughout the epoch.
    public var learningRate: Float
    /// Mean cross-entropy per training image.
    public var loss: Double
    /// Training-mode top-1 accuracy over the epoch's batches, in percent.
    public var trainAccuracy: Double
    /// Evaluation-mode accuracy on the validation images after the epoch, in percent, if any were given.
    public var validationAccuracy: Double?
    /// Wall-clock seconds for the epoch (training only).
    public var seconds: Double
}

/// Mini-batch training with a ``TrainingRecipe``: shuffled batches (seeded), cross-entropy, the recipe's
/// optimiser, and cosine annealing stepped once per epoch (spec §4).
///
/// The last partial batch is kept, as with PyTorch's `DataLoader` default.
public final class Trainer {
    /// The model being trained.
    public let model: Model
    /// Optimiser, rate, epochs, batch size.
    public let recipe: TrainingRecipe
    /// The optimiser over every model parameter (spec §12 item 11: all of them, unlike the original).
    public let optimizer: any Optimizer
    /// The per-batch augmentation (``BatchAugmentation/none`` reproduces the original recipe).
    public let augmentation: BatchAugmentation
    private var generator: Xoshiro256
    private let schedule: CosineAnnealing

    /// Prepares training.
    /// - Parameters:
    ///   - model: the model (its parameters are updated in place).
    ///   - recipe: the recipe; `recipe.epochs` is the cosine period.
    ///   - seed: seeds the shuffling and the augmentation.
    ///   - augmentation: what to do to each batch.
    public init(model: Model, recipe: TrainingRecipe, seed: UInt64, augmentation: BatchAugmentation = .none) {
        self.model = model
        self.recipe = recipe
        self.augmentation = augmentation
        optimizer = recipe.makeOptimizer(model.parameters)
        generator = Xoshiro256(seed: seed ^ 0x5348_5546_464C_4500)  // "SHUFFLE": distinct from the init stream
        schedule = CosineAnnealing(initial: recipe.learningRate, periodEpochs: recipe.epochs)
    }

    /// Trains one epoch.
    /// - Parameters:
    ///   - epoch: the epoch index from 0 (selects the learning rate).
    ///   - images: `[N, C, H, W]` training images.
    ///   - labels: `N` labels.
    ///   - progress: called after each batch with (images done, images total).
    /// - Returns: the epoch's loss and accuracy (validation left `nil`).
    public func trainEpoch(
        _ epoch: Int, images: Tensor, labels: [Int], progress: (Int, Int) -> Void = { _, _ in }
    ) -> EpochReport {
        let started = Date()
        let lr = schedule.learningRate(epoch: epoch)
        optimizer.learningRate = lr
        let n = images.shape[0]
        let order = generator.permutation(n)
        var lossSum = 0.0, correct = 0, start = 0
        while start < n {
            let end = min(n, start + recipe.batchSize)
            let batchIndices = order[start..<end]
            var batch = images.gather(batchIndices)
            augmentation.apply(to: &batch, generator: &generator)
            let batchLabels = batchIndices.map { labels[$0] }
            optimizer.zeroGrad()
            let logits = model.forward(batch, training: true)
            let (loss, gradient) = CrossEntropy.lossAndGradient(logits: logits, labels: batchLabels)
            model.backward(gradient)
            optimizer.step()
            lossSum += loss * Double(end - start)
            correct += zip(Evaluation.predictions(logits), batchLabels).filter { $0 == $1 }.count
            start = end
            progress(end, n)
        }
        return EpochReport(
            epoch: epoch + 1, learningRate: lr, loss: lossSum / Double(max(1, n)),
            trainAccuracy: 100 * Double(correct) / Double(max(1, n)), validationAccuracy: nil,
            seconds: Date().timeIntervalSince(started))
    }
}
