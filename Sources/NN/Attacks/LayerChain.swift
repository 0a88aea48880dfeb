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
