import Foundation
import NN
import PrivateInference
import TestSupport
import Testing

@testable import Tool

/// `privdnn demo --one-image run`: PrivDNN's pixels packing and the data-encrypted one-image run on the same real
/// MNIST test image, with the real parameters (N = 16384 for data encryption), as the demo runs them.
@Suite struct OneImageComparisonTests {
    @Test func demoOptionDefaultsToRun() throws {
        let demo = try #require(try PrivDNNCommand.parseAsRoot(["demo"]) as? DemoCommand)
        #expect(demo.oneImage == .run)
        let none = try #require(try PrivDNNCommand.parseAsRoot(["demo", "--one-image", "none"]) as? DemoCommand)
        #expect(none.oneImage == .none)
    }

    @Test func bothOneImageRunsAgreeWithTheirPlaintextModels() throws {
        let root = RepositoryPaths.root
        let test = try Dataset.mnist.load(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
        let comparison = try #require(
            try OneImageComparison.make(
                .run, modelURL: root.appendingPathComponent("models/lenet5-mnist.safetensors"),
                selection: try SelectedNeurons([1: [0], 2: [0]]), preset: .auto,
                squareModel: root.appendingPathComponent("models/lenet5-mnist-square.safetensors").path,
                images: test.subset([0, 1])))
        #expect(comparison.partial.images == 1 && comparison.partial.packing == .pixels)
        #expect(comparison.partial.agreement == 100)
        let data = try #require(comparison.data)
        #expect(data.images == 1 && data.packing == .pixels && data.degree == 16384)
        #expect(data.agreement == 100)
        #expect(data.secondsPerImage > 0 && data.galoisKeyBytes > 0)
        let json = comparison.json
        for key in [
            "one_image_seconds", "one_image_seconds_exchange", "one_image_peak_bytes", "one_image_wire_bytes",
            "data_encrypted_one_image_seconds", "data_encrypted_one_image_peak_bytes", "one_image_cpu_seconds",
            "data_encrypted_one_image_cpu_seconds",
            "data_encrypted_one_image_wire_bytes", "saving_vs_data_encrypted_one_image_time_percent",
        ] {
            #expect(json[key] != nil, "\(key)")
        }
        #expect(comparison.partialSeconds > 0 && comparison.partialSeconds < comparison.partial.secondsExchange)
        #expect(comparison.summary.count >= 3)
        #expect(
            try OneImageComparison.make(
                .none, modelURL: root, selection: try SelectedNeurons([1: [0], 2: [0]]), preset: .auto,
                squareModel: nil, images: test.subset([0])) == nil)
    }
}
