import Foundation
import NN
import Testing

/// Input recovery by the owner from decrypted conv2 channels (spec §8.5), measured on real MNIST.
@Suite(.serialized) struct AttackInputRecoveryTests {
    @Test func errorFallsAsTheOwnerSeesMoreChannels() throws {
        let model = try AttackFixtures.trainedModel()
        let data = try AttackFixtures.data
        let images = data.test.images.items(0..<32)
        let attack = InputRecoveryAttack(iterations: 250)
        var errors: [Double] = []
        for channels in [[0], [0, 5, 10, 15], Array(0..<16)] {
            let (result, reconstruction) = try attack.run(
                model, channels: channels, images: images, reference: data.validate.images.items(0..<500),
                normalization: .unit)
            #expect(result.observedChannels == channels)
            #expect(reconstruction.shape == images.shape)
            #expect(reconstruction.data.allSatisfy { $0 >= 0 && $0 <= 1 }, "projected into the pixel range")
            #expect(result.meanSquaredError < result.initialMeanSquaredError)
            // The owner's rescale undoes the user's blinding to within a few percent on MNIST.
            #expect((result.blindingEstimateError ?? 1) < 0.15)
            errors.append(result.meanSquaredError)
        }
        #expect(errors[0] > errors[1] && errors[1] > errors[2], "errors \(errors)")
        #expect(!model.conv1.computesInputGradient, "the model's own setting is restored")
        #expect(errors[2] < 0.02, "16 channels reconstruct the digits (PSNR > 17 dB)")
    }

    @Test func withoutBlindingNoEstimateIsReportedAndBadChannelsAreRejected() throws {
        let model = try AttackFixtures.trainedModel()
        let images = try AttackFixtures.data.test.images.items(0..<8)
        let attack = InputRecoveryAttack(iterations: 20, blinding: false)
        let (result, _) = try attack.run(
            model, channels: [3], images: images, reference: images, normalization: .unit)
        #expect(result.blindingEstimateError == nil)
        #expect(result.iterations == 20 && result.images == 8)
        #expect(throws: NNError.self) {
            try attack.run(model, channels: [16], images: images, reference: images, normalization: .unit)
        }
        #expect(throws: NNError.self) {
            try attack.run(model, channels: [], images: images, reference: images, normalization: .unit)
        }
    }
}
