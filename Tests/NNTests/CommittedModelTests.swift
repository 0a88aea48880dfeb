import Foundation
import NN
import TestSupport
import Testing

/// The committed LeNet5-MNIST (`models/lenet5-mnist.safetensors`, see `models/README.md`) on the real test half,
/// and the speed of the masked 5,000-image forward pass that selection (issue 5) repeats thousands of times.
@Suite struct CommittedModelTests {
    static func load() throws -> (Model, Tensor, [Int]) {
        let file = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors")
        let model = Model(.lenet5MNIST)
        try model.load(try Safetensors(contentsOf: file).floatTensors(file: file.path))
        let test = try Dataset.mnist.tensors(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
        return (model, test.images, test.labels)
    }

    @Test func accuracyOnTheTestHalf() throws {
        let (model, images, labels) = try Self.load()
        let started = Date()
        let result = try model.evaluate(images: images, labels: labels)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.samples == 5000)
        #expect(result.accuracy >= 99.3, "accuracy \(result.accuracy)%")
        #expect(seconds < 10, "5,000-image forward took \(seconds) s")
    }

    @Test func maskedPassesFromCachedConv1() throws {
        let (model, images, labels) = try Self.load()
        let cache = model.conv1Outputs(images)
        func accuracy() -> Double {
            Evaluation.score(logits: model.logits(fromConv1: cache), labels: labels).accuracy
        }
        let original = accuracy()
        let selection = try SelectedNeurons([1: [0, 1, 2], 2: [0, 1, 2, 3, 4, 5, 6, 7]])
        let started = Date()
        try model.applyMask(selection, mode: .remove)
        let removed = accuracy()
        try model.applyMask(selection, mode: .separate)
        let separated = accuracy()
        let seconds = Date().timeIntervalSince(started)
        model.clearMasks()
        #expect(accuracy() == original)
        // Zeroing half of both layers destroys the thief's model; the deployed (separate) model keeps more.
        #expect(removed < original - 20, "A_r \(removed)% vs A_o \(original)%")
        #expect(separated > removed, "A_s \(separated)% vs A_r \(removed)%")
        #expect(seconds < 10, "two masked passes took \(seconds) s")
    }
}
