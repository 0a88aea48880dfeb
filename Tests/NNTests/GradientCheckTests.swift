import NN
import Testing

/// Finite-difference gradient checks for every layer kind (spec: forward and backward for each layer).
@Suite struct GradientCheckTests {
    let tolerance = 2e-2

    func check(_ layer: any Layer, _ shape: [Int], scale: Float = 1, seed: UInt64 = 1) {
        var g = Xoshiro256(seed: seed)
        let x = GradientCheck.randomTensor(shape, &g, scale: scale)
        let report = GradientCheck.run(layer, input: x)
        #expect(report.worstInput < tolerance, "input gradient error \(report.worstInput)")
        #expect(report.worstParameter < tolerance, "parameter gradient error \(report.worstParameter)")
    }

    @Test func conv2dPlain() {
        var g = Xoshiro256(seed: 2)
        check(Conv2d(2, 3, kernelSize: 3, generator: &g), [2, 2, 6, 6])
    }

    @Test func conv2dStridePaddingNoBias() {
        var g = Xoshiro256(seed: 3)
        check(Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, bias: false, generator: &g), [2, 3, 7, 7])
    }

    @Test func conv2dWithMasks() {
        var g = Xoshiro256(seed: 4)
        let conv = Conv2d(2, 3, kernelSize: 2, padding: 1, generator: &g)
        conv.outputMask = [1, 0, 1]
        conv.weightMask = (0..<conv.weight.value.count).map { $0 % 3 == 0 ? 0 : 1 }
        check(conv, [2, 2, 4, 4])
    }

    @Test func conv2dOneByOne() {
        var g = Xoshiro256(seed: 5)
        check(Conv2d(3, 2, kernelSize: 1, stride: 2, bias: false, generator: &g), [2, 3, 6, 6])
    }

    @Test func depthwiseConv() {
        var g = Xoshiro256(seed: 6)
        check(DepthwiseConv2d(3, kernelSize: 3, padding: 1, generator: &g), [2, 3, 5, 5])
    }

    @Test func linear() {
        var g = Xoshiro256(seed: 7)
        check(Linear(7, 5, generator: &g), [4, 7])
    }

    @Test func avgPool() {
        check(AvgPool2d(2), [2, 3, 6, 6])
        check(AvgPool2d(3, stride: 2), [1, 2, 7, 7])
    }

    @Test func maxPool() {
        // Distinct, well-separated values so a ±0.01 step never changes a window's maximum.
        var g = Xoshiro256(seed: 8)
        let count = 2 * 2 * 6 * 6
        let values = g.permutation(count).map { Float($0) * 0.1 - 7 }
        let report = GradientCheck.run(MaxPool2d(2), input: Tensor(shape: [2, 2, 6, 6], data: values))
        #expect(report.worstInput < tolerance)
    }

    @Test func batchNormTraining() {
        check(BatchNorm2d(3), [4, 3, 3, 3])
        let bn = BatchNorm2d(2)
        bn.weight.value = Tensor(shape: [2], data: [1.5, -0.5])
        bn.bias.value = Tensor(shape: [2], data: [0.2, 0.1])
        check(bn, [3, 2, 4, 4], seed: 9)
    }

    @Test func reluAwayFromKink() {
        var g = Xoshiro256(seed: 10)
        let values = (0..<60).map { _ -> Float in
            let v = g.nextSymmetric(1)
            return v < 0 ? v - 0.05 : v + 0.05
        }
        let report = GradientCheck.run(ReLU(), input: Tensor(shape: [3, 20], data: values))
        #expect(report.worstInput < tolerance)
    }

    @Test func square() {
        check(Square(), [2, 3, 4, 4])
    }

    @Test func flatten() {
        check(Flatten(), [2, 3, 2, 2])
    }

    @Test func dropoutBackwardUsesTheForwardMask() {
        var g = Xoshiro256(seed: 11)
        let dropout = Dropout(0.5, generator: &g)
        let x = Tensor(shape: [4, 50], repeating: 2)
        let y = dropout.forward(x, training: true)
        let kept = y.data.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 4 })
        #expect(kept.count > 60 && kept.count < 140)
        let dx = dropout.backward(Tensor(shape: [4, 50], repeating: 1))
        #expect(dx.data == y.data.map { $0 / 2 })
        #expect(dropout.forward(x, training: false) == x)
    }

    @Test func residualBlockWithProjection() {
        var g = Xoshiro256(seed: 12)
        let block = Residual(
            main: Sequential([
                ("conv1", Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, bias: false, generator: &g)),
                ("bn1", BatchNorm2d(3)), (nil, Square()),
                ("conv2", Conv2d(3, 3, kernelSize: 3, padding: 1, bias: false, generator: &g)),
            ]),
            shortcut: Sequential([("0", Conv2d(2, 3, kernelSize: 1, stride: 2, bias: false, generator: &g))]),
            reluAfterAdd: false)
        check(block, [3, 2, 6, 6], scale: 0.5)
        #expect(
            block.namedParameters.map(\.0) == [
                "conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "shortcut.0.weight",
            ])
    }

    @Test func basicBlockWithIdentityShortcutAndReLU() {
        var g = Xoshiro256(seed: 15)
        let block = Residual(
            main: Sequential([
                ("conv1", Conv2d(2, 2, kernelSize: 3, padding: 1, bias: false, generator: &g)),
                (nil, Square()),
                ("conv2", Conv2d(2, 2, kernelSize: 3, padding: 1, bias: false, generator: &g)),
            ]),
            shortcut: nil, reluAfterAdd: true)
        check(block, [2, 2, 5, 5], seed: 16)
    }

    @Test func crossEntropyGradient() {
        var g = Xoshiro256(seed: 13)
        let logits = GradientCheck.randomTensor([3, 5], &g, scale: 2)
        let labels = [0, 3, 4]
        let (_, grad) = CrossEntropy.lossAndGradient(logits: logits, labels: labels)
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.data[i] += 1e-2
            minus.data[i] -= 1e-2
            let numeric =
                (CrossEntropy.lossAndGradient(logits: plus, labels: labels).loss
                    - CrossEntropy.lossAndGradient(logits: minus, labels: labels).loss) / 2e-2
            #expect(abs(numeric - Double(grad.data[i])) < 1e-3)
        }
    }

    /// The whole LeNet-5 (conv, pool, square, linear, relu) through cross-entropy, as the trainer uses it.
    ///
    /// Float rounding through two squares limits the finite differences, hence the looser bound than per layer.
    @Test func lenet5EndToEnd() {
        let model = Model(.lenet5MNIST, seed: 3)
        var g = Xoshiro256(seed: 14)
        let x = GradientCheck.randomTensor([2, 1, 28, 28], &g)
        let labels = [3, 7]
        model.parameters.forEach { $0.zeroGrad() }
        let (_, grad) = CrossEntropy.lossAndGradient(logits: model.forward(x, training: true), labels: labels)
        model.backward(grad)
        func loss() -> Double {
            CrossEntropy.lossAndGradient(logits: model.forward(x, training: true), labels: labels).loss
        }
        for (name, p) in model.namedParameters {
            let scale = p.grad.data.map { Double(abs($0)) }.max() ?? 1
            for _ in 0..<6 {
                let i = Int(g.next(upperBound: UInt64(p.value.count)))
                let original = p.value.data[i]
                p.value.data[i] = original + 1e-2
                let up = loss()
                p.value.data[i] = original - 1e-2
                let down = loss()
                p.value.data[i] = original
                let error = abs((up - down) / 2e-2 - Double(p.grad.data[i])) / max(scale, 1e-4)
                #expect(error < 6e-2, "\(name)[\(i)] relative error \(error)")
            }
        }
    }
}
