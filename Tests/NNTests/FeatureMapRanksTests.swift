import Foundation
import TestSupport
import Testing

@testable import NN

/// HRank on real MNIST with the committed LeNet-5: the seeded training sample, the conv outputs the ranks are taken
/// of, the averages, and the selection they give next to L2's.
@Suite(.serialized) struct FeatureMapRanksTests {
    nonisolated(unsafe) static let model = Result {
        try Model(contentsOf: RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors"))
    }
    static let train = Result {
        try Dataset.mnist.load(.train, root: RepositoryPaths.data.appendingPathComponent("mnist"))
    }

    @Test func sampleIsSeededDistinctAndAscending() {
        let sample = FeatureMapRanks.sample(500, of: 60_000, seed: 0)
        #expect(sample.count == 500 && Set(sample).count == 500 && sample == sample.sorted())
        #expect(sample.allSatisfy { (0..<60_000).contains($0) })
        #expect(sample == FeatureMapRanks.sample(500, of: 60_000, seed: 0))
        #expect(sample != FeatureMapRanks.sample(500, of: 60_000, seed: 1))
        // Spread over the split, not its head.
        #expect(sample.last ?? 0 > 50_000)
        #expect(FeatureMapRanks.sample(500, of: 30, seed: 0) == Array(0..<30))
    }

    @Test func rawConvOutputsAreTheUnmaskedConvModules() throws {
        let model = try Self.model.get()
        let images = try Self.train.get().tensor(0..<3, normalization: Dataset.mnist.normalization)
        let conv1 = try model.rawConvOutputs(layer: 1, images: images)
        #expect(conv1.shape == [3, 6, 24, 24] && conv1.data == model.conv1Outputs(images).data)
        let index = try #require(model.network.entries.firstIndex { $0.name == "conv2" })
        let expected = model.network.forward(images, from: 0, through: index, training: false)
        // Masks set on the model neither change the result nor get lost.
        try model.applyMask(try SelectedNeurons([1: [0, 1], 2: [3]]), mode: .remove)
        defer { model.clearMasks() }
        let conv2 = try model.rawConvOutputs(layer: 2, images: images)
        #expect(conv2.shape == [3, 16, 8, 8] && conv2.data == expected.data)
        #expect(model.conv2.outputMask?[3] == 0 && model.conv1.outputMask?[0] == 0)
        #expect(throws: NNError.self) { try model.rawConvOutputs(layer: 3, images: images) }
        // Each map's rank is the Jacobi rank of that 8×8 plane.
        let ranks = FeatureMapRanks.ranksOfMaps(conv2)
        for map in [0, 17, 47] {
            let plane = Array(conv2.data[(map * 64)..<((map + 1) * 64)])
            #expect(ranks[map] == MatrixRank.rank(of: plane, rows: 8, columns: 8))
        }
    }

    @Test func averagesOverFiveHundredTrainingImages() throws {
        let model = try Self.model.get()
        let train = try Self.train.get()
        let sample = train.subset(FeatureMapRanks.sample(FeatureMapRanks.defaultImageCount, of: train.count, seed: 0))
        let normalization = Dataset.mnist.normalization
        let layer1 = try FeatureMapRanks.averages(model: model, layer: 1, images: sample, normalization: normalization)
        let layer2 = try FeatureMapRanks.averages(model: model, layer: 2, images: sample, normalization: normalization)
        #expect(layer1.count == 6 && layer1.allSatisfy { (0...24).contains($0) })
        #expect(layer2.count == 16 && layer2.allSatisfy { (0...8).contains($0) })
        // Averages of 500 integer ranks are multiples of 1/500.
        for value in layer1 + layer2 { #expect(abs(value * 500 - (value * 500).rounded()) < 1e-9) }
        // Streaming in chunks changes nothing.
        let chunked = try FeatureMapRanks.averages(
            model: model, layer: 2, images: sample, normalization: normalization, chunk: 7)
        #expect(chunked == layer2)

        // The HRank selection keeps the highest averages (ties to the higher index).
        let evaluator = try ModelSelectionEvaluator(
            model: model, images: sample.tensor(0..<10, normalization: normalization),
            labels: Array(sample.intLabels[0..<10]))
        let hrank = try PruningSelection(counts: [2, 4], criterion: .hrank, featureMapRanks: [1: layer1, 2: layer2])
            .run(on: evaluator)
        #expect(hrank[1] == PruningCriterion.strongest(2, scores: layer1, tiesToHigherIndex: true))
        #expect(hrank[2] == PruningCriterion.strongest(4, scores: layer2, tiesToHigherIndex: true))
        // On this model HRank hardly tells the filters apart, and its choice differs from L2's for that reason:
        // conv2's 8×8 maps are full rank on all but a few of the 500 images, and conv1's ranks (about 20 of 24)
        // follow the extent of the digit more than the filter. The choice rests on a few images and the tie rule,
        // where L2 picks by weight norm.
        #expect(layer2.allSatisfy { $0 >= 7.9 } && layer1.allSatisfy { $0 > 15 })
        #expect((layer1.max() ?? 0) - (layer1.min() ?? 0) < 0.5)
        let l2 = try PruningSelection(counts: [2, 4], criterion: .l2).run(on: evaluator)
        #expect(hrank != l2, "HRank \(hrank), L2 \(l2)")
        #expect(evaluator.evaluationCount == 0)
        #expect(throws: NNError.self) {
            try PruningSelection(counts: [2, 4], criterion: .hrank, featureMapRanks: [1: layer1]).run(on: evaluator)
        }
    }
}
