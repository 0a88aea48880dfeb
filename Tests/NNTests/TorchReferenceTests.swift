import Foundation
import NN
import TestSupport
import Testing

/// Our LeNet5-MNIST against PyTorch's (`vectors/nn/`, made by `vectors/gen_nn.py`): a PyTorch state dict loads
/// 1:1 by name, and the logits (plain, "separate", "remove") agree on real test-half images.
@Suite struct TorchReferenceTests {
    struct Reference: Decodable {
        var indices: [Int]
        var logits: [[Float]]
        /// PrivDNN's `{"1": [...], "2": [...]}`, read as the one selection type.
        var selection: SelectedNeurons
        var separate: [[Float]]
        var remove: [[Float]]
    }

    @Test func lenet5MatchesPyTorch() throws {
        let file = RepositoryPaths.vectors.appendingPathComponent("nn/torch_lenet5_mnist.safetensors")
        let reference = try JSONDecoder().decode(
            Reference.self, from: try RepositoryPaths.vector("nn/torch_lenet5_mnist.json"))
        let model = Model(.lenet5MNIST, seed: 99)
        try model.load(try Safetensors(contentsOf: file).floatTensors(file: file.path))
        let official = try Dataset.mnist.loadOfficial(
            train: false, root: RepositoryPaths.data.appendingPathComponent("mnist"))
        let images = official.subset(reference.indices).tensor()

        func expectClose(_ logits: Tensor, _ expected: [[Float]], _ what: String) {
            #expect(logits.shape == [expected.count, 10])
            let worst = zip(logits.data, expected.flatMap { $0 }).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-3, "\(what): worst |Δ| \(worst)")
        }
        expectClose(model.logits(images), reference.logits, "plain")
        #expect(reference.selection == (try SelectedNeurons([1: [0, 3], 2: [1, 5, 9]])))
        try model.applyMask(reference.selection, mode: .separate)
        expectClose(model.logits(images), reference.separate, "separate")
        try model.applyMask(reference.selection, mode: .remove)
        expectClose(model.logits(images), reference.remove, "remove")
    }
}
