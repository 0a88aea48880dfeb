import NN
import Testing

@Suite struct ModelTests {
    @Test func lenet5MNISTStateDictMatchesPyTorchNames() {
        let model = Model(.lenet5MNIST, seed: 0)
        let shapes = model.stateDict().map { "\($0.0)\($0.1.shape)" }
        #expect(
            shapes == [
                "conv1.weight[6, 1, 5, 5]", "conv1.bias[6]", "conv2.weight[16, 6, 5, 5]", "conv2.bias[16]",
                "fc1.weight[120, 256]", "fc1.bias[120]", "fc2.weight[84, 120]", "fc2.bias[84]",
                "fc3.weight[10, 84]", "fc3.bias[10]",
            ])
        #expect(model.parameterCount == 44426)
        #expect(Model(.lenet5EMNIST).parameterCount == 56259)
    }

    @Test func pytorchDefaultInitialisationBounds() {
        let model = Model(.lenet5MNIST, seed: 5)
        // Uniform in ±1/sqrt(fan_in): conv1 fan_in 25 → 0.2, fc1 fan_in 256 → 0.0625.
        let conv1 = model.conv1.weight.value.data
        #expect(conv1.allSatisfy { abs($0) <= 0.2 } && conv1.contains { abs($0) > 0.15 })
        let fc1 = model.stateDict().first { $0.0 == "fc1.weight" }?.1.data ?? []
        #expect(fc1.allSatisfy { abs($0) <= 0.0625 } && fc1.contains { abs($0) > 0.06 })
        #expect(Model(.lenet5MNIST, seed: 5).conv1.weight.value == model.conv1.weight.value)
        #expect(Model(.lenet5MNIST, seed: 6).conv1.weight.value != model.conv1.weight.value)
    }

    @Test(arguments: Architecture.allCases)
    func everyArchitectureMapsItsInputToLogits(_ architecture: Architecture) {
        let model = Model(architecture, seed: 1)
        let shape = [1] + architecture.inputShape
        #expect(model.network.outputShape(shape) == [1, architecture.classes])
        var g = Xoshiro256(seed: 2)
        let x = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in g.nextUnitFloat() })
        let y = model.logits(x)
        #expect(y.shape == [1, architecture.classes])
        #expect(y.data.allSatisfy { $0.isFinite })
    }

    @Test func architectureSpecificNamesAndShapes() {
        let vgg = Dictionary(uniqueKeysWithValues: Model(.vgg16CIFAR10).stateDict().map { ($0.0, $0.1.shape) })
        #expect(vgg["conv2_obscure.63.weight"] == [1, 1, 3, 3])
        #expect(vgg["bn2.running_var"] == [64])
        #expect(vgg["conv13.weight"] == [512, 512, 3, 3])
        #expect(vgg["bn1.weight"] == nil)  // "remove cifar10's first bn layer"
        #expect(vgg["fc1.weight"] == [512, 512])
        let alex = Dictionary(uniqueKeysWithValues: Model(.alexNetGTSRB).stateDict().map { ($0.0, $0.1.shape) })
        #expect(alex["conv1.weight"] == [96, 3, 5, 5])
        #expect(alex["bn2.weight"] == [256])
        #expect(alex["fc1.weight"] == [512, 2304])
        #expect(alex["fc3.weight"] == [43, 128])
        let resnet = Dictionary(
            uniqueKeysWithValues: Model(.resNet18TinyImageNet).stateDict().map { ($0.0, $0.1.shape) })
        #expect(resnet["conv1.weight"] == [64, 3, 3, 3] && resnet["conv1.bias"] == nil)
        #expect(resnet["shortcut.0.weight"] == [64, 64, 1, 1])
        #expect(resnet["layer2.0.shortcut.0.weight"] == [128, 64, 1, 1])
        #expect(resnet["layer2.1.shortcut.0.weight"] == nil)
        #expect(resnet["layer4.1.bn2.running_mean"] == [512])
        #expect(resnet["fc.weight"] == [200, 2048])
    }

    @Test func stateDictRoundTripAndOriginalNames() throws {
        let source = Model(.lenet5MNIST, seed: 1)
        let target = Model(.lenet5MNIST, seed: 2)
        try target.load(Dictionary(uniqueKeysWithValues: source.stateDict()))
        #expect(target.stateDict().map(\.1) == source.stateDict().map(\.1))

        // The original pickled module paths: conv1_layers.0.layer.*, fc1_layer.*.
        var original: [String: Tensor] = [:]
        for (name, tensor) in source.stateDict() {
            let parts = name.split(separator: ".")
            let renamed =
                parts[0].hasPrefix("conv") ? "\(parts[0])_layers.0.layer.\(parts[1])" : "\(parts[0])_layer.\(parts[1])"
            original[renamed] = tensor
        }
        let third = Model(.lenet5MNIST, seed: 3)
        try third.load(original)
        #expect(third.stateDict().map(\.1) == source.stateDict().map(\.1))
    }

    @Test func loadRejectsTensorsThatDoNotFit() {
        let model = Model(.lenet5MNIST, seed: 1)
        let before = model.stateDict().map(\.1)
        var tensors = Dictionary(uniqueKeysWithValues: model.stateDict())
        tensors["conv1.weight"] = Tensor(shape: [10, 1, 5, 5])
        #expect(throws: NNError.tensorShape(name: "conv1.weight", expected: [6, 1, 5, 5], found: [10, 1, 5, 5])) {
            try model.load(tensors)
        }
        tensors = Dictionary(uniqueKeysWithValues: model.stateDict())
        tensors["fc3.bias"] = nil
        #expect(throws: NNError.missingTensor("fc3.bias")) { try model.load(tensors) }
        tensors = Dictionary(uniqueKeysWithValues: model.stateDict())
        tensors["bn9.weight"] = Tensor(shape: [4])
        #expect(throws: NNError.unexpectedTensor("bn9.weight")) { try model.load(tensors) }
        // An EMNIST file is not an MNIST model.
        #expect(throws: NNError.self) {
            try model.load(Dictionary(uniqueKeysWithValues: Model(.lenet5EMNIST).stateDict()))
        }
        #expect(model.stateDict().map(\.1) == before)
    }

    @Test func loadRejectsNonFiniteTensors() {
        let model = Model(.lenet5MNIST, seed: 1)
        let before = model.stateDict().map(\.1)
        for (name, index, value) in [
            ("conv1.weight", 7, Float.nan), ("fc2.bias", 0, Float.infinity), ("conv2.bias", 3, -Float.infinity),
        ] {
            var tensors = Dictionary(uniqueKeysWithValues: model.stateDict())
            tensors[name]?.data[index] = value
            #expect {
                try model.load(tensors)
            } throws: { error in
                guard case NNError.nonFiniteTensor(name, index, let found) = error else { return false }
                return found.isNaN == value.isNaN && "\(error)".contains("'\(name)'")
            }
        }
        // BatchNorm running statistics are checked as well.
        let vgg = Model(.vgg16CIFAR10, seed: 1)
        var tensors = Dictionary(uniqueKeysWithValues: vgg.stateDict())
        let statistic = tensors.keys.sorted().first { $0.hasSuffix("running_var") } ?? "missing"
        tensors[statistic]?.data[0] = .infinity
        #expect(throws: NNError.nonFiniteTensor(name: statistic, index: 0, value: .infinity)) { try vgg.load(tensors) }
        #expect(model.stateDict().map(\.1) == before)
    }

    @Test func conv2dMatchesDirectConvolution() {
        var g = Xoshiro256(seed: 9)
        let conv = Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, generator: &g)
        let x = Tensor(shape: [2, 2, 5, 5], data: (0..<100).map { _ in g.nextSymmetric(1) })
        let y = conv.forward(x, training: false)
        #expect(y.shape == [2, 3, 3, 3])
        let w = conv.weight.value.data, b = conv.bias?.value.data ?? []
        for n in 0..<2 {
            for o in 0..<3 {
                for oy in 0..<3 {
                    for ox in 0..<3 {
                        var sum = Double(b[o])
                        for c in 0..<2 {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let iy = oy * 2 - 1 + i, ix = ox * 2 - 1 + j
                                    guard iy >= 0, iy < 5, ix >= 0, ix < 5 else { continue }
                                    sum +=
                                        Double(w[((o * 2 + c) * 3 + i) * 3 + j])
                                        * Double(x.data[((n * 2 + c) * 5 + iy) * 5 + ix])
                                }
                            }
                        }
                        #expect(abs(Double(y.data[((n * 3 + o) * 3 + oy) * 3 + ox]) - sum) < 1e-5)
                    }
                }
            }
        }
    }

    @Test func topKScoring() {
        let logits = Tensor(shape: [3, 4], data: [0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 1, 1])
        let top1 = Evaluation.score(logits: logits, labels: [3, 1, 0], topK: 1)
        #expect(top1.correct == 2 && top1.labelCorrect == [1, 0, 0, 1] && top1.labelTotals == [1, 1, 0, 1])
        #expect(Evaluation.score(logits: logits, labels: [2, 1, 3], topK: 2).correct == 2)
        #expect(Evaluation.predictions(logits) == [3, 0, 0])
    }
}
