/// Which filters of the encryptable layers are selected (encrypted): layer number (1 = conv1, 2 = conv2) →
/// filter indices from 0. The JSON shape of PrivDNN's `selected_neurons.json` is `{"1": [..], "2": [..]}`.
public struct FilterSelection: Sendable, Hashable, Codable {
    /// Layer number → selected filter indices.
    public var filters: [Int: [Int]]

    /// Wraps a layer → filters map.
    /// - Parameter filters: the selection.
    public init(_ filters: [Int: [Int]]) {
        self.filters = filters
    }

    /// The selected filters of `layer` (empty if the layer is not in the selection).
    /// - Parameter layer: 1 or 2.
    /// - Returns: the filter indices.
    public subscript(layer: Int) -> [Int] { filters[layer] ?? [] }
}

/// How a selection changes the plaintext forward pass (spec §5).
public enum FilterMaskMode: String, Sendable, CaseIterable, Codable {
    /// A_s, the deployed model: plaintext conv2 filters lose their inputs from selected conv1 filters
    /// (`W₂[o, i] = 0` for unselected `o` and selected `i`); selected conv2 filters keep every input.
    case separate
    /// A_r, the thief's view: selected filters' outputs (after the bias) are zeroed.
    case remove
}

extension FilterSelection {
    /// `percent` % of conv1's and of conv2's filters (at least one each), the strongest by L2 norm (pruning
    /// selection, spec §7.4).
    /// - Parameters:
    ///   - model: the model whose filters are ranked.
    ///   - percent: the share of each layer's filters, in (0, 100].
    /// - Returns: the selection.
    public static func pruning(_ model: Model, percent: Double) -> FilterSelection {
        func strongest(_ conv: Conv2d) -> [Int] {
            let size = conv.weight.value.count / conv.outChannels
            let filters = (0..<conv.outChannels).map { Array(conv.weight.value.data[($0 * size)..<(($0 + 1) * size)]) }
            let count = max(1, Int((Double(conv.outChannels) * percent / 100).rounded()))
            return PruningCriterion.l2.strongest(count, of: filters)
        }
        return FilterSelection([1: strongest(model.conv1), 2: strongest(model.conv2)])
    }
}
