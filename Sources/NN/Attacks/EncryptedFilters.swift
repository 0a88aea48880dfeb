/// The trainable elements a thief lacks: the encrypted (selected) filters of conv1/conv2, weights and biases, and
/// for VGG16-CIFAR10 the obscure kernels of the selected conv2 channels (spec §8.4 step 2).
public struct EncryptedFilters {
    /// A tensor that holds encrypted elements, with a flag per element.
    public struct Part {
        /// The model tensor.
        public let parameter: Parameter
        /// `true` for each element the thief does not have.
        public let encrypted: [Bool]
        /// The state-dict name of the tensor.
        public let name: String
        /// PyTorch's default-initialisation bound for these elements, 1/√fan_in.
        public let bound: Float
    }

    /// The tensors touched by the selection, each with its encrypted elements marked.
    public let parts: [Part]

    /// Marks the encrypted elements of `model` under `selection`.
    /// - Parameters:
    ///   - model: the model (not modified).
    ///   - selection: layer (1 or 2) → filter indices.
    /// - Throws: ``NNError/shapeMismatch(_:)`` for a layer other than 1/2 or a filter out of range.
    public init(_ model: Model, selection: SelectedNeurons) throws {
        try model.validate(selection)
        var parts: [Part] = []
        for (layer, conv) in [(1, model.conv1), (2, model.conv2)] {
            let filters = selection[layer]
            if filters.isEmpty { continue }
            let name = layer == 1 ? "conv1" : "conv2"
            let fanIn = conv.inChannels * conv.kernelSize * conv.kernelSize
            let bound = 1 / Float(fanIn).squareRoot()
            var rows = [Bool](repeating: false, count: conv.weight.value.count)
            for f in filters { for i in f * fanIn..<(f + 1) * fanIn { rows[i] = true } }
            parts.append(
                Part(parameter: conv.weight, encrypted: rows, name: name + ".weight", bound: bound))
            if let bias = conv.bias {
                var flags = [Bool](repeating: false, count: conv.outChannels)
                for f in filters { flags[f] = true }
                parts.append(Part(parameter: bias, encrypted: flags, name: name + ".bias", bound: bound))
            }
            if layer == 2, let obscure = model.obscureLayer {
                for f in filters {
                    let kernel = obscure.kernels[f]
                    parts.append(
                        Part(
                            parameter: kernel, encrypted: [Bool](repeating: true, count: kernel.value.count),
                            name: "conv2_obscure.\(f).weight", bound: 1 / Float(obscure.kernelSize)))
                }
            }
        }
        self.parts = parts
    }

    /// The number of encrypted scalars.
    public var elementCount: Int { parts.reduce(0) { $0 + $1.encrypted.filter { $0 }.count } }

    /// Replaces every encrypted element with a fresh PyTorch-default draw; other elements are kept.
    ///
    /// The draw is uniform in ±1/√fan_in: for a conv filter fan_in is `in·k·k`, with the same bound for its
    /// bias; for a 1→1 obscure kernel the bound is 1/k.
    /// - Parameter seed: seeds the draw.
    public func reinitialise(seed: UInt64) {
        var generator = Xoshiro256(seed: seed ^ 0x5245_494E_4954_0000)  // "REINIT"
        for part in parts {
            for i in part.encrypted.indices where part.encrypted[i] {
                part.parameter.value.data[i] = generator.nextSymmetric(part.bound)
            }
        }
    }

    /// Step multipliers for a ``TwoGroupOptimizer``: `ratio` on encrypted elements, `other` elsewhere.
    /// - Parameters:
    ///   - ratio: the recover group's rate relative to the other group's (10 in PrivDNN).
    ///   - other: the other elements' multiplier (1, or 0 to train only the recover group).
    /// - Returns: one entry per part.
    public func multipliers(ratio: Float, other: Float = 1) -> [(
        parameter: Parameter, multipliers: [Float]
    )] {
        parts.map { part in (part.parameter, part.encrypted.map { $0 ? ratio : other }) }
    }
}

extension Model {
    /// The per-channel obscure convs after conv2 (VGG16-CIFAR10's `conv2_obscure`), if the network has them.
    public var obscureLayer: DepthwiseConv2d? {
        network.entries.first { $0.name == "conv2_obscure" }?.layer as? DepthwiseConv2d
    }

    /// Checks that a selection names only the encryptable layers 1/2 and existing filters.
    /// - Parameter selection: the selection.
    /// - Throws: ``NNError/shapeMismatch(_:)`` naming the layer or filter.
    public func validate(_ selection: SelectedNeurons) throws {
        try selection.validate(layerSizes: [conv1.outChannels, conv2.outChannels])
    }
}
