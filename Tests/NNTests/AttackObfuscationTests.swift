import Foundation
import NN
import Testing

/// Polymorphic obfuscation (spec §8.6), generalised to LeNet-5 on real MNIST.
@Suite(.serialized) struct AttackObfuscationTests {
    @Test func variantsDifferAndRecoverTheirAccuracy() throws {
        let model = try AttackFixtures.trainedModel()
        let data = try AttackFixtures.data
        let before = model.stateDict()
        let plain = try model.evaluate(images: data.test.images, labels: data.test.labels).accuracy
        let channels = [0, 1, 2, 3, 4, 5, 6, 7]
        let result = try PolymorphicObfuscation(epochs: 3, learningRate: 1e-2, variants: 2, seed: 4).run(
            model, channels: channels, train: data.validate, test: data.test)
        #expect(result.inserted, "LeNet-5 has no obscure convs; identity ones are inserted")
        #expect(result.originalAccuracy == plain, "identity obscure convs do not change the model")
        #expect(result.variants.count == 2)
        for variant in result.variants {
            #expect(variant.randomisedAccuracy < plain - 3, "random kernels break the encrypted channels")
            #expect(variant.retrainedAccuracy > variant.randomisedAccuracy + 3)
            #expect(variant.retrainedAccuracy > plain - 2)
            #expect(variant.kernels.count == channels.count && variant.kernels.allSatisfy { $0.count == 9 })
        }
        #expect(result.kernelDistance > 0.3, "each user gets different kernels")
        #expect(model.stateDict().map(\.1) == before.map(\.1), "the owner's model is left as it was")
    }
}
