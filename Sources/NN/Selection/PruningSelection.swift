/// Pruning selection (spec §7.4, `select_neurons_v3`), which costs no evaluation.
///
/// Each layer independently keeps its `n_l` strongest filters under a data-free criterion (the closing test
/// adds three evaluations).
public struct PruningSelection: Sendable {
    /// Filters to select per layer, from ``firstLayer`` on.
    public var counts: [Int]
    /// The first layer to select in.
    public var firstLayer: Int
    /// L2 norm (PFEC, the one the original wires to the CLI), FPGM or HRank.
    public var criterion: PruningCriterion
    /// HRank's average feature-map ranks per layer (``FeatureMapRanks``); the weight criteria ignore them.
    public var featureMapRanks: [Int: [Double]]

    /// Configures a pruning selection.
    public init(
        counts: [Int], criterion: PruningCriterion = .l2, firstLayer: Int = 1, featureMapRanks: [Int: [Double]] = [:]
    ) {
        self.counts = counts
        self.criterion = criterion
        self.firstLayer = firstLayer
        self.featureMapRanks = featureMapRanks
    }

    /// Selects the strongest filters of each layer.
    ///
    /// - Parameter evaluator: supplies the filter weights.
    /// - Returns: the selection, indices ascending (earlier layers empty).
    /// - Throws: ``NNError/invalidSelection(_:)`` when the counts do not fit the model, or HRank lacks a layer's
    ///   ranks.
    public func run(on evaluator: some SelectionEvaluator) throws -> SelectedNeurons {
        let sizes = evaluator.layerSizes
        var layers: [Int: [Int]] = [:]
        for layer in 1..<max(1, firstLayer) { layers[layer] = [] }
        for (offset, n) in counts.enumerated() {
            let layer = firstLayer + offset
            guard layer >= 1, layer <= sizes.count, n >= 0, n <= sizes[layer - 1] else {
                throw NNError.invalidSelection("cannot select \(n) filters in layer \(layer)")
            }
            layers[layer] = try criterion.strongest(
                n, of: evaluator.filterWeights(layer: layer), featureMapRanks: featureMapRanks[layer])
        }
        return try SelectedNeurons(layers)
    }
}

extension SelectedNeurons {
    /// `percent` % of conv1's and of conv2's filters (at least one each), the strongest by L2 norm (pruning
    /// selection, spec §7.4).
    /// - Parameters:
    ///   - model: the model whose filters are ranked.
    ///   - percent: the share of each layer's filters, in (0, 100].
    /// - Returns: the selection.
    public static func pruning(_ model: Model, percent: Double) -> SelectedNeurons {
        func strongest(_ conv: Conv2d) -> [Int] {
            let size = conv.weight.value.count / conv.outChannels
            let filters = (0..<conv.outChannels).map { Array(conv.weight.value.data[($0 * size)..<(($0 + 1) * size)]) }
            let count = max(1, Int((Double(conv.outChannels) * percent / 100).rounded()))
            // Distinct indices in ascending order: a valid selection as they stand.
            return PruningCriterion.strongest(count, scores: PruningCriterion.norms(filters))
        }
        return SelectedNeurons(validated: [1: strongest(model.conv1), 2: strongest(model.conv2)])
    }
}
