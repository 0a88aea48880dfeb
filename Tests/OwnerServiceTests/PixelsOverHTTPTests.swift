import CKKS
import Foundation
import NN
import OwnerService
import TestSupport
import Testing

@testable import PrivateInference

/// An app's path for one picture at a time, over the real service on loopback: the user fetches a pixels package
/// (no key store on the user's side, only the downloaded directory), loads it once in a ``UserSession`` and sends
/// one image per request; every prediction equals the separate model's, and the owner counts one image's output
/// ciphertexts against the user and the key.
@Suite struct PixelsOverHTTPTests {
    @Test func onePictureAtATimeThroughTheService() async throws {
        let f = try ServiceFixture.get()
        // A pixels package of its own (its own key), served next to the fixture's from the same folder.
        let id = "pixels-\(UUID().uuidString.prefix(8))"
        let model = f.scratch().appendingPathComponent("model.safetensors")
        try Data(Model(.lenet5MNIST, seed: 7).fileBytes()).write(to: model)
        let selection = try SelectedNeurons([1: [3], 2: [1, 5]])
        _ = try OwnerRole.package(
            modelURL: model, selection: selection, out: f.packages.appendingPathComponent(id), preset: .auto,
            keys: f.keys,
            parameters: try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [60, 60, 60, 60, 60, 60]),
            security: .none, packings: [.pixels])
        let service = try await f.start()
        let (name, token) = try f.user()
        let client = OwnerClient(owner: try #require(URL(string: "http://127.0.0.1:\(service.port)")), token: token)
        let fetched = f.scratch().appendingPathComponent("pkg")
        _ = try await blocking { try client.fetchPackage(id: id, to: fetched) }
        let session = try UserSession(package: fetched)
        let outputs = try #require(session.pkg.pixels?.layout.outputs)
        let images = try Dataset.mnist.load(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
            .subset(Array(0..<3))
        let separate = try Model(contentsOf: model)
        try separate.applyMask(selection, mode: .separate)
        let expected = ServiceFixture.predictions(
            separate.network.forward(
                Tensor(shape: [3, 1, 28, 28], data: images.floats(at: 0..<3, normalization: .unit)), training: false))
        for i in 0..<3 {
            let picture = Array(images.pixels[(i * 784)..<((i + 1) * 784)])
            let result = try await blocking {
                try session.classify(pixels: picture, count: 1) { request, response, _, _, _ in
                    _ = try client.decrypt(chunk: request, response: response)
                }
            }
            #expect(result.packing == .pixels && result.chunks == 1)
            #expect(ServiceFixture.predictions(result.logits) == [expected[i]])
        }
        #expect(try f.stored(name)?.decrypted == 3 * outputs)
        #expect(
            try ServiceFixture.keyCount(keys: f.keys, package: f.packages.appendingPathComponent(id)) == 3 * outputs)
        await service.stop()
    }
}
