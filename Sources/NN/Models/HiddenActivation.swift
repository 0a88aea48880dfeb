/// The activation after LeNet-5's hidden fully connected layers (fc1, fc2).
///
/// PrivDNN's models use ReLU there; the full-encryption ("CryptoNets-style") experiment of spec §9.9 needs a
/// model whose every activation is a polynomial, the original's `_cpp` checkpoint with Square after fc1 and fc2
/// (spec §3.1). Model files record the choice in their metadata under ``metadataKey``.
public enum HiddenActivation: String, Sendable, Codable, CaseIterable {
    /// `max(x, 0)`: the spec's default networks.
    case relu
    /// `x²`: every activation of the network is then evaluable under CKKS.
    case square

    /// The safetensors metadata key holding the choice (absent means ``relu``).
    public static let metadataKey = "fc_activation"

    /// The choice recorded in a model file's metadata.
    /// - Parameter metadata: the file's `__metadata__` map.
    /// - Returns: the activation, or `nil` for an unknown value.
    public static func recorded(in metadata: [String: String]) -> HiddenActivation? {
        guard let value = metadata[metadataKey] else { return .relu }
        return HiddenActivation(rawValue: value)
    }

    /// A fresh layer of this activation.
    func layer() -> any Layer {
        switch self {
        case .relu: ReLU()
        case .square: Square()
        }
    }
}
