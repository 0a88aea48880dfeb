import Foundation
import NN
import Testing

@testable import Tool

/// `privdnn demo --full-baseline` and `privdnn train --fc-activation`.
@Suite struct FullBaselineCommandTests {
    @Test func demoBaselineChoices() throws {
        let plain = try #require(try PrivDNNCommand.parseAsRoot(["demo"]) as? DemoCommand)
        #expect(plain.fullBaseline == .estimate && !plain.noBaseline)
        let run = try #require(
            try PrivDNNCommand.parseAsRoot(["demo", "--full-baseline", "run", "--square-model", "sq.safetensors"])
                as? DemoCommand)
        #expect(run.fullBaseline == .run && run.squareModel == "sq.safetensors")
        #expect(throws: (any Error).self) { try PrivDNNCommand.parseAsRoot(["demo", "--full-baseline", "maybe"]) }
    }

    @Test func realRunNamesAMissingSquareModel() throws {
        let missing = "/nonexistent/square.safetensors"
        let error = #expect(throws: ToolError.self) {
            try FullBaseline.make(
                .run, squareModel: missing,
                images: try LabeledImages(
                    count: 0, channels: 1, height: 28, width: 28, pixels: [], labels: [], labelNames: ["0"]))
        }
        #expect(String(describing: error).contains(missing))
    }

    @Test func trainSquareActivationOnlyForLeNet() throws {
        let ok = try #require(
            try PrivDNNCommand.parseAsRoot(["train", "--dataset", "mnist", "--fc-activation", "square"])
                as? TrainCommand)
        #expect(ok.fcActivation == .square)
        #expect(throws: (any Error).self) {
            try PrivDNNCommand.parseAsRoot(["train", "--dataset", "cifar10", "--fc-activation", "square"])
        }
    }
}
