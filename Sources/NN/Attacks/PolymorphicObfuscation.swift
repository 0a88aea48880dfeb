import Foundation

/// One obfuscated variant of a model: its obscure kernels and accuracies.
public struct ObfuscationVariant: Sendable, Codable, Equatable {
    /// The seed that re-randomised the variant's kernels.
    public var seed: UInt64
    /// Test accuracy with the encrypted channels' obscure kernels freshly randomised, in percent.
    public var randomisedAccuracy: Double
    /// Test accuracy after retraining those kernels (the lowest-loss epoch's), in percent.
    public var retrainedAccuracy: Double
    /// Mean cross-entropy per image, one entry per epoch.
    public var losses: [Double]
    /// The retrained 3×3 kernel of each encrypted conv2 channel, in selection order.
    public var kernels: [[Float]]
}

/// What the polymorphic-obfuscation defence achieved.
public struct ObfuscationResult: Sendable, Codable, Equatable {
    /// The conv2 channels whose obscure kernels are secret (the selected layer-2 filters).
    public var channels: [Int]
    /// Whether the network had no obscure convs and identity ones were inserted after conv2 (LeNet-5, AlexNet).
    public var inserted: Bool
    /// Test accuracy of the model before any re-randomisation, in percent.
    public var originalAccuracy: Double
    /// The variants handed to different users.
    public var variants: [ObfuscationVariant]
    /// Mean over channels and variant pairs of ‖k_a − k_b‖ / ‖k_a‖: how different the variants' kernels are.
    public var kernelDistance: Double
    /// Epochs per variant.
    public var epochs: Int
    /// Training images.
    public var samples: Int
    /// Wall-clock seconds.
    public var seconds: Double
}

/// Polymorphic obfuscation (spec §8.6), generalised from VGG16-CIFAR10 to any network with a top-level conv2.
///
/// Every conv2 output channel passes through its own secret 3×3 "obscure" conv, so a user who sees decrypted
/// layer-2 outputs cannot fit replacement filters that work with another user's model. Networks built without
/// obscure convs get identity ones inserted after conv2 (the model's function is unchanged). For each variant the
/// owner re-randomises the obscure kernels of the encrypted channels and retrains only those kernels (Adam,
/// cosine period twice the epochs as in the original's 64 of 128, keeping the lowest-loss epoch) with every other
/// weight, and BatchNorm statistics, frozen. Accuracy recovering for each variant means each user can get a
/// distinct, equally accurate model.
public struct PolymorphicObfuscation: Sendable {
    /// Retraining epochs per variant (the original uses 64 on the full training split).
    public var epochs: Int
    /// Adam's rate for the kernels (the original uses 5e-4).
    public var learningRate: Float
    /// How many variants to build.
    public var variants: Int
    /// Images per training batch.
    public var batchSize: Int
    /// Seeds the variants (variant `i` uses `seed + i`).
    public var seed: UInt64

    /// Configures the defence.
    /// - Parameters:
    ///   - epochs: epochs per variant.
    ///   - learningRate: Adam's rate.
    ///   - variants: number of variants.
    ///   - batchSize: batch size.
    ///   - seed: first variant's seed.
    public init(epochs: Int = 64, learningRate: Float = 5e-4, variants: Int = 2, batchSize: Int = 128, seed: UInt64 = 0)
    {
        self.epochs = epochs
        self.learningRate = learningRate
        self.variants = variants
        self.batchSize = batchSize
        self.seed = seed
    }

