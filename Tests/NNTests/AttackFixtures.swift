import Foundation
import NN
import TestSupport

/// Real-MNIST fixtures shared by the attack tests.
///
/// A LeNet-5 trained briefly on part of the training split, and
/// the attack data (thief samples from validate, a slice of test). Built once per test process.
enum AttackFixtures {
    static let root = RepositoryPaths.data.appendingPathComponent("mnist")

    /// 400 thief samples and the first 1,000 test images.
    static let loaded = Result { try AttackData.load(.mnist, root: root, samples: 400, testLimit: 1000, seed: 0) }

    /// The state of a LeNet-5 trained 3 epochs on 20,000 training images.
    static let trained = Result {
        let train = try Dataset.mnist.load(.train, root: root)
        let part = LabeledTensor(train.subset(Array(0..<20_000)), normalization: .unit)
        let model = Model(.lenet5MNIST, seed: 7)
        var recipe = Architecture.lenet5MNIST.recipe
        recipe.epochs = 3
        let trainer = Trainer(model: model, recipe: recipe, seed: 7)
        for epoch in 0..<recipe.epochs {
            _ = trainer.trainEpoch(epoch, images: part.images, labels: part.labels)
        }
        return model.stateDict()
    }

    /// The attack data.
    static var data: AttackData { get throws { try loaded.get() } }

    /// The trained model's tensors.
    static var trainedState: [(String, Tensor)] { get throws { try trained.get() } }

    /// A fresh copy of the trained model.
    static func trainedModel() throws -> Model {
        let model = Model(.lenet5MNIST)
        try model.load(Dictionary(uniqueKeysWithValues: try trainedState))
        return model
    }
}
