import Foundation

/// Model files: a safetensors state dict whose metadata records the network and its hidden activation. Every
/// reader and writer of model files in the package goes through these two entry points.
extension Model {
    /// Reads a model file: its tensors, and the hidden activation its metadata records (absent means ReLU).
    ///
    /// - Parameters:
    ///   - url: a safetensors file (ours, or a converted PrivDNN checkpoint).
    ///   - architecture: the network the file must hold; `nil` takes the one of the five networks whose tensors it
    ///     holds (the one its `architecture` metadata names is tried first).
    /// - Throws: ``DataFileError`` naming the file when it cannot be read, records an unknown hidden activation,
    ///   holds a non-finite weight, or does not fit `architecture` (any of the networks when `nil`).
    public convenience init(contentsOf url: URL, architecture: Architecture? = nil) throws {
        let path = url.path
        let file = try Safetensors(contentsOf: url)
        guard let hidden = HiddenActivation.recorded(in: file.metadata) else {
            throw DataFileError(
                file: path,
                problem:
                    "unknown \(HiddenActivation.metadataKey) '\(file.metadata[HiddenActivation.metadataKey] ?? "")' "
                    + "in the metadata (relu or square)")
        }
        let tensors = try file.floatTensors(file: path)
        let named = file.metadata["architecture"]
        let chosen = try architecture ?? Model.architecture(holding: tensors, hidden: hidden, named: named, path)
        self.init(chosen, hiddenActivation: hidden)
        do {
            try load(tensors)
        } catch let error as NNError {
            if case .nonFiniteTensor = error { throw DataFileError(file: path, problem: error.description) }
            throw DataFileError(file: path, problem: "does not fit the \(chosen.datasetName) model: \(error)")
        }
    }

    /// The network whose tensors `tensors` are: tries each (the named one first) on a scratch model.
    private static func architecture(
        holding tensors: [String: Tensor], hidden: HiddenActivation, named: String?, _ path: String
    ) throws -> Architecture {
        let named = named.flatMap(Architecture.init(rawValue:))
        let candidates = (named.map { [$0] } ?? []) + Architecture.allCases.filter { $0 != named }
        var lastError: NNError?
        for architecture in candidates {
            do {
                try Model(architecture, hiddenActivation: hidden).load(tensors)
                return architecture
            } catch let error as NNError {
                // A non-finite weight is the file's fault whatever the architecture: say so, naming the tensor.
                if case .nonFiniteTensor = error { throw DataFileError(file: path, problem: error.description) }
                lastError = error
            }
        }
        throw DataFileError(
            file: path, problem: "not a model of the five networks (\(lastError.map { "\($0)" } ?? "no tensors"))")
    }

    /// The model file's bytes: the state dict as `F32` tensors under PyTorch-compatible names, with `metadata` plus
    /// `format: pt`, the architecture and (when not ReLU) the hidden activation, so that
    /// ``init(contentsOf:architecture:)`` reads back the same network.
    /// - Parameter metadata: extra `__metadata__` entries (a training seed, a data set).
    /// - Returns: safetensors bytes.
    public func fileBytes(metadata: [String: String] = [:]) -> [UInt8] {
        file(metadata: metadata).serialized()
    }

    /// Writes ``fileBytes(metadata:)`` to `url` atomically, creating its folder.
    /// - Parameters:
    ///   - url: the file.
    ///   - metadata: extra `__metadata__` entries.
    /// - Throws: ``DataFileError`` if the file cannot be written.
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        try? FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try file(metadata: metadata).write(to: url)
    }

    private func file(metadata: [String: String]) -> Safetensors {
        var all = metadata
        all["format"] = "pt"
        all["architecture"] = architecture.rawValue
        all[HiddenActivation.metadataKey] = hiddenActivation == .relu ? nil : hiddenActivation.rawValue
        return Safetensors(stateDict: stateDict(), metadata: all)
    }
}
