import Foundation
import NN

/// LeNet5-MNIST on the real MNIST in `data/mnist`: one training epoch (the spec's Adam 1e-3, batch 128) and the
/// evaluation forward pass over the 5,000-image test half, plus the masked pass from cached conv1 outputs that
/// filter selection repeats.
///
/// `Benchmarks/torch_lenet5.py` times the same work in PyTorch (same names).
enum NNBenchmarks: BenchmarkGroup {
    static let dataRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/mnist")

    static func benchmarks(quick: Bool) -> [Benchmark] {
        // Quick runs (CI smoke) train on 1,280 images instead of the full 60,000.
        let trainCount = quick ? 1280 : 60000
        return [
            Benchmark("MNIST / LeNet5 / train epoch / \(trainCount) images / batch 128", units: trainCount) {
                let train = try Dataset.mnist.tensors(.train, root: dataRoot)
                let images = train.images.items(0..<trainCount), labels = Array(train.labels[0..<trainCount])
                let model = Model(.lenet5MNIST, seed: 0)
                let trainer = Trainer(model: model, recipe: Architecture.lenet5MNIST.recipe, seed: 0)
                return { blackHole(trainer.trainEpoch(0, images: images, labels: labels)) }
            },
            Benchmark("MNIST / LeNet5 / forward / 5000 images (test half)", units: 5000) {
                let test = try Dataset.mnist.tensors(.test, root: dataRoot)
                let model = Model(.lenet5MNIST, seed: 0)
                return { blackHole(model.logits(test.images)) }
            },
            Benchmark("MNIST / LeNet5 / masked forward from cached conv1 / 5000 images", units: 5000) {
                let test = try Dataset.mnist.tensors(.test, root: dataRoot)
                let model = Model(.lenet5MNIST, seed: 0)
                let cache = model.conv1Outputs(test.images)
                try model.applyMask(SelectedNeurons([1: [0, 3], 2: [1, 5, 9]]), mode: .separate)
                return { blackHole(model.logits(fromConv1: cache)) }
            },
        ]
    }
}
