import Foundation

/// What training from scratch achieved (A_t).
public struct ScratchResult: Sendable, Codable, Equatable {
    /// A_t: test accuracy of the fresh model after training, in percent.
    public var accuracy: Double
    /// Epochs trained.
    public var epochs: Int
    /// Training images.
    public var samples: Int
    /// Mean cross-entropy per image in the last epoch.
    public var finalLoss: Double
    /// Wall-clock seconds of training and testing.
    public var seconds: Double
}

/// Train-from-scratch, the no-stolen-weights baseline (spec §8.3): a fresh model trained on the thief's samples
/// with the data set's usual optimiser and cosine schedule (T_max = epochs), then tested on the test half.
public struct ScratchAttack: Sendable {
    /// The network to train.
    public var architecture: Architecture
    /// Epochs (the original uses 512).
    public var epochs: Int
    /// Seeds the initialisation and the shuffling.
    public var seed: UInt64

    /// Configures the attack.
    /// - Parameters:
    ///   - architecture: the network.
    ///   - epochs: epochs, also the cosine period (the spec's 512 by default).
    ///   - seed: seeds initialisation and shuffling.
    public init(architecture: Architecture, epochs: Int = 512, seed: UInt64 = 0) {
        self.architecture = architecture
        self.epochs = epochs
        self.seed = seed
    }

    /// Trains and tests.
    /// - Parameters:
    ///   - data: the thief's samples and the test half.
    ///   - progress: called after every epoch with (epochs done, epochs total).
    /// - Returns: A_t and the run's facts.
    /// - Throws: ``NNError/datasetMismatch(_:)`` if the data does not fit the architecture, or
    ///   ``NNError/shapeMismatch(_:)`` for a non-positive epoch count.
    public func run(_ data: AttackData, progress: (Int, Int) -> Void = { _, _ in }) throws
        -> ScratchResult
    {
        guard epochs >= 1 else {
            throw NNError.shapeMismatch("epochs must be at least 1, got \(epochs)")
        }
        let started = Date()
        let model = Model(architecture, seed: seed)
        try model.validateInput(data.thiefSamples.images)
        try model.validateLabels(data.thiefSamples.labels, count: data.thiefSamples.count)
        var recipe = architecture.recipe
        recipe.epochs = epochs
        let trainer = Trainer(model: model, recipe: recipe, seed: seed)
        var loss = 0.0
        for epoch in 0..<epochs {
            loss =
                trainer.trainEpoch(
                    epoch, images: data.thiefSamples.images, labels: data.thiefSamples.labels
                ).loss
            progress(epoch + 1, epochs)
        }
        let accuracy = try model.evaluate(images: data.test.images, labels: data.test.labels).accuracy
        return ScratchResult(
            accuracy: accuracy, epochs: epochs, samples: data.thiefSamples.count, finalLoss: loss,
            seconds: Date().timeIntervalSince(started))
    }
}
