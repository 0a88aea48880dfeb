import Foundation
import NN
import TestSupport
import Testing

/// `Model(contentsOf:architecture:)` and `Model.write(to:metadata:)`: the one reader and writer of model files.
@Suite struct ModelFileTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-model-\(UUID().uuidString)-\(name)")
    }

    @Test func squareModelReadsBackAsSquare() throws {
        let url = Self.temporary("square.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let model = Model(.lenet5MNIST, seed: 7, hiddenActivation: .square)
        try model.write(to: url, metadata: ["seed": "7"])
        for architecture in [nil, Architecture.lenet5MNIST] {
            let back = try Model(contentsOf: url, architecture: architecture)
            #expect(back.architecture == .lenet5MNIST)
            #expect(back.hiddenActivation == .square)
            #expect(back.stateDict().map(\.1.data) == model.stateDict().map(\.1.data))
        }
        let metadata = try Safetensors(contentsOf: url).metadata
        #expect(metadata == ["format": "pt", "architecture": "mnist", "fc_activation": "square", "seed": "7"])
    }

    @Test func committedSquareModelLoadsAsSquare() throws {
        let url = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist-square.safetensors")
        #expect(try Model(contentsOf: url).hiddenActivation == .square)
        #expect(try Model(contentsOf: url, architecture: .lenet5MNIST).hiddenActivation == .square)
    }

    /// A file with no metadata (a converted checkpoint) is recognised by its tensors, and loads as ReLU.
    @Test func networkIsFoundFromTheTensors() throws {
        let url = Self.temporary("bare.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors(stateDict: Model(.lenet5EMNIST, seed: 2).stateDict(), metadata: [:]).write(to: url)
        let back = try Model(contentsOf: url)
        #expect(back.architecture == .lenet5EMNIST)
        #expect(back.hiddenActivation == .relu)
    }

    @Test func refusalsNameTheFile() throws {
        let url = Self.temporary("bad.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors(stateDict: Model(.lenet5EMNIST).stateDict(), metadata: ["fc_activation": "tanh"]).write(to: url)
        #expect(
            throws: DataFileError(
                file: url.path, problem: "unknown fc_activation 'tanh' in the metadata (relu or square)")
        ) {
            try Model(contentsOf: url)
        }
        try Model(.lenet5EMNIST).write(to: url)
        #expect {
            try Model(contentsOf: url, architecture: .lenet5MNIST)
        } throws: { error in
            "\(error)".hasPrefix("\(url.path): does not fit the MNIST model: ")
        }
        var file = Safetensors(stateDict: Model(.lenet5MNIST).stateDict())
        file.tensors["extra"] = try SafetensorsTensor(floats: [1], shape: [1])
        try file.write(to: url)
        #expect {
            try Model(contentsOf: url)
        } throws: { error in
            "\(error)".hasPrefix("\(url.path): not a model of the five networks")
        }
    }
}
