extension Safetensors {
    /// A file holding a model's state dict as `F32` tensors, with PyTorch's `{"format": "pt"}` metadata.
    ///
    /// - Parameters:
    ///   - stateDict: `(name, tensor)` pairs, as ``Model/stateDict()`` returns them.
    ///   - metadata: the `__metadata__` map.
    public init(stateDict: [(String, Tensor)], metadata: [String: String] = ["format": "pt"]) {
        var tensors: [String: SafetensorsTensor] = [:]
        for (name, tensor) in stateDict {
            // The tensor's shape always matches its data, so this cannot throw.
            if let stored = try? SafetensorsTensor(floats: tensor.data, shape: tensor.shape) {
                tensors[name] = stored
            }
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// Every tensor converted to a `Float` ``Tensor``, by name (the input of ``Model/load(_:)``).
    ///
    /// - Parameter file: the file name for error messages.
    /// - Returns: name → tensor; a scalar (shape `[]`) becomes shape `[]` with one element.
    /// - Throws: ``DataFileError`` when a tensor's dtype cannot be converted to `Float`.
    public func floatTensors(file: String) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            result[name] = Tensor(shape: tensor.shape, data: try floats(name, file: file))
        }
        return result
    }
}
