/// A PrivDNN network: the layer graph of one ``Architecture`` with PyTorch state-dict names, the two
/// encryptable conv layers addressable by filter index, and batched evaluation.
///
/// Not thread-safe: a model object runs one pass at a time (each pass uses both cores internally).
public final class Model {
    /// Which of the five networks this is.
    public let architecture: Architecture
    /// The activation after the hidden FC layers (LeNet-5 only; ``HiddenActivation/relu`` for every other network).
    public let hiddenActivation: HiddenActivation
    /// The whole network; entry 0 is always `conv1`.
    public let network: Sequential
    /// The first encryptable conv layer.
    public let conv1: Conv2d
    /// The second encryptable conv layer.
    public let conv2: Conv2d

    /// Builds the network with PyTorch-style default initialisation drawn from `seed`.
    /// - Parameters:
    ///   - architecture: the network.
    ///   - seed: the initialisation seed (also seeds dropout).
    ///   - hiddenActivation: the activation after fc1/fc2 of the LeNet-5 networks (ignored by the others,
    ///     which are recorded as ``HiddenActivation/relu``).
    public init(_ architecture: Architecture, seed: UInt64 = 0, hiddenActivation: HiddenActivation = .relu) {
        self.architecture = architecture
        let lenet = architecture == .lenet5MNIST || architecture == .lenet5EMNIST
        self.hiddenActivation = lenet ? hiddenActivation : .relu
        var generator = Xoshiro256(seed: seed)
        network = Networks.build(architecture, hidden: self.hiddenActivation, generator: &generator)
        guard let first = network.entries.first?.layer as? Conv2d,
            let second = Model.findConv2(in: network)
        else { preconditionFailure("network \(architecture) lacks conv1/conv2") }
        conv1 = first
        conv2 = second
        // Nothing upstream of conv1 learns, so its backward skips dLoss/dImages.
        conv1.computesInputGradient = false
    }

    private static func findConv2(in sequential: Sequential) -> Conv2d? {
        for entry in sequential.entries {
            if entry.name == "conv2", let conv = entry.layer as? Conv2d { return conv }
            if let residual = entry.layer as? Residual, let found = findConv2(in: residual.main) { return found }
        }
        return nil
    }

    /// `[C, H, W]` of one input image.
    public var inputShape: [Int] { architecture.inputShape }

    /// The trainable tensors under their state-dict names, in registration order.
    public var namedParameters: [(String, Parameter)] { network.namedParameters }

    /// The trainable tensors alone.
    public var parameters: [Parameter] { namedParameters.map(\.1) }

    /// Every tensor a model file holds (parameters, then BatchNorm running statistics), by state-dict name.
    public var stateTensors: [(String, Parameter)] { network.namedParameters + network.namedBuffers }

    /// The total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// The model's tensors by name, ready to be written to a file.
    /// - Returns: `(name, tensor)` pairs in state-dict order.
    public func stateDict() -> [(String, Tensor)] {
        stateTensors.map { ($0.0, $0.1.value) }
    }

    /// Replaces every tensor from a file's contents.
    ///
    /// Names may be ours (`conv1.weight`) or the original checkpoint's module paths (`conv1_layers.0.layer.weight`,
    /// `fc1_layer.weight`, `batch_normal2_layer.running_mean`); `num_batches_tracked` entries are ignored.
    /// - Parameter tensors: name → tensor.
    /// - Throws: ``NNError/missingTensor(_:)``, ``NNError/unexpectedTensor(_:)`` or
    ///   ``NNError/tensorShape(name:expected:found:)`` when the tensors do not fit, and
    ///   ``NNError/nonFiniteTensor(name:index:value:)`` for a NaN or infinite weight, bias or BatchNorm statistic;
    ///   the model is then unchanged.
    public func load(_ tensors: [String: Tensor]) throws {
        var byName: [String: Tensor] = [:]
        // A NaN or infinity is refused before any shape is matched, whichever architecture the caller tries.
        for name in tensors.keys.sorted() where !name.hasSuffix("num_batches_tracked") {
            guard let tensor = tensors[name] else { continue }
            if let index = tensor.data.firstIndex(where: { !$0.isFinite }) {
                throw NNError.nonFiniteTensor(name: name, index: index, value: Double(tensor.data[index]))
            }
            byName[Model.canonicalName(name)] = tensor
        }
        let slots = stateTensors
        var updates: [(Parameter, Tensor)] = []
        for (name, parameter) in slots {
            guard let tensor = byName.removeValue(forKey: name) else { throw NNError.missingTensor(name) }
            guard tensor.shape == parameter.value.shape else {
                throw NNError.tensorShape(name: name, expected: parameter.value.shape, found: tensor.shape)
            }
            updates.append((parameter, tensor))
        }
        if let extra = byName.keys.sorted().first { throw NNError.unexpectedTensor(extra) }
        for (parameter, tensor) in updates { parameter.value = tensor }
    }

    /// Maps the original PrivDNN attribute paths onto our state-dict names.
    static func canonicalName(_ name: String) -> String {
        var parts = name.split(separator: ".").map(String.init)
        // conv1_layers.0.layer.weight → conv1.weight (index 0 is the full conv; 1... are unregistered copies).
        if parts.count >= 4, parts[0].hasSuffix("_layers"), parts[1] == "0", parts[2] == "layer" {
            parts = [String(parts[0].dropLast("_layers".count))] + parts[3...]
        }
        if let first = parts.first {
            if first.hasSuffix("_layer") && first.hasPrefix("fc") {
                parts[0] = String(first.dropLast("_layer".count))
            } else if first.hasPrefix("batch_normal") && first.hasSuffix("_layer") {
                parts[0] = "bn" + first.dropFirst("batch_normal".count).dropLast("_layer".count)
            }
        }
        return parts.joined(separator: ".")
    }

