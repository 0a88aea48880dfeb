import Foundation

/// What model recovery achieved, with the accuracies it is judged against (spec §8.4, §10.5).
public struct ModelRecoveryResult: Sendable, Codable, Equatable {
    /// A_o: the intact model's test accuracy, in percent.
    public var originalAccuracy: Double
    /// A_s: the deployed ("separate") model's test accuracy.
    public var separateAccuracy: Double
    /// A_r: the thief's zero-substitution ("remove") test accuracy.
    public var removeAccuracy: Double
    /// Test accuracy right after re-initialising the encrypted filters, before any training.
    public var reinitialisedAccuracy: Double
    /// A_rec: test accuracy after retraining.
    public var recoveredAccuracy: Double
    /// Encrypted scalars that were re-initialised and retrained.
    public var encryptedElements: Int
    /// The recover group's initial learning rate.
    public var recoverLearningRate: Float
    /// The other group's initial learning rate (0 when frozen).
    public var otherLearningRate: Float
    /// Epochs trained.
    public var epochs: Int
    /// Training images.
    public var samples: Int
    /// Mean cross-entropy per image, one entry per epoch.
    public var losses: [Double]
    /// Wall-clock seconds of the whole attack.
    public var seconds: Double
}

/// Model recovery (spec §8.4), as intended rather than as the original's HEAD ran it.
///
/// The thief keeps every plaintext weight, re-initialises the encrypted filters and retrains the whole model on
/// its few samples, the encrypted filters at `rateRatio` times the rate of the rest (MNIST: Adam 1e-4 / 1e-5;
/// SGD data sets 5e-3 / 5e-4, i.e. the recipe's rate / 10 and / 100), cosine schedule with T_max = epochs.
public struct ModelRecoveryAttack: Sendable {
    /// Epochs (the original uses 64).
    public var epochs: Int
    /// Recover-group rate over other-group rate (10 in PrivDNN).
    public var rateRatio: Float
    /// Train only the encrypted filters (`--recover_freeze`).
    public var freezeOthers: Bool
    /// Seeds the re-initialisation and the shuffling.
    public var seed: UInt64

    /// Configures the attack.
    /// - Parameters:
    ///   - epochs: retraining epochs (the spec's 64 by default).
    ///   - rateRatio: recover-group rate relative to the others.
    ///   - freezeOthers: keep the plaintext weights fixed.
    ///   - seed: seeds re-initialisation and shuffling.
    public init(epochs: Int = 64, rateRatio: Float = 10, freezeOthers: Bool = false, seed: UInt64 = 0) {
        self.epochs = epochs
        self.rateRatio = rateRatio
        self.freezeOthers = freezeOthers
        self.seed = seed
    }

    /// The recover and other groups' initial rates for `architecture` (spec §4).
    /// - Parameter architecture: the network.
    /// - Returns: `(recover, other)`.
    public func learningRates(for architecture: Architecture) -> (recover: Float, other: Float) {
        let other = architecture.recipe.learningRate / 100
        return (other * rateRatio, other)
    }

    /// Re-initialises the encrypted filters of `model` (which is changed in place) and builds the optimiser.
    /// - Parameters:
    ///   - model: the stolen model; its encrypted elements are overwritten.
    ///   - selection: the encrypted filters.
    /// - Returns: the encrypted elements and the two-group optimiser over the trained tensors.
    /// - Throws: ``NNError/shapeMismatch(_:)`` for a selection the model does not have.
    public func prepare(_ model: Model, selection: SelectedNeurons) throws -> (
        EncryptedFilters, TwoGroupOptimizer
    ) {
        let encrypted = try EncryptedFilters(model, selection: selection)
        encrypted.reinitialise(seed: seed)
        let recipe = model.architecture.recipe
        let rates = learningRates(for: model.architecture)
        // Frozen: only the tensors holding encrypted elements are optimised, and their plaintext elements get a
        // zero multiplier, so the base rate is the recover rate / ratio as before.
        let trained = freezeOthers ? encrypted.parts.map(\.parameter) : model.parameters
        var baseRecipe = recipe
        baseRecipe.learningRate = rates.other
        let optimizer = TwoGroupOptimizer(
            base: baseRecipe.makeOptimizer(trained),
            scaled: encrypted.multipliers(ratio: rateRatio, other: freezeOthers ? 0 : 1))
        return (encrypted, optimizer)
    }

    /// Runs the attack on a trained model.
    /// - Parameters:
    ///   - model: the owner's trained model; it is modified (it ends as the thief's recovered model).
    ///   - selection: the encrypted filters.
    ///   - data: the thief's samples and the test half.
    ///   - progress: called after every epoch with (epochs done, epochs total).
    /// - Returns: A_o, A_s, A_r, the accuracy right after re-initialisation, and A_rec.
    /// - Throws: ``NNError/datasetMismatch(_:)`` for data that does not fit, ``NNError/shapeMismatch(_:)`` for a
    ///   selection the model does not have or a non-positive epoch count.
    public func run(
        _ model: Model, selection: SelectedNeurons, data: AttackData,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> ModelRecoveryResult {
        guard epochs >= 1 else {
            throw NNError.shapeMismatch("epochs must be at least 1, got \(epochs)")
        }
        let started = Date()
        try model.validateLabels(data.thiefSamples.labels, count: data.thiefSamples.count)
        let views = try ModelSelectionEvaluator(model: model, images: data.test.images, labels: data.test.labels)
            .accuracies(selection, includingOriginal: true)
        let (encrypted, optimizer) = try prepare(model, selection: selection)
        let reinitialised = try model.evaluate(images: data.test.images, labels: data.test.labels)
            .accuracy
        let recipe = model.architecture.recipe
        var training = AttackTraining(optimizer: optimizer, period: epochs, batchSize: recipe.batchSize, seed: seed)
        var losses: [Double] = []
        for epoch in 0..<epochs {
            losses.append(training.trainEpoch(epoch, model: model, on: data.thiefSamples))
            progress(epoch + 1, epochs)
        }
        let recovered = try model.evaluate(images: data.test.images, labels: data.test.labels).accuracy
        let rates = learningRates(for: model.architecture)
        return ModelRecoveryResult(
            originalAccuracy: views.original ?? 0, separateAccuracy: views.separate,
            removeAccuracy: views.remove,
            reinitialisedAccuracy: reinitialised, recoveredAccuracy: recovered,
            encryptedElements: encrypted.elementCount, recoverLearningRate: rates.recover,
            otherLearningRate: freezeOthers ? 0 : rates.other, epochs: epochs,
            samples: data.thiefSamples.count,
            losses: losses, seconds: Date().timeIntervalSince(started))
    }
}
