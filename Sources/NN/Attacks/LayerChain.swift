/// Forward and backward through a run of layers taken out of a network (a prefix up to conv2, a suffix after
/// the obscure convs), for the attacks that need gradients with respect to an intermediate tensor or the input.
enum LayerChain {
    /// Runs `layers` in order.
    static func forward(_ layers: [any Layer], _ input: Tensor, training: Bool) -> Tensor {
        layers.reduce(input) { $1.forward($0, training: training) }
    }

    /// Back-propagates through the last training-mode ``forward(_:_:training:)`` of `layers`; returns dLoss/dInput.
    static func backward(_ layers: [any Layer], _ gradient: Tensor) -> Tensor {
        layers.reversed().reduce(gradient) { $1.backward($0) }
    }
}

extension LayerChain {
    /// The layers from the input through conv2, including a conv2 that opens a residual block (TinyImageNet's
    /// ResNet-18), with every BatchNorm frozen to its evaluation-mode affine map so that gradients with respect
    /// to the input see exactly the function the owner evaluates.
    /// - Parameter model: the model.
    /// - Returns: the chain, ending with conv2.
    /// - Throws: ``NNError/shapeMismatch(_:)`` if conv2 is neither top-level nor first in a residual block's path.
    static func throughConv2(_ model: Model) throws -> [any Layer] {
        var chain: [any Layer] = []
        for entry in model.network.entries {
            if entry.layer === model.conv2 { return chain.map(frozen) + [entry.layer] }
            if let block = entry.layer as? Residual,
                let index = block.main.entries.firstIndex(where: { $0.layer === model.conv2 })
            {
                return (chain + block.main.entries[0..<index].map(\.layer)).map(frozen) + [model.conv2]
            }
            chain.append(entry.layer)
        }
        throw NNError.shapeMismatch("\(model.architecture.datasetName): conv2 not found on the main path")
    }

    private static func frozen(_ layer: any Layer) -> any Layer {
        guard let norm = layer as? BatchNorm2d else { return layer }
        return FrozenBatchNorm(norm)
    }
}

/// A BatchNorm2d in evaluation mode as a per-channel affine map `y = x·scale + shift`, with a backward pass.
final class FrozenBatchNorm: Layer {
    let scale: [Float]
    let shift: [Float]

    init(_ norm: BatchNorm2d) {
        var scale = [Float](repeating: 1, count: norm.channels), shift = [Float](repeating: 0, count: norm.channels)
        for c in 0..<norm.channels {
            scale[c] = norm.weight.value.data[c] / (norm.runningVar.value.data[c] + norm.eps).squareRoot()
            shift[c] = norm.bias.value.data[c] - norm.runningMean.value.data[c] * scale[c]
        }
        self.scale = scale
        self.shift = shift
    }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        var y = input
        let c = scale.count, plane = input.shape[2] * input.shape[3]
        for i in y.data.indices { y.data[i] = y.data[i] * scale[(i / plane) % c] + shift[(i / plane) % c] }
        return y
    }

    func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        let c = scale.count, plane = g.shape[2] * g.shape[3]
        for i in g.data.indices { g.data[i] *= scale[(i / plane) % c] }
        return g
    }

    func outputShape(_ inputShape: [Int]) -> [Int]? { inputShape.count == 4 ? inputShape : nil }
}
