import Foundation
import TestSupport
import Testing

@testable import NN

/// A LeNet-5 trained for one pass over 6,000 real MNIST images, and 1,000 images of the real validate half.
enum SelectFixture {
    static let root = RepositoryPaths.data.appendingPathComponent("mnist")

    nonisolated(unsafe) static let trained: Result<(Model, Tensor, [Int]), any Error> = Result {
        let train = try Dataset.mnist.loadOfficial(train: true, root: root)
        let model = Model(.lenet5MNIST, seed: 1)
        let recipe = TrainingRecipe(optimizer: .adam, learningRate: 2e-3, momentum: 0, epochs: 1, batchSize: 64)
        let trainer = Trainer(model: model, recipe: recipe, seed: 2)
        _ = trainer.trainEpoch(0, images: train.tensor(0..<6000), labels: Array(train.intLabels[0..<6000]))
        let validate = try Dataset.mnist.load(.validate, root: root).subset(Array(0..<1000))
        return (model, validate.tensor(), validate.intLabels)
    }

    /// A copy of `model` with the same weights (so edits do not touch the shared one).
    static func copy(_ model: Model) throws -> Model {
        let clone = Model(model.architecture, seed: 99)
        try clone.load(Dictionary(uniqueKeysWithValues: model.stateDict()))
        return clone
    }
}

@Suite(.serialized) struct SelectEvaluatorTests {
    /// Selections covering the corner cases of both rules.
    static let selections: [[Int: [Int]]] = [
        [:], [1: []], [1: [], 2: []], [1: [2]], [2: [7]], [1: [4], 2: [8]], [1: [4], 2: [8, 11]],
        [1: [0, 5], 2: []], [1: [1, 3], 2: [0, 2, 9, 15]], [1: [0, 1, 2, 3, 4, 5], 2: [3]],
        [1: [5], 2: Array(0..<16)], [1: [2, 3], 2: [1, 4, 6, 10, 12, 14]],
    ]

    @Test func factoredPassMatchesTheMaskedModel() throws {
        let (model, images, labels) = try SelectFixture.trained.get()
        let plain = try ModelSelectionEvaluator(model: model, images: images, labels: labels)
        let fast = try LeNetSelectionEvaluator(model: model, images: images, labels: labels)
        #expect(fast.layerSizes == [6, 16])
        #expect(fast.filterWeights(layer: 2) == plain.filterWeights(layer: 2))
        let original = try plain.evaluate(try SelectedNeurons(), mode: nil)
        #expect(original.accuracy > 80)
        var differing = 0
        for layers in Self.selections {
            let selection = try SelectedNeurons(layers)
            for mode in [nil] + FilterMaskMode.allCases {
                let a = try plain.evaluate(selection, mode: mode), b = try fast.evaluate(selection, mode: mode)
                // Sums run in another order: allow one borderline image to flip.
                #expect(abs(a.correct - b.correct) <= 1, "\(selection) \(String(describing: mode))")
                #expect(a.labelTotals == b.labelTotals && a.samples == b.samples)
                if a != b { differing += 1 }
            }
        }
        #expect(differing <= 2)
        #expect(fast.evaluationCount == Self.selections.count * 3)
        // Out-of-range filters and non-encryptable layers are refused like the masked model does.
        #expect(throws: NNError.self) { try fast.evaluate(try SelectedNeurons([2: [16]]), mode: .remove) }
        #expect(throws: NNError.self) { try fast.evaluate(try SelectedNeurons([3: [0]]), mode: .separate) }
    }

    @Test func separateEqualsAModelWithZeroedWeights() throws {
        let (model, images, labels) = try SelectFixture.trained.get()
        let fast = try LeNetSelectionEvaluator(model: model, images: images, labels: labels)
        let plain = try ModelSelectionEvaluator(model: model, images: images, labels: labels)
        for layers in [[1: [4], 2: [8, 11]], [1: [0, 3], 2: [2]], [1: [1, 2, 5], 2: [0, 6, 7, 13]]] {
            let selection = try SelectedNeurons(layers)
            // Spec §5: W₂[o, i] = 0 for every non-selected o and selected i, on a copy of the model.
            let edited = try SelectedFixtureEdits.separate(model, selection)
            let expected = try edited.evaluate(images: images, labels: labels)
            #expect(try plain.evaluate(selection, mode: .separate) == expected)
            #expect(abs(try fast.evaluate(selection, mode: .separate).correct - expected.correct) <= 1)
            // Cutting inputs changes the model: the edit is not a no-op.
            #expect(try model.evaluate(images: images, labels: labels) != expected)
        }
    }

    @Test func removeEqualsAModelWithZeroedFilters() throws {
        let (model, images, labels) = try SelectFixture.trained.get()
        let fast = try LeNetSelectionEvaluator(model: model, images: images, labels: labels)
        let plain = try ModelSelectionEvaluator(model: model, images: images, labels: labels)
        for layers in [[1: [4], 2: [8, 11]], [1: [0, 3], 2: []], [2: [0, 6, 7, 13]]] {
            let selection = try SelectedNeurons(layers)
            // Zero weights and bias of the selected filters: their outputs are exactly 0.
            let edited = try SelectedFixtureEdits.remove(model, selection)
            let expected = try edited.evaluate(images: images, labels: labels)
            #expect(try plain.evaluate(selection, mode: .remove) == expected)
            #expect(abs(try fast.evaluate(selection, mode: .remove).correct - expected.correct) <= 1)
        }
    }

    @Test func factoryPicksTheFactoredPathForLeNet() throws {
        let (model, images, labels) = try SelectFixture.trained.get()
        #expect(try SelectionEvaluators.make(model: model, images: images, labels: labels) is LeNetSelectionEvaluator)
        #expect(throws: NNError.self) {
            try LeNetSelectionEvaluator(model: model, images: images, labels: Array(labels.dropLast()))
        }
    }
}

/// The spec's weight edits applied literally to a copy of a model.
enum SelectedFixtureEdits {
    static func separate(_ model: Model, _ selection: SelectedNeurons) throws -> Model {
        let copy = try SelectFixture.copy(model)
        let conv = copy.conv2, taps = conv.kernelSize * conv.kernelSize
        for o in 0..<conv.outChannels where !selection[2].contains(o) {
            for i in selection[1] {
                for t in 0..<taps { conv.weight.value.data[(o * conv.inChannels + i) * taps + t] = 0 }
            }
        }
        return copy
    }

    static func remove(_ model: Model, _ selection: SelectedNeurons) throws -> Model {
        let copy = try SelectFixture.copy(model)
        for (layer, conv) in [(1, copy.conv1), (2, copy.conv2)] {
            let per = conv.weight.value.count / conv.outChannels
            for f in selection[layer] {
                for t in 0..<per { conv.weight.value.data[f * per + t] = 0 }
                conv.bias?.value.data[f] = 0
            }
        }
        return copy
    }
}
