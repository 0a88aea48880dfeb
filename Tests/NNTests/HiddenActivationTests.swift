import Foundation
import NN
import TestSupport
import Testing

/// LeNet-5 with Square after fc1/fc2 (the `_cpp` checkpoint of spec §3.1/§9.9) and the committed model of it.
@Suite struct HiddenActivationTests {
    @Test func squareNetworkSquaresTheHiddenFCOutputs() throws {
        let square = Model(.lenet5MNIST, seed: 3, hiddenActivation: .square)
        let relu = Model(.lenet5MNIST, seed: 3)
        #expect(square.hiddenActivation == .square)
        #expect(relu.hiddenActivation == .relu)
        // Same seed, same weights: the layers after fc1 and fc2 alone differ.
        let names = square.network.entries.map(\.name)
        #expect(names == relu.network.entries.map(\.name))
        for (i, entry) in square.network.entries.enumerated() where i > 0 {
            let previous = square.network.entries[i - 1].name
            if previous == "fc1" || previous == "fc2" {
                #expect(entry.layer is Square)
                #expect(relu.network.entries[i].layer is ReLU)
            }
        }
        // Non-LeNet networks keep ReLU whatever is asked.
        #expect(Model(.alexNetGTSRB, hiddenActivation: .square).hiddenActivation == .relu)
    }

    @Test func metadataRecordsTheChoice() {
        #expect(HiddenActivation.recorded(in: [:]) == .relu)
        #expect(HiddenActivation.recorded(in: ["fc_activation": "square"]) == .square)
        #expect(HiddenActivation.recorded(in: ["fc_activation": "tanh"]) == nil)
    }

    @Test func committedSquareModelAccuracy() throws {
        let file = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist-square.safetensors")
        let stored = try Safetensors(contentsOf: file)
        #expect(HiddenActivation.recorded(in: stored.metadata) == .square)
        let model = Model(.lenet5MNIST, hiddenActivation: .square)
        try model.load(try stored.floatTensors(file: file.path))
        let test = try Dataset.mnist.tensors(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
        let result = try model.evaluate(images: test.images, labels: test.labels)
        #expect(result.samples == 5000)
        #expect(abs(result.accuracy - 99.00) < 1e-9, "accuracy \(result.accuracy)%")
    }
}
