/// Filter rankings from the pruning literature, used by pruning selection (spec §7.4) and to limit the candidate
/// pools of pruning + greedy (§7.5).
public enum PruningCriterion: String, Sendable, CaseIterable, Codable {
    /// PFEC: the L2 norm of each filter's weights (`prune.ln_structured(n=2, dim=0)`); large norms are kept.
    case l2
    /// FPGM: each filter's summed Euclidean distance to all other filters of the layer; filters far from the
    /// geometric median are kept.
    case fpgm
    /// HRank: the average matrix rank of each filter's output feature maps over training images
    /// (``FeatureMapRanks``); high ranks are kept. The one criterion that needs data rather than weights alone.
    case hrank

    /// One score per filter; higher means more important.
    ///
    /// - Parameters:
    ///   - filters: each filter's flattened weights (all the same length).
    ///   - featureMapRanks: HRank's per-filter averages
    ///     (``FeatureMapRanks/averages(model:layer:images:normalization:chunk:)``); ignored by the weight criteria.
    /// - Returns: the scores, in filter order.
    /// - Throws: ``NNError/invalidSelection(_:)`` for HRank without one average per filter.
    public func scores(_ filters: [[Float]], featureMapRanks: [Double]? = nil) throws -> [Double] {
        switch self {
        case .l2:
            return Self.norms(filters)
        case .fpgm:
            return filters.indices.map { i in
                filters.indices.reduce(0.0) { sum, j in
                    guard i != j else { return sum }
                    let squared = zip(filters[i], filters[j]).reduce(0.0) {
                        let d = Double($1.0) - Double($1.1)
                        return $0 + d * d
                    }
                    return sum + squared.squareRoot()
                }
            }
        case .hrank:
            guard let featureMapRanks, featureMapRanks.count == filters.count else {
                throw NNError.invalidSelection(
                    "hrank needs the average feature-map rank of each of the \(filters.count) filters, got "
                        + "\(featureMapRanks.map { "\($0.count)" } ?? "none")")
            }
            return featureMapRanks
        }
    }

    /// The `count` highest-scoring filters, in ascending index order.
    ///
    /// Ties go to the lower index, except for HRank, whose ties go to the higher index as in the original
    /// (`ranks.sort(reverse=True)` over `[rank, index]` pairs). HRank ties are common, not a corner case: LeNet-5's
    /// 8×8 conv2 maps are nearly always full rank.
    ///
    /// - Parameters:
    ///   - count: how many to keep (clamped to the number of filters).
    ///   - filters: each filter's flattened weights.
    ///   - featureMapRanks: HRank's per-filter averages.
    /// - Returns: filter indices, ascending.
    /// - Throws: ``NNError/invalidSelection(_:)`` for HRank without one average per filter.
    public func strongest(_ count: Int, of filters: [[Float]], featureMapRanks: [Double]? = nil) throws -> [Int] {
        Self.strongest(
            count, scores: try scores(filters, featureMapRanks: featureMapRanks), tiesToHigherIndex: self == .hrank)
    }

    /// The `count` highest scores' indices, ascending.
    ///
    /// - Parameters:
    ///   - count: how many to keep (clamped to the number of scores).
    ///   - scores: one score per filter, higher is more important.
    ///   - tiesToHigherIndex: break ties toward the higher index instead of the lower.
    /// - Returns: filter indices, ascending.
    public static func strongest(_ count: Int, scores: [Double], tiesToHigherIndex: Bool = false) -> [Int] {
        let sign = tiesToHigherIndex ? 1 : -1
        let ranked = scores.indices.sorted { (scores[$0], sign * $0) > (scores[$1], sign * $1) }
        return Array(ranked.prefix(max(0, count))).sorted()
    }

    /// Each filter's L2 norm.
    static func norms(_ filters: [[Float]]) -> [Double] {
        filters.map { filter in filter.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
    }
}
