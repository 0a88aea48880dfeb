/// Data-free filter rankings from the pruning literature, used by pruning selection (spec §7.4) and to limit the
/// candidate pools of pruning + greedy (§7.5).
public enum PruningCriterion: String, Sendable, CaseIterable, Codable {
    /// PFEC: the L2 norm of each filter's weights (`prune.ln_structured(n=2, dim=0)`); large norms are kept.
    case l2
    /// FPGM: each filter's summed Euclidean distance to all other filters of the layer; filters far from the
    /// geometric median are kept.
    case fpgm

    /// One score per filter; higher means more important.
    ///
    /// - Parameter filters: each filter's flattened weights (all the same length).
    /// - Returns: the scores, in filter order.
    public func scores(_ filters: [[Float]]) -> [Double] {
        switch self {
        case .l2:
            return filters.map { filter in filter.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
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
        }
    }

    /// The `count` highest-scoring filters, in ascending index order (ties go to the lower index).
    ///
    /// - Parameters:
    ///   - count: how many to keep (clamped to the number of filters).
    ///   - filters: each filter's flattened weights.
    /// - Returns: filter indices, ascending.
    public func strongest(_ count: Int, of filters: [[Float]]) -> [Int] {
        let scores = scores(filters)
        let ranked = scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
        return Array(ranked.prefix(max(0, count))).sorted()
    }
}
