import Foundation

/// Random selection with a budget (spec §7.2, which the original left as `pass`; §10.4 simulated it).
///
/// Each trial draws a uniform random subset of `n_l` filters per layer, measures A_s and A_r (two evaluations)
/// and keeps the best point. Repeated draws are skipped without evaluation.
public struct RandomSelection: Sendable {
    /// When to stop.
    public enum Budget: Hashable, Sendable {
        /// After this many distinct selections were scored.
        case trials(Int)
        /// Once this many seconds have passed (checked between trials).
        case seconds(Double)
    }

    /// Filters to select per layer, from ``firstLayer`` on.
    public var counts: [Int]
    /// The first layer to select in.
    public var firstLayer: Int
    /// A_base of the point, in percent.
    public var base: Double
    /// The stopping rule.
    public var budget: Budget
    /// Seeds the draws.
    public var seed: UInt64

    /// Configures a random search.
    public init(counts: [Int], base: Double, budget: Budget, seed: UInt64 = 0, firstLayer: Int = 1) {
        self.counts = counts
        self.base = base
        self.budget = budget
        self.seed = seed
        self.firstLayer = firstLayer
    }

    /// The best selection found, its accuracies, and the number of selections scored.
    public struct Outcome: Sendable {
        /// The highest-point selection.
        public var selection: SelectedNeurons
        /// Its A_s and A_r.
        public var accuracies: SelectionAccuracies
        /// Its point.
        public var point: Double
        /// Distinct selections scored.
        public var trials: Int
    }

    /// Runs the search.
    ///
    /// - Parameters:
    ///   - evaluator: the model and evaluation images.
    ///   - progress: one tick per evaluation.
    /// - Returns: the best selection.
    /// - Throws: ``NNError/invalidSelection(_:)`` when the counts do not fit the model.
    public func run(on evaluator: some SelectionEvaluator, progress: ProgressReporter? = nil) throws -> Outcome {
        let sizes = evaluator.layerSizes
        let layers = Array(firstLayer..<(firstLayer + counts.count))
        guard firstLayer >= 1, let last = layers.last, last <= sizes.count else {
            throw NNError.invalidSelection("random selection over layers \(layers) of a model with \(sizes.count)")
        }
        for (layer, n) in zip(layers, counts) where n < 0 || n > sizes[layer - 1] {
            throw NNError.invalidSelection("layer \(layer): cannot select \(n) of \(sizes[layer - 1]) filters")
        }
        let distinct = zip(layers, counts).reduce(1.0) {
            $0 * Double(ExhaustiveGrid.binomial(sizes[$1.0 - 1], $1.1))
        }
        var generator = Xoshiro256(seed: seed)
        var seen = Set<SelectedNeurons>()
        var best: Outcome?
        let started = Date()
        func budgetLeft() -> Bool {
            guard Double(seen.count) < distinct else { return false }
            switch budget {
            case .trials(let limit): return seen.count < limit
            case .seconds(let limit): return Date().timeIntervalSince(started) < limit
            }
        }
        while budgetLeft() {
            var draw: [Int: [Int]] = [:]
            for layer in 1..<firstLayer { draw[layer] = [] }
            for (layer, n) in zip(layers, counts) {
                draw[layer] = Array(generator.permutation(sizes[layer - 1]).prefix(n))
            }
            let selection = try SelectedNeurons(draw)
            guard seen.insert(selection).inserted else { continue }
            let accuracies = try evaluator.accuracies(selection)
            progress?.advance(by: 2)
            let point = accuracies.point(base: base)
            if best == nil || point > (best?.point ?? -2) {
                best = Outcome(selection: selection, accuracies: accuracies, point: point, trials: 0)
            }
        }
        guard var outcome = best else {
            throw NNError.invalidSelection("the budget allowed no trial")
        }
        outcome.trials = seen.count
        return outcome
    }
}