    // MARK: - Forward and backward

    /// Runs the network.
    /// - Parameters:
    ///   - images: `[N, C, H, W]`.
    ///   - training: training mode (batch statistics, dropout, caching for ``backward(_:)``).
    /// - Returns: logits `[N, classes]`.
    public func forward(_ images: Tensor, training: Bool) -> Tensor {
        network.forward(images, training: training)
    }

    /// Back-propagates dLoss/dLogits through the last training-mode forward, accumulating parameter gradients.
    /// - Parameter gradient: `[N, classes]`.
    public func backward(_ gradient: Tensor) {
        _ = network.backward(gradient)
    }

    /// Checks that `images` has this model's image shape.
    /// - Parameter images: a batch.
    /// - Throws: ``NNError/datasetMismatch(_:)``.
    public func validateInput(_ images: Tensor) throws {
        guard images.rank == 4, Array(images.shape.dropFirst()) == inputShape else {
            throw NNError.datasetMismatch(
                "images have shape \(Array(images.shape.dropFirst())), \(architecture.datasetName) needs \(inputShape)")
        }
    }

    /// Images per evaluation pass: all 5,000 at once for LeNet-5, fewer for the large networks.
    public var evaluationBatchSize: Int {
        switch architecture {
        case .lenet5MNIST, .lenet5EMNIST: 10_000
        case .alexNetGTSRB: 500
        case .vgg16CIFAR10: 250
        case .resNet18TinyImageNet: 64
        }
    }

    /// Evaluation-mode logits for any number of images, in passes of ``evaluationBatchSize``.
    /// - Parameter images: `[N, C, H, W]` of this model's image shape.
    /// - Returns: `[N, classes]`.
    public func logits(_ images: Tensor) -> Tensor {
        batched(images) { network.forward($0, training: false) }
    }

    /// Evaluation-mode raw conv1 outputs (before any filter mask), to be reused by ``logits(fromConv1:)``.
    /// - Parameter images: `[N, C, H, W]`.
    /// - Returns: conv1's output batch.
    public func conv1Outputs(_ images: Tensor) -> Tensor {
        let saved = conv1.outputMask
        conv1.outputMask = nil
        defer { conv1.outputMask = saved }
        return batched(images) { conv1.forward($0, training: false) }
    }

    /// Evaluation-mode logits from cached raw conv1 outputs, applying the current filter masks.
    /// - Parameter conv1Output: the result of ``conv1Outputs(_:)``.
    /// - Returns: `[N, classes]`.
    public func logits(fromConv1 conv1Output: Tensor) -> Tensor {
        batched(conv1Output) { chunk in
            var x = chunk
            if let mask = conv1.outputMask {
                let c = x.shape[1], plane = x.shape[2] * x.shape[3]
                for i in 0..<x.count where mask[(i / plane) % c] != 1 { x.data[i] *= mask[(i / plane) % c] }
            }
            return network.forward(x, from: 1, training: false)
        }
    }

    private func batched(_ input: Tensor, _ body: (Tensor) -> Tensor) -> Tensor {
        let n = input.shape[0], size = evaluationBatchSize
        if n <= size { return body(input) }
        var parts: [Tensor] = []
        var start = 0
        while start < n {
            parts.append(body(input.items(start..<min(n, start + size))))
            start += size
        }
        return Tensor.concatenate(parts)
    }

    // MARK: - Filter masks (spec §5)

    /// Applies a selection in "separate" or "remove" form to conv1/conv2, replacing any previous masks.
    /// - Parameters:
    ///   - selection: layer (1 or 2) → filter indices.
    ///   - mode: ``FilterMaskMode/separate`` (A_s) or ``FilterMaskMode/remove`` (A_r).
    /// - Throws: ``NNError/invalidSelection(_:)`` for a layer other than 1/2 or a filter index out of range.
    public func applyMask(_ selection: SelectedNeurons, mode: FilterMaskMode) throws {
        for (layer, filters) in selection.layers {
            guard layer == 1 || layer == 2 else {
                throw NNError.invalidSelection("layer \(layer) is not encryptable (only 1 and 2)")
            }
            let count = layer == 1 ? conv1.outChannels : conv2.outChannels
            if let bad = filters.first(where: { $0 < 0 || $0 >= count }) {
                throw NNError.invalidSelection("layer \(layer) has filters 0..<\(count), got \(bad)")
            }
        }
        clearMasks()
        switch mode {
        case .remove:
            for (layer, filters) in selection.layers where !filters.isEmpty {
                let conv = layer == 1 ? conv1 : conv2
                var mask = [Float](repeating: 1, count: conv.outChannels)
                for f in filters { mask[f] = 0 }
                conv.outputMask = mask
            }
        case .separate:
            // Only the consecutive pair (1, 2) exists among encryptable layers.
            guard let encryptedInputs = selection.layers[1], let encryptedOutputs = selection.layers[2] else {
                return
            }
            let kept = Set(encryptedOutputs)
            let taps = conv2.kernelSize * conv2.kernelSize, cin = conv2.inChannels
            var mask = [Float](repeating: 1, count: conv2.weight.value.count)
            for o in 0..<conv2.outChannels where !kept.contains(o) {
                for i in encryptedInputs {
                    let base = (o * cin + i) * taps
                    for t in 0..<taps { mask[base + t] = 0 }
                }
            }
            conv2.weightMask = mask
        }
    }

    /// Removes every filter mask: the model computes A_o again.
    public func clearMasks() {
        conv1.outputMask = nil
        conv1.weightMask = nil
        conv2.outputMask = nil
        conv2.weightMask = nil
    }
}
