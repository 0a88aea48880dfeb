import ArgumentParser
import Foundation
import NN

/// `privdnn train`: train a PrivDNN architecture with the spec's recipe (spec §4) and save it as safetensors.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a PrivDNN model (spec §4 recipe: optimiser, learning rate, cosine schedule, batch 128).")

    /// Batch-level geometric augmentation choices.
    enum AugmentChoice: String, ExpressibleByArgument, CaseIterable {
        case none, shift, affine
    }

    /// Which weights to save.
    enum KeepChoice: String, ExpressibleByArgument, CaseIterable {
        case last, best
    }

    @OptionGroup var data: DataOptions

    @Option(help: "Epochs (also the cosine period); default: the spec's 128.")
    var epochs: Int?

    @Option(help: "Output model file (safetensors); default: models/<dataset>.safetensors.")
    var out: String?

    @Option(help: "Seed for initialisation, shuffling, dropout and augmentation.")
    var seed: UInt64 = 0

    @Option(help: "Initial learning rate; default: the spec's rate for the data set.")
    var lr: Float?

    @Option(help: "Training batch size.")
    var batchSize: Int?

    @Option(help: "Extra batch augmentation: none (spec), shift (±2 px), affine (±10°, ±10% scale, ±2 px).")
    var augment: AugmentChoice = .none

    @Option(help: "Save the last epoch's weights, or the best by validate-half accuracy (never the test half).")
    var keep: KeepChoice = .last

    @Option(
        help: "Activation after fc1/fc2 of LeNet-5: relu (spec), or square (the full-encryption `_cpp` model, §9.9).")
    var fcActivation: HiddenActivation = .relu

    @Flag(help: "Print one JSON object (the run's summary) instead of per-epoch lines.")
    var json = false

    /// One JSON summary of a training run.
    struct Summary: Codable {
        var dataset: String
        var model: String
        var seed: UInt64
        var epochs: Int
        var learningRate: Float
        var batchSize: Int
        var augment: String
        var keep: String
        var keptEpoch: Int
        var validateAccuracy: Double?
        var seconds: Double
        var history: [EpochReport]
    }

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        if fcActivation != .relu, data.dataset != .mnist, data.dataset != .emnist {
            throw ValidationError("--fc-activation square exists only for the LeNet-5 data sets (mnist, emnist)")
        }
    }

    var outputPath: String { out ?? "models/\(data.dataset.rawValue).safetensors" }

    func run() throws {
        // Refused before training, not after it.
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: outputPath, isDirectory: &isFolder), isFolder.boolValue {
            throw ToolError("\(outputPath): is a directory")
        }
        let dataset = data.dataset
        let architecture = dataset.architecture
        var recipe = architecture.recipe
        if let epochs { recipe.epochs = epochs }
        if let lr { recipe.learningRate = lr }
        if let batchSize { recipe.batchSize = batchSize }
        let trainSet = try data.load(.train)
        let validation = try data.tensors(.validate)
        let model = Model(architecture, seed: seed, hiddenActivation: fcActivation)
        var images = trainSet.tensor(normalization: dataset.normalization)
        try model.validateInput(images)
        try model.validateLabels(trainSet.intLabels, count: trainSet.count)
        let batchAugmentation: BatchAugmentation =
            switch augment {
            case .none: .none
            case .shift: .randomShift(maxPixels: 2)
            case .affine: .randomAffine(degrees: 10, scale: 0.1, shift: 2)
            }
        let trainer = Trainer(model: model, recipe: recipe, seed: seed, augmentation: batchAugmentation)
        // The spec's own per-epoch transforms (GTSRB/CIFAR-10 flip + grayscale) on the 8-bit images.
        let epochAugmentation = Augmentation.training(dataset)
        var epochGenerator = Xoshiro256(seed: seed ^ 0x4550_4F43_4841_5547)
        let started = Date()
        var history: [EpochReport] = []
        var best: (accuracy: Double, epoch: Int, state: [(String, Tensor)])?
        for epoch in 0..<recipe.epochs {
            if epochAugmentation != .none {
                images = epochAugmentation.apply(to: trainSet, using: &epochGenerator)
                    .tensor(normalization: dataset.normalization)
            }
            let reporter = ProgressReporter(
                label: "epoch \(epoch + 1)/\(recipe.epochs)", total: trainSet.count, unit: "img",
                output: json ? .silent : .automatic)
            var done = 0
            var report = trainer.trainEpoch(epoch, images: images, labels: trainSet.intLabels) { finished, _ in
                reporter.advance(by: finished - done)
                done = finished
            }
            reporter.finish()
            let accuracy = try model.evaluate(images: validation.images, labels: validation.labels).accuracy
            report.validationAccuracy = (accuracy * 100).rounded() / 100
            history.append(report)
            if keep == .best, accuracy > (best?.accuracy ?? -1) {
                best = (accuracy, epoch + 1, model.stateDict())
            }
            if !json {
                print(
                    String(
                        format: "epoch %3d/%d  lr %.6f  loss %.5f  train %.2f%%  validate %.2f%%  %.1f s",
                        report.epoch, recipe.epochs, report.learningRate, report.loss, report.trainAccuracy,
                        accuracy, report.seconds))
                fflush(nil)  // one line per epoch even when piped to a log (nil: every C stream)
            }
        }
        var keptEpoch = recipe.epochs
        if let best {
            try model.load(Dictionary(uniqueKeysWithValues: best.state))
            keptEpoch = best.epoch
        }
        try model.write(
            to: URL(fileURLWithPath: outputPath),
            metadata: [
                "seed": "\(seed)", "epochs": "\(recipe.epochs)", "kept_epoch": "\(keptEpoch)",
                "augment": augment.rawValue, "learning_rate": "\(recipe.learningRate)",
                "batch_size": "\(recipe.batchSize)",
            ])
        let summary = Summary(
            dataset: dataset.rawValue, model: outputPath, seed: seed, epochs: recipe.epochs,
            learningRate: recipe.learningRate, batchSize: recipe.batchSize, augment: augment.rawValue,
            keep: keep.rawValue, keptEpoch: keptEpoch,
            validateAccuracy: history[keptEpoch - 1].validationAccuracy,
            seconds: Date().timeIntervalSince(started), history: history)
        if json {
            print(try JSONOutput.text(summary))
        } else {
            print(
                "saved \(outputPath) (epoch \(keptEpoch), validate \(String(format: "%.2f", summary.validateAccuracy ?? 0))%)"
            )
        }
    }
}
