/// Greedy core-neuron selection (spec §7.3, `select_neurons_v2`), with the amend (§7.6) and pruning + greedy
/// (§7.5) variants.
///
/// - First layer: repeatedly try each remaining candidate, measure A_r with the layer's set plus that candidate
///   removed, and add the `step` candidates whose removal hurts **least** (highest A_r; ties to the lower index).
///   These filters are cut off from the next layer's plaintext filters, so weak ones cost A_s little.
/// - Each following layer: for each remaining candidate measure A_s and A_r of the whole selection plus the
///   candidate, and add the `step` candidates with the highest point (ties to the higher index, as the original's
///   descending sort of `(point, index)`).
/// - A layer that ends fully selected makes every later layer fully selected, and the search stops.
///
/// Two faults of the original are fixed (spec §12 item 14): `step > 1` never overshoots a layer's count, and a
/// fully selected layer is stored as a list, not a `range`.
public struct GreedySelection: Sendable {
    /// Filters to select per layer, from ``firstLayer`` on (see ``SelectionCount``).
    public var counts: [Int]
    /// The first layer to select in (1 = conv1).
    public var firstLayer: Int
    /// Candidates added per round (`--greedy_step`).
    public var step: Int
    /// A_base of the point, in percent (`--accuracy_base`).
    public var base: Double
    /// Candidate pools per layer (pruning + greedy); a layer without a pool considers all its filters.
    public var pools: [Int: [Int]]

    /// Configures a greedy search.
    ///
    /// - Parameters:
    ///   - counts: filters per layer, first to last.
    ///   - base: A_base in percent.
    ///   - step: candidates added per round.
    ///   - firstLayer: the first layer number.
    ///   - pools: optional candidate pools per layer.
    public init(counts: [Int], base: Double, step: Int = 1, firstLayer: Int = 1, pools: [Int: [Int]] = [:]) {
        self.counts = counts
        self.base = base
        self.step = max(1, step)
        self.firstLayer = firstLayer
        self.pools = pools
    }

    /// Pruning + greedy: the pool of each layer is its `2·n_l` strongest filters under `criterion` (§7.5).
    ///
    /// - Parameters:
    ///   - counts: filters per layer, first to last.
    ///   - base: A_base in percent.
    ///   - criterion: the pruning ranking that builds the pools.
    ///   - evaluator: supplies the filter weights.
    ///   - step: candidates added per round.
    ///   - firstLayer: the first layer number.
    ///   - featureMapRanks: HRank's average feature-map ranks per layer (ignored by the weight criteria).
    /// - Returns: the configured search.
    /// - Throws: ``NNError/invalidSelection(_:)`` when HRank lacks a layer's ranks.
    public static func pruned(
        counts: [Int], base: Double, criterion: PruningCriterion, evaluator: some SelectionEvaluator, step: Int = 1,
        firstLayer: Int = 1, featureMapRanks: [Int: [Double]] = [:]
    ) throws -> GreedySelection {
        var pools: [Int: [Int]] = [:]
        for (offset, n) in counts.enumerated() {
            let layer = firstLayer + offset
            pools[layer] = try criterion.strongest(
                2 * n, of: evaluator.filterWeights(layer: layer), featureMapRanks: featureMapRanks[layer])
        }
        return GreedySelection(counts: counts, base: base, step: step, firstLayer: firstLayer, pools: pools)
    }

    /// The number of evaluations a run from scratch costs with `step` 1, without the closing test.
    ///
    /// `Σ_k (P_1 − k) + 2·Σ_l Σ_k (P_l − k)` where `P_l` is layer l's pool size and k runs over `0..<n_l`.
    /// - Parameter layerSizes: the evaluator's layer widths.
    /// - Returns: the count.
    public func plannedEvaluations(layerSizes: [Int]) -> Int {
        var total = 0
        for (offset, n) in counts.enumerated() {
            let layer = firstLayer + offset
            let pool = pools[layer]?.count ?? layerSizes[layer - 1]
            let rounds = (0..<min(n, pool)).reduce(0) { $0 + (pool - $1) }
            total += offset == 0 ? rounds : 2 * rounds
        }
        return total
    }

