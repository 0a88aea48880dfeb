extension Model {
    /// Evaluation-mode outputs of conv1 (`layer` 1) or conv2 (`layer` 2) with no filter mask anywhere: what a
    /// PyTorch forward hook on the conv module sees in the unmodified network (HRank's hook, spec §7.4).
    ///
    /// Any masks set on the model are put back afterwards.
    /// - Parameters:
    ///   - layer: 1 or 2.
    ///   - images: `[N, C, H, W]` of this model's image shape.
    /// - Returns: `[N, filters, H', W']`.
    /// - Throws: ``NNError/invalidSelection(_:)`` for another layer, ``NNError/datasetMismatch(_:)`` for images of
    ///   another shape.
    public func rawConvOutputs(layer: Int, images: Tensor) throws -> Tensor {
        guard layer == 1 || layer == 2 else {
            throw NNError.invalidSelection("layer \(layer) is not encryptable (only 1 and 2)")
        }
        try validateInput(images)
        let saved = (conv1.outputMask, conv1.weightMask, conv2.outputMask, conv2.weightMask)
        clearMasks()
        defer { (conv1.outputMask, conv1.weightMask, conv2.outputMask, conv2.weightMask) = saved }
        if layer == 1 { return conv1.forward(images, training: false) }
        guard let output = Self.output(of: conv2, in: network, input: images) else {
            preconditionFailure("conv2 is not reachable in \(architecture)")
        }
        return output
    }

    /// Runs `sequential` up to and including `target` and returns `target`'s output, looking inside residual
    /// blocks' main branches (ResNet-18's conv2 sits in the stem block); `nil` if `target` is not there.
    private static func output(of target: Conv2d, in sequential: Sequential, input: Tensor) -> Tensor? {
        var x = input
        for entry in sequential.entries {
            if entry.layer === target { return target.forward(x, training: false) }
            if let residual = entry.layer as? Residual, let found = output(of: target, in: residual.main, input: x) {
                return found
            }
            x = entry.layer.forward(x, training: false)
        }
        return nil
    }
}
