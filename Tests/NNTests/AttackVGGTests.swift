import Foundation
import Testing

@testable import NN

/// The attacks' handling of VGG16-CIFAR10's per-channel obscure convs (spec §3.4, §8.4 step 2, §8.6).
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
}