    /// Runs the search.
    ///
    /// - Parameters:
    ///   - evaluator: the model and evaluation images.
    ///   - previous: a selection to extend (amend mode); its filters are kept and the search continues.
    ///   - progress: receives one tick per evaluation.
    /// - Returns: the selection (layers before ``firstLayer`` appear empty, as in the original's JSON).
    /// - Throws: ``NNError/invalidSelection(_:)`` for counts or pools that do not fit the model.
    public func run(
        on evaluator: some SelectionEvaluator, startingFrom previous: SelectedNeurons? = nil,
        progress: ProgressReporter? = nil
    ) throws -> SelectedNeurons {
        let sizes = evaluator.layerSizes
        let lastLayer = firstLayer + counts.count - 1
        guard firstLayer >= 1, lastLayer <= sizes.count else {
            throw NNError.invalidSelection("layers \(firstLayer)...\(lastLayer) of a model with \(sizes.count)")
        }
        var layers: [Int: [Int]] = [:]
        for layer in 1..<firstLayer { layers[layer] = [] }
        for (offset, target) in counts.enumerated() {
            let layer = firstLayer + offset
            guard target >= 0, target <= sizes[layer - 1] else {
                throw NNError.invalidSelection("layer \(layer): cannot select \(target) of \(sizes[layer - 1]) filters")
            }
            let pool = pools[layer] ?? Array(0..<sizes[layer - 1])
            if let bad = pool.first(where: { $0 < 0 || $0 >= sizes[layer - 1] }) {
                throw NNError.invalidSelection("layer \(layer): pool filter \(bad) outside 0..<\(sizes[layer - 1])")
            }
            var chosen = previous?[layer] ?? []
            while chosen.count < target {
                let candidates = pool.filter { !chosen.contains($0) }
                if candidates.isEmpty { break }
                var scored: [(filter: Int, score: Double)] = []
                for candidate in candidates {
                    if offset == 0 {
                        let trial = try SelectedNeurons([layer: chosen + [candidate]])
                        scored.append((candidate, try evaluator.evaluate(trial, mode: .remove).roundedAccuracy))
                        progress?.advance()
                    } else {
                        var trialLayers = layers
                        trialLayers[layer] = chosen + [candidate]
                        let accuracies = try evaluator.accuracies(try SelectedNeurons(trialLayers))
                        scored.append((candidate, accuracies.point(base: base)))
                        progress?.advance(by: 2)
                    }
                }
                if offset == 0 {
                    scored.sort { ($0.score, -$0.filter) > ($1.score, -$1.filter) }
                } else {
                    scored.sort { ($0.score, $0.filter) > ($1.score, $1.filter) }
                }
                chosen += scored.prefix(min(step, target - chosen.count)).map(\.filter)
            }
            layers[layer] = chosen
            if chosen.count == sizes[layer - 1] {
                // A fully encrypted layer leaves nothing in plaintext after it: encrypt every later layer too.
                for later in (layer + 1)...max(layer + 1, lastLayer) where later <= lastLayer {
                    layers[later] = Array(0..<sizes[later - 1])
                }
                break
            }
        }
        return try SelectedNeurons(layers)
    }

    /// The nested selections of the 50–100 % experiments (§7.6, `select_neurons_v2_amend`).
    ///
    /// Each percentage continues greedy from the previous percentage's selection, so every selection contains the
    /// one before it (the original wrote them to `selected_neurons_<P>%.json`).
    /// - Parameters:
    ///   - percents: ascending percentages, e.g. `stride(from: 50, through: 100, by: 5)`.
    ///   - base: A_base in percent.
    ///   - evaluator: the model and evaluation images.
    ///   - layerCount: consecutive layers to select in, from `firstLayer`.
    ///   - firstLayer: the first layer number.
    ///   - progress: one tick per evaluation.
    /// - Returns: `(percent, selection)` pairs in the order given.
    /// - Throws: ``NNError/invalidSelection(_:)`` for percentages or layers that do not fit the model.
    public static func percentSeries(
        percents: [Int], base: Double, evaluator: some SelectionEvaluator, layerCount: Int = 2, firstLayer: Int = 1,
        progress: ProgressReporter? = nil
    ) throws -> [(percent: Int, selection: SelectedNeurons)] {
        let sizes = evaluator.layerSizes
        guard firstLayer >= 1, layerCount >= 1, firstLayer + layerCount - 1 <= sizes.count else {
            throw NNError.invalidSelection("layers \(firstLayer)..<\(firstLayer + layerCount) of \(sizes.count)")
        }
        let widths = Array(sizes[(firstLayer - 1)..<(firstLayer - 1 + layerCount)])
        var series: [(percent: Int, selection: SelectedNeurons)] = []
        var previous: SelectedNeurons?
        for percent in percents {
            let counts = try SelectionCount.percent(percent).counts(layerSizes: widths)
            let greedy = GreedySelection(counts: counts, base: base, firstLayer: firstLayer)
            let selection = try greedy.run(on: evaluator, startingFrom: previous, progress: progress)
            series.append((percent, selection))
            previous = selection
        }
        return series
    }
}
