import Foundation
import Testing

@testable import NN

/// The attacks on the larger networks: VGG16-CIFAR10's per-channel obscure convs (spec §3.4, §8.4 step 2, §8.6)
/// and input recovery through TinyImageNet's ResNet-18, whose conv2 opens a residual block.
@Suite struct AttackVGGTests {
    @Test func encryptedFiltersIncludeTheObscureKernelsOfSelectedConv2Channels() throws {
        let model = Model(.vgg16CIFAR10, seed: 1)
        let obscure = try #require(model.obscureLayer)
        let selection = try SelectedNeurons([1: [0], 2: [3, 5]])
        let encrypted = try EncryptedFilters(model, selection: selection)
        #expect(
            encrypted.parts.map(\.name) == [
                "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv2_obscure.3.weight",
                "conv2_obscure.5.weight",
            ])
        // conv1 filter: 3·3·3 weights + bias; conv2 filters: 64·3·3 + bias each; two 3×3 obscure kernels.
        #expect(encrypted.elementCount == 28 + 2 * 577 + 2 * 9)
        let untouched = obscure.kernels[4].value
        let before = obscure.kernels[3].value
        encrypted.reinitialise(seed: 9)
        #expect(obscure.kernels[4].value == untouched)
        #expect(obscure.kernels[3].value != before)
        #expect(obscure.kernels[3].value.data.allSatisfy { abs($0) <= 1.0 / 3 })

        // Obfuscation uses the network's own obscure layer instead of inserting one.
        let chain = try ObscuredChain(model)
        #expect(!chain.inserted && chain.obscure === obscure)
        // conv1, Square, conv2 | conv2_obscure | bn2, ReLU, MaxPool, ...
        #expect(chain.prefix.count == 3 && chain.suffix.count == model.network.entries.count - 4)
    }

    @Test func lenetGetsAnIdentityObscureLayer() throws {
        let model = Model(.lenet5MNIST, seed: 1)
        #expect(model.obscureLayer == nil)
        let chain = try ObscuredChain(model)
        #expect(chain.inserted && chain.obscure.channels == 16)
        let images = Tensor(shape: [2, 1, 28, 28], data: (0..<1568).map { Float($0 % 29) / 29 })
        let direct = model.logits(images)
        let through = chain.logits(chain.features(images))
        #expect(direct == through, "identity kernels leave the function unchanged")
    }

    @Test func inputRecoveryReachesConv2InsideTheResNetBlock() throws {
        let model = Model(.resNet18TinyImageNet, seed: 2)
        // Non-trivial running statistics, so that a training-mode BatchNorm would differ from the owner's view.
        guard let bn1 = model.network.entries.first(where: { $0.name == "bn1" })?.layer as? BatchNorm2d else {
            Issue.record("bn1 missing")
            return
        }
        bn1.runningMean.value.data = (0..<64).map { Float($0 % 7) * 0.05 }
        bn1.runningVar.value.data = (0..<64).map { 0.5 + Float($0 % 5) * 0.3 }
        let chain = try LayerChain.throughConv2(model)
        #expect(chain.count == 4 && chain.last === model.conv2)
        let images = Tensor(shape: [2, 3, 64, 64], data: (0..<(2 * 3 * 4096)).map { Float(($0 * 37) % 101) / 101 })
        let manual = model.conv2.forward(
            Square().forward(
                bn1.forward(model.conv1.forward(images, training: false), training: false), training: false),
            training: false)
        let viaChain = LayerChain.forward(chain, images, training: true)
        let worst = zip(manual.data, viaChain.data).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-4, "the frozen chain computes the evaluation-mode function (max diff \(worst))")

        let (result, _) = try InputRecoveryAttack(iterations: 5, learningRate: 0.02, blinding: false).run(
            model, channels: [1, 2], images: images, reference: images, normalization: .unit)
        #expect(result.meanSquaredError < result.initialMeanSquaredError)
    }
}
