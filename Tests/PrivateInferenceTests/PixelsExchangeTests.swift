import CKKS
import Foundation
import NN
import Testing

@testable import PrivateInference

/// The pixels packing through the two-party exchange on real MNIST images: package files, requests of one image per
/// chunk, the owner's checked and counted decryption, the user's finish; against the batch packing and the separate
/// model.
///
/// N = 4096 (toy ring, no security).
@Suite struct PixelsExchangeTests {
    static let selection: [Int: [Int]] = [1: [2], 2: [0, 7]]

    /// Both packings predict what the separate model predicts, on the same images, and the pixels requests are
    /// one chunk per image.
    @Test func pixelsAndBatchAgreeWithTheSeparateModel() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = try EncryptedPipelineTests.images(3)
        let model = try EncryptedProtocolTests.modelFile(dir)
        func run(_ packing: Packing?) throws -> InferenceReport {
            try ExchangeRun.run(
                modelURL: model, selection: SelectedNeurons(Self.selection), images: images,
                parameters: try EncryptedProtocolTests.smallParameters(), security: .none, packing: packing)
        }
        let pixels = try run(nil), batch = try run(.batch)
        #expect(pixels.packing == .pixels && pixels.chunks == 3)  // automatic for 3 images
        #expect(batch.packing == .batch)
        for report in [pixels, batch] {
            #expect(report.agreement == 100)
            #expect(report.maxLogitDifference < 1e-2)
            #expect(report.accuracyEncrypted == report.accuracySeparate)
        }
        #expect(pixels.requestBytes < batch.requestBytes)
    }

    /// A package holding both packings: one image goes as a pixels request (the automatic choice), the owner counts
    /// its output ciphertexts, and the logits equal the separate model's; a pixels request is refused by a key whose
    /// package holds only the batch packing, and a request of the wrong size is refused before anything is counted.
    @Test func oneImageThroughTheFiles() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = try EncryptedProtocolTests.modelFile(dir)
        let keys = dir.appendingPathComponent("owner-keys"), package = dir.appendingPathComponent("pkg")
        let selection = try SelectedNeurons(Self.selection)
        _ = try OwnerRole.package(
            modelURL: modelURL, selection: selection, out: package, preset: .auto, keys: keys,
            parameters: try EncryptedProtocolTests.smallParameters(), security: .none, packings: [.pixels, .batch])
        let names = try FileManager.default.contentsOfDirectory(atPath: package.path)
        #expect(names.contains(PackageFiles.galoisKeys) && names.contains(PackageFiles.pixelsOutput(0)))
        #expect(names.contains(PackageFiles.part(layer: 2, filter: 7, part: 0)))
        let session = try UserSession(package: package)
        #expect(session.packings == [.batch, .pixels])
        let layout = try #require(session.pkg.pixels?.layout)
        let images = try EncryptedPipelineTests.images(2)
        let one = Array(images.pixels[..<session.imageBytes])
        let request = dir.appendingPathComponent("req"), response = dir.appendingPathComponent("resp")
        _ = try session.writeRequest(pixels: one, count: 1, out: request)
        let chunk = try ExchangeFile.read(ChunkDirectory.url(request, 0), kind: .request)
        #expect(chunk.header.fields["packing"] == "pixels")
        #expect(chunk.payload.count == layout.outputs * 2 * PipelineLevels.finalPrimes * 4096 * 8)
        let decryption = try OwnerRole.decrypt(keys: keys, request: request, response: response)
        #expect(decryption.used == layout.outputs)
        let logits = try session.finish(request: request, response: response)
        let model = try Model(contentsOf: modelURL)
        try model.applyMask(selection, mode: .separate)
        let x = Tensor(shape: [1, 1, 28, 28], data: images.floats(at: 0..<1, normalization: .unit))
        let expected = model.network.forward(x, training: false).data
        #expect(logits.shape == [1, 10])
        #expect(zip(logits.data, expected).allSatisfy { abs($0 - $1) < 1e-2 })

        // The same image through a batch-only package's key: its record refuses the pixels chunk.
        let batchOnly = dir.appendingPathComponent("batch-pkg")
        _ = try OwnerRole.package(
            modelURL: modelURL, selection: selection, out: batchOnly, preset: .auto, keys: keys,
            parameters: try EncryptedProtocolTests.smallParameters(), security: .none)
        #expect(throws: InferenceError.self) {
            try UserSession(package: batchOnly).writeRequest(pixels: one, count: 1, out: request, packing: .pixels)
        }
        let forged = dir.appendingPathComponent("forged")
        _ = try UserSession(package: package).writeRequest(pixels: one, count: 1, out: forged)
        var file = try ExchangeFile.read(ChunkDirectory.url(forged, 0), kind: .request)
        // The header's fields are not in the payload hash: a user can rewrite them freely.
        file.header.fields["keyID"] = try UserRole.readManifest(batchOnly).keyID
        file.header.fields["packageHash"] = try UserSession(package: batchOnly).pkg.manifestHash
        _ = try file.write(to: ChunkDirectory.url(forged, 0))
        let refused = try OwnerKeyStore.load(try EncryptedProtocolTests.keyDirectory(keys, package: batchOnly))
        #expect(throws: InferenceError.self) {
            try OwnerRole.decrypt(keys: keys, request: forged, response: dir.appendingPathComponent("r2"))
        }
        // A pixels chunk one ciphertext short is refused too; neither refusal counted anything.
        _ = try session.writeRequest(pixels: one, count: 1, out: forged)
        file = try ExchangeFile.read(ChunkDirectory.url(forged, 0), kind: .request)
        _ = try ExchangeFile(
            kind: .request, parmsID: file.header.parmsID, fields: file.header.fields,
            payload: Array(file.payload.dropLast(2 * PipelineLevels.finalPrimes * 4096 * 8))
        ).write(to: ChunkDirectory.url(forged, 0))
        #expect(throws: InferenceError.self) {
            try OwnerRole.decrypt(keys: keys, request: forged, response: dir.appendingPathComponent("r3"))
        }
        let counted = { (dir: URL) in
            try JSONDecoder().decode(DecryptionBudget.self, from: Data(contentsOf: DecryptionBudget.url(dir))).decrypted
        }
        #expect(try counted(refused.dir) == 0)
        #expect(try counted(try EncryptedProtocolTests.keyDirectory(keys, package: package)) == layout.outputs)
    }

    /// The Galois keys are bound to the package: a key file whose header was changed (here its steps) is refused on
    /// loading, naming it.
    @Test func galoisKeysForOtherStepsAreRefused() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: try EncryptedProtocolTests.modelFile(dir), selection: SelectedNeurons(Self.selection),
            out: package, preset: .auto, keys: dir.appendingPathComponent("keys"),
            parameters: try EncryptedProtocolTests.smallParameters(), security: .none, packings: [.pixels])
        let url = package.appendingPathComponent(PackageFiles.galoisKeys)
        var file = try ExchangeFile.read(url, kind: .galoisKeys)
        file.header.fields["steps"] = "1"
        _ = try file.write(to: url)
        #expect(throws: InferenceError.badFile(path: url.path, reason: "content hash differs from the manifest")) {
            try UserSession(package: package)
        }
    }
}
