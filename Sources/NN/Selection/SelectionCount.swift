/// How many filters to select per layer (spec §7.1): a percentage of each layer, or an absolute first-layer count
/// grown by a summand or a factor for each following layer.
public enum SelectionCount: Hashable, Sendable {
    /// `n_l = max(1, ⌊N_l · percent / 100⌋)` for every layer (`--percent_factor`).
    case percent(Int)
    /// `n_first = first`, `n_{l+1} = n_l + add` (`--initial_layer_neurons`, `--add_factor`).
    case adding(first: Int, add: Int)
    /// `n_first = first`, `n_{l+1} = n_l · factor` (`--initial_layer_neurons`, `--multiply_factor`).
    case multiplying(first: Int, factor: Int)

    /// The counts for `layerSizes.count` consecutive layers.
    ///
    /// - Parameter layerSizes: output filters `N_l` of each layer to select in, first to last.
    /// - Returns: one count per layer.
    /// - Throws: ``NNError.invalidSelection(_:)`` when a percentage is outside 0...100 or a count is below 1 or
    ///   above its layer's width.
    public func counts(layerSizes: [Int]) throws -> [Int] {
        var counts: [Int] = []
        switch self {
        case .percent(let percent):
            guard (0...100).contains(percent) else {
                throw NNError.invalidSelection("selection percentage \(percent) outside 0...100")
            }
            counts = layerSizes.map { max(1, $0 * percent / 100) }
        case .adding(let first, let add):
            var n = first
            for _ in layerSizes {
                counts.append(n)
                n += add
            }
        case .multiplying(let first, let factor):
            var n = first
            for _ in layerSizes {
                counts.append(n)
                n *= factor
            }
        }
        for (index, (n, size)) in zip(counts, layerSizes).enumerated() where n < 1 || n > size {
            throw NNError.invalidSelection("selecting \(n) filters in selectable layer \(index + 1) of width \(size)")
        }
        return counts
    }
}
