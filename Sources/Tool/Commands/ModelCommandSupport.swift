import ArgumentParser
import Foundation
import NN

extension Dataset: ExpressibleByArgument {
    /// Parses `mnist`, `EMNIST`, `cifar-10`, ... case-insensitively.
    public init?(argument: String) {
        self.init(name: argument)
    }
}

extension Dataset.Subset: ExpressibleByArgument {}

extension HiddenActivation: ExpressibleByArgument {}

/// Loading and saving model files (safetensors state dicts) for the NN commands.
enum ModelFiles {
    /// Reads `path` into a fresh model of `architecture`.
    /// - Throws: ``ToolError`` naming the file when it is unreadable or its tensors do not fit.
    static func load(_ path: String, architecture: Architecture) throws -> Model {
        let url = URL(fileURLWithPath: path)
        do {
            let file = try Safetensors(contentsOf: url)
            guard let hidden = HiddenActivation.recorded(in: file.metadata) else {
                throw ToolError(
                    "\(path): unknown \(HiddenActivation.metadataKey) "
                        + "'\(file.metadata[HiddenActivation.metadataKey] ?? "")' in the metadata (relu or square)")
            }
            let model = Model(architecture, hiddenActivation: hidden)
            try model.load(try file.floatTensors(file: path))
            return model
        } catch let error as NNError {
            if case .nonFiniteTensor = error { throw ToolError("\(path): \(error)") }
            throw ToolError("\(path): does not fit the \(architecture.datasetName) model: \(error)")
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
    }

    /// Writes `model`'s state dict to `path` (PyTorch-compatible names, `F32`), with `metadata`.
    static func save(_ model: Model, to path: String, metadata: [String: String]) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var all = metadata
        all["format"] = "pt"
        all["architecture"] = model.architecture.rawValue
        if model.hiddenActivation != .relu { all[HiddenActivation.metadataKey] = model.hiddenActivation.rawValue }
        try Safetensors(stateDict: model.stateDict(), metadata: all).write(to: url)
    }

    /// One JSON object on one line (sorted keys, so output is stable).
    static func jsonLine(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
