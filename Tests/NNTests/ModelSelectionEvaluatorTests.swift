import Foundation
import TestSupport
import Testing

@testable import NN

/// Selection on a real LeNet-5 trained for one pass over 6,000 real MNIST images (about 83 % on the test half).
@Suite(.serialized) struct ModelSelectionEvaluatorTests {
    static let root = RepositoryPaths.data.appendingPathComponent("mnist")

    static func trainedModel() throws -> (Model, LabeledImages) {
        let train = try Dataset.mnist.loadOfficial(train: true, root: root)
        let model = Model(.lenet5MNIST, seed: 1)
        let recipe = TrainingRecipe(optimizer: .adam, learningRate: 2e-3, momentum: 0, epochs: 2, batchSize: 64)
        let trainer = Trainer(model: model, recipe: recipe, seed: 2)
        let subset = 0..<6000
        _ = trainer.trainEpoch(0, images: train.tensor(subset), labels: Array(train.intLabels[subset]))
        let test = try Dataset.mnist.load(.test, root: root)
        return (model, test.subset(Array(0..<1000)))
    }

    @Test func greedyOnRealMNIST() throws {
        let (model, test) = try Self.trainedModel()
        let images = test.tensor()
        let evaluator = try ModelSelectionEvaluator(model: model, images: images, labels: test.intLabels)
        let original = try evaluator.evaluate(try SelectedNeurons(), mode: nil)
        #expect(original.accuracy > 75)  // chance is 10 %
        #expect(original.samples == 1000)

        // The cached-conv1 evaluation equals a full masked forward pass.
        let selection = try SelectedNeurons([1: [4], 2: [8, 11]])
        for mode in FilterMaskMode.allCases {
            try model.applyMask(selection, mode: mode)
            let direct = try model.evaluate(images: images, labels: test.intLabels)
            model.clearMasks()
            #expect(try evaluator.evaluate(selection, mode: mode) == direct)
        }
        let uncached = try ModelSelectionEvaluator(
            model: model, images: images, labels: test.intLabels, cacheConv1: false)
        #expect(try uncached.evaluate(selection, mode: .remove) == evaluator.evaluate(selection, mode: .remove))
        // Removing every conv1 filter leaves only biases: the prediction is constant, so accuracy collapses.
        let allRemoved = try evaluator.evaluate(try SelectedNeurons([1: Array(0..<6)]), mode: .remove)
        #expect(allRemoved.accuracy < 30)

        let before = evaluator.evaluationCount
        let greedy = GreedySelection(counts: [1, 1], base: original.roundedAccuracy)
        let chosen = try greedy.run(on: evaluator)
        let closing = try ClosingTest(selection: chosen, evaluator: evaluator, base: original.roundedAccuracy)
        #expect(evaluator.evaluationCount - before == 41)
        #expect(chosen[1].count == 1 && chosen[2].count == 1)
        #expect(closing.original == original)
        // Greedy's layer-1 pick has the highest single-filter A_r.
        let singles = try (0..<6).map { try evaluator.evaluate(try SelectedNeurons([1: [$0]]), mode: .remove).correct }
        #expect(singles[chosen[1][0]] == singles.max())
        // Its layer-2 pick is the best point among the 16 candidates next to that filter.
        let points = try (0..<16).map { j in
            try evaluator.accuracies(try SelectedNeurons([1: chosen[1], 2: [j]])).point(base: original.roundedAccuracy)
        }
        #expect(points[chosen[2][0]] == points.max())
    }
}