    /// Builds and measures the variants; the model's own weights are left as they were.
    /// - Parameters:
    ///   - model: the owner's trained model.
    ///   - channels: the encrypted conv2 channels (layer 2 of the selection).
    ///   - train: the owner's training images.
    ///   - test: the reporting set.
    ///   - progress: called after every epoch with (epochs done, epochs total over all variants).
    /// - Returns: the accuracies and kernels of each variant.
    /// - Throws: ``NNError/shapeMismatch(_:)`` for bad channels or counts or a conv2 inside a block,
    ///   ``NNError/datasetMismatch(_:)`` for data that does not fit.
    public func run(
        _ model: Model, channels: [Int], train: LabeledTensor, test: LabeledTensor,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> ObfuscationResult {
        let started = Date()
        guard epochs >= 1, variants >= 1, batchSize >= 1 else {
            throw NNError.shapeMismatch("epochs, variants and batch size must be at least 1")
        }
        let selection = try SelectedNeurons([2: channels])
        try model.validate(selection)
        guard !channels.isEmpty else { throw NNError.shapeMismatch("obfuscation needs encrypted conv2 channels") }
        for data in [train, test] {
            try model.validateInput(data.images)
            try model.validateLabels(data.labels, count: data.count)
        }
        model.clearMasks()
        let chain = try ObscuredChain(model)
        let encrypted = selection[2]
        let trainFeatures = chain.features(train.images)
        let testFeatures = chain.features(test.images)
        let originalKernels = chain.obscure.kernels.map(\.value)
        let originalBuffers = model.network.namedBuffers.map(\.1.value)
        func accuracy() -> Double {
            Evaluation.score(logits: chain.logits(testFeatures), labels: test.labels, topK: model.architecture.topK)
                .accuracy
        }
        let original = accuracy()
        var results: [ObfuscationVariant] = []
        for v in 0..<variants {
            let variantSeed = seed &+ UInt64(v)
            var generator = Xoshiro256(seed: variantSeed ^ 0x4F42_5343_5552_4500)  // "OBSCURE"
            let bound = 1 / Float(chain.obscure.kernelSize)
            for ch in encrypted {
                let kernel = chain.obscure.kernels[ch]
                for i in kernel.value.data.indices { kernel.value.data[i] = generator.nextSymmetric(bound) }
            }
            let randomised = accuracy()
            let trained = encrypted.map { chain.obscure.kernels[$0] }
            var training = AttackTraining(
                optimizer: Adam(trained, learningRate: learningRate), period: 2 * epochs, batchSize: batchSize,
                seed: variantSeed)
            var best = (loss: Double.infinity, kernels: trained.map(\.value))
            var losses: [Double] = []
            for epoch in 0..<epochs {
                let loss = training.trainEpoch(
                    epoch, count: train.count, labels: train.labels,
                    logits: { chain.trainingLogits(trainFeatures.gather($0)) }, backward: { chain.backward($0) })
                // Frozen remainder: undo what training-mode passes did to running statistics.
                for ((_, buffer), saved) in zip(model.network.namedBuffers, originalBuffers) { buffer.value = saved }
                losses.append(loss)
                if loss < best.loss { best = (loss, trained.map(\.value)) }
                progress(v * epochs + epoch + 1, variants * epochs)
            }
            for (kernel, value) in zip(trained, best.kernels) { kernel.value = value }
            results.append(
                ObfuscationVariant(
                    seed: variantSeed, randomisedAccuracy: randomised, retrainedAccuracy: accuracy(), losses: losses,
                    kernels: best.kernels.map(\.data)))
            for (kernel, value) in zip(chain.obscure.kernels, originalKernels) { kernel.value = value }
        }
        for parameter in model.parameters { parameter.zeroGrad() }
        return ObfuscationResult(
            channels: encrypted, inserted: chain.inserted, originalAccuracy: original, variants: results,
            kernelDistance: Self.meanDistance(results), epochs: epochs, samples: train.count,
            seconds: Date().timeIntervalSince(started))
    }

    /// Mean relative distance between every pair of variants' kernels (0 for a single variant).
    static func meanDistance(_ variants: [ObfuscationVariant]) -> Double {
        var sum = 0.0, count = 0
        for a in variants.indices {
            for b in variants.indices where b > a {
                for (ka, kb) in zip(variants[a].kernels, variants[b].kernels) {
                    let diff = zip(ka, kb).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
                    let norm = ka.reduce(0.0) { $0 + Double($1 * $1) }
                    sum += (diff / max(norm, 1e-20)).squareRoot()
                    count += 1
                }
            }
        }
        return count == 0 ? 0 : sum / Double(count)
    }
}

/// A model cut at its obscure convs: the part up to conv2 (run once, frozen), the obscure layer, and the rest.
struct ObscuredChain {
    let prefix: [any Layer]
    let obscure: DepthwiseConv2d
    let suffix: [any Layer]
    let inserted: Bool

    init(_ model: Model) throws {
        let entries = model.network.entries
        guard let conv2 = entries.firstIndex(where: { $0.name == "conv2" }) else {
            throw NNError.shapeMismatch("\(model.architecture.datasetName): conv2 is inside a block; not supported")
        }
        prefix = entries[0...conv2].map(\.layer)
        if let existing = model.obscureLayer, conv2 + 1 < entries.count, entries[conv2 + 1].layer === existing {
            obscure = existing
            suffix = entries[(conv2 + 2)...].map(\.layer)
            inserted = false
        } else {
            var unused = Xoshiro256(seed: 0)
            let identity = DepthwiseConv2d(model.conv2.outChannels, kernelSize: 3, padding: 1, generator: &unused)
            for kernel in identity.kernels {
                kernel.value = Tensor(shape: kernel.value.shape, data: [0, 0, 0, 0, 1, 0, 0, 0, 0])
            }
            obscure = identity
            suffix = entries[(conv2 + 1)...].map(\.layer)
            inserted = true
        }
    }

    /// conv2's outputs, evaluation mode.
    func features(_ images: Tensor) -> Tensor {
        LayerChain.forward(prefix, images, training: false)
    }

    /// Evaluation-mode logits from conv2 outputs, in passes of 500 images.
    func logits(_ features: Tensor) -> Tensor {
        var parts: [Tensor] = []
        for start in stride(from: 0, to: features.shape[0], by: 500) {
            let chunk = features.items(start..<min(features.shape[0], start + 500))
            parts.append(LayerChain.forward([obscure] + suffix, chunk, training: false))
        }
        return Tensor.concatenate(parts)
    }

    /// Training-mode logits (caches for ``backward(_:)``).
    func trainingLogits(_ features: Tensor) -> Tensor {
        LayerChain.forward([obscure] + suffix, features, training: true)
    }

    /// Back-propagates down to the obscure kernels (the prefix is frozen and skipped).
    func backward(_ gradient: Tensor) {
        _ = LayerChain.backward([obscure] + suffix, gradient)
        for layer in suffix { for (_, parameter) in layer.namedParameters { parameter.zeroGrad() } }
    }
}
