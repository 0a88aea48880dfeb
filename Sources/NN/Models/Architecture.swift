/// The five PrivDNN networks (spec §3), one per data set.
public enum Architecture: String, CaseIterable, Sendable, Codable {
    /// LeNet-5 for MNIST: conv 1→6 k5, AvgPool, Square, conv 6→16 k5, AvgPool, Square, FC 256→120→84→10.
    case lenet5MNIST = "mnist"
    /// LeNet-5 for EMNIST letters: conv 1→10, conv 10→20, FC 320→120→84→27.
    case lenet5EMNIST = "emnist"
    /// AlexNet-style for GTSRB (43 classes, 3×32×32).
    case alexNetGTSRB = "gtsrb"
    /// VGG-16 variant for CIFAR-10 with the per-channel obscure convs after conv2.
    case vgg16CIFAR10 = "cifar10"
    /// Trimmed ResNet-18 for TinyImageNet (200 classes, 3×64×64, top-5 accuracy).
    case resNet18TinyImageNet = "tinyimagenet"

    /// The input shape of one image, `[C, H, W]`.
    public var inputShape: [Int] {
        switch self {
        case .lenet5MNIST, .lenet5EMNIST: [1, 28, 28]
        case .alexNetGTSRB, .vgg16CIFAR10: [3, 32, 32]
        case .resNet18TinyImageNet: [3, 64, 64]
        }
    }

    /// The number of logits.
    public var classes: Int {
        switch self {
        case .lenet5MNIST, .vgg16CIFAR10: 10
        case .lenet5EMNIST: 27
        case .alexNetGTSRB: 43
        case .resNet18TinyImageNet: 200
        }
    }

    /// The `k` of the reported top-k accuracy (spec §2: top-5 for TinyImageNet, top-1 otherwise).
    public var topK: Int { self == .resNet18TinyImageNet ? 5 : 1 }

    /// The spec's name for the original model (`MNIST`, `EMNIST`, ...), used in file names and reports.
    public var datasetName: String {
        switch self {
        case .lenet5MNIST: "MNIST"
        case .lenet5EMNIST: "EMNIST"
        case .alexNetGTSRB: "GTSRB"
        case .vgg16CIFAR10: "CIFAR10"
        case .resNet18TinyImageNet: "TinyImageNet"
        }
    }

    /// The original's plaintext test accuracy in percent (spec §4 `accuracy_base`).
    public var referenceAccuracy: Double {
        switch self {
        case .lenet5MNIST: 99.36
        case .lenet5EMNIST: 93.08
        case .alexNetGTSRB: 93.51
        case .vgg16CIFAR10: 90.76
        case .resNet18TinyImageNet: 72.00
        }
    }

    /// The original training recipe (spec §4).
    public var recipe: TrainingRecipe {
        switch self {
        case .lenet5MNIST:
            TrainingRecipe(optimizer: .adam, learningRate: 1e-3, momentum: 0, epochs: 128, batchSize: 128)
        case .lenet5EMNIST:
            TrainingRecipe(optimizer: .adam, learningRate: 3e-3, momentum: 0, epochs: 128, batchSize: 128)
        case .alexNetGTSRB, .vgg16CIFAR10, .resNet18TinyImageNet:
            TrainingRecipe(optimizer: .sgd, learningRate: 5e-2, momentum: 0.9, epochs: 128, batchSize: 128)
        }
    }
}

/// Optimiser, learning rate, epochs and batch size for training one architecture (cosine schedule, T = epochs).
public struct TrainingRecipe: Sendable, Equatable, Codable {
    /// Which optimiser.
    public enum OptimizerKind: String, Sendable, Codable {
        /// ``Adam``.
        case adam
        /// ``SGD`` with momentum.
        case sgd
    }

    /// The optimiser.
    public var optimizer: OptimizerKind
    /// The initial learning rate.
    public var learningRate: Float
    /// SGD momentum (ignored by Adam).
    public var momentum: Float
    /// Epochs (also the cosine period).
    public var epochs: Int
    /// Images per training batch.
    public var batchSize: Int

    /// Creates a recipe.
    /// - Parameters:
    ///   - optimizer: the optimiser kind.
    ///   - learningRate: the initial rate.
    ///   - momentum: SGD momentum.
    ///   - epochs: epochs.
    ///   - batchSize: batch size.
    public init(optimizer: OptimizerKind, learningRate: Float, momentum: Float, epochs: Int, batchSize: Int) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.momentum = momentum
        self.epochs = epochs
        self.batchSize = batchSize
    }

    /// Builds the optimiser over `parameters`.
    /// - Parameter parameters: the tensors to train.
    /// - Returns: the optimiser at the recipe's initial rate.
    public func makeOptimizer(_ parameters: [Parameter]) -> any Optimizer {
        switch optimizer {
        case .adam: Adam(parameters, learningRate: learningRate)
        case .sgd: SGD(parameters, learningRate: learningRate, momentum: momentum)
        }
    }
}
