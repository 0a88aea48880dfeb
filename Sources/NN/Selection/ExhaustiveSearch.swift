/// The exhaustive ground truth (spec §7.7, `select_full_combination`): A_s and A_r of every selection of an
/// ``ExhaustiveGrid``, and the rank of any selection among its size category (`analyze_ranking.py`).
public struct ExhaustiveSearch: Sendable {
    /// One scored selection (the original's `[index, {1: …, 2: …}, A_s, A_r]` row).
    public struct Row: Hashable, Sendable, Codable {
        /// Position in the enumeration.
        public var index: Int
        /// The selection.
        public var selection: SelectedNeurons
        /// A_s and A_r.
        public var accuracies: SelectionAccuracies
    }

    /// The combinations to score.
    public var grid: ExhaustiveGrid

    /// Configures a search over `grid`.
    public init(grid: ExhaustiveGrid) {
        self.grid = grid
    }

    /// Scores the selections of the given categories (all by default), two evaluations each.
    ///
    /// - Parameters:
    ///   - evaluator: the model and evaluation images.
    ///   - categories: which (i, j) categories; `nil` for the whole grid.
    ///   - indices: which rows of that enumeration to score, for splitting the days-long MNIST/EMNIST runs across
    ///     processes or resuming one; `nil` for all. Row indices stay global.
    ///   - progress: one tick per evaluation.
    /// - Returns: one row per scored selection, in enumeration order.
    /// - Throws: ``NNError/invalidSelection(_:)`` when the grid does not fit the model.
    public func run(
        on evaluator: some SelectionEvaluator, categories: [ExhaustiveGrid.Category]? = nil,
        indices: Range<Int>? = nil, progress: ProgressReporter? = nil
    ) throws -> [Row] {
        let sizes = evaluator.layerSizes
        guard sizes.count >= 2, sizes[0] == grid.layer1Size, sizes[1] == grid.layer2Size else {
            throw NNError.invalidSelection(
                "grid of \(grid.layer1Size)×\(grid.layer2Size) filters for a model with \(sizes)")
        }
        var rows: [Row] = []
        var index = 0
        for category in categories ?? grid.categories {
            // Skip whole categories outside the requested rows without enumerating them.
            if let indices, index + category.combinations <= indices.lowerBound {
                index += category.combinations
                continue
            }
            for selection in grid.selections(in: category) {
                defer { index += 1 }
                if let indices {
                    if index < indices.lowerBound { continue }
                    if index >= indices.upperBound { return rows }
                }
                let accuracies = try evaluator.accuracies(selection)
                progress?.advance(by: 2)
                rows.append(Row(index: index, selection: selection, accuracies: accuracies))
            }
        }
        return rows
    }

    /// The 1-based rank of `selection` by point (descending) among the rows of the same (|S1|, |S2|) size, and
    /// the size of that category; ties share the best rank.
    ///
    /// - Parameters:
    ///   - selection: a selection present in `rows`.
    ///   - rows: the output of ``run(on:categories:indices:progress:)``.
    ///   - base: A_base in percent.
    /// - Returns: `(rank, categorySize)`, or `nil` if the selection is not among the rows.
    public static func rank(of selection: SelectedNeurons, among rows: [Row], base: Double) -> (rank: Int, of: Int)? {
        let sameSize = rows.filter {
            $0.selection[1].count == selection[1].count && $0.selection[2].count == selection[2].count
        }
        guard let target = sameSize.first(where: { $0.selection == selection }) else { return nil }
        let point = target.accuracies.point(base: base)
        let better = sameSize.filter { $0.accuracies.point(base: base) > point }.count
        return (better + 1, sameSize.count)
    }
}
