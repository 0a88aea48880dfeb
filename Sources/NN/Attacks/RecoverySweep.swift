import Foundation

/// A_s, A_r and A_rec at one share of encrypted filters.
public struct RecoverySweepPoint: Sendable, Codable, Equatable {
    /// The requested percentage of each encryptable layer.
    public var percent: Int
    /// The share of conv1+conv2 filters actually encrypted, in percent (counts round down, at least 1 per layer).
    public var encryptedShare: Double
    /// The selection used.
    public var selection: SelectedNeurons
    /// The model recovery attack's result (A_o, A_s, A_r, A_rec).
    public var recovery: ModelRecoveryResult
}

/// The recovery attack against a growing share of encrypted filters (the original's
/// `draw_*_recovery_graph.py`, spec §10.5), with A_t as the reference line.
public struct RecoverySweepResult: Sendable, Codable, Equatable {
    /// The data set's name.
    public var dataset: String
    /// One point per percentage, ascending.
    public var points: [RecoverySweepPoint]
    /// A_t, training from scratch on the thief's samples, if measured.
    public var scratch: ScratchResult?

    /// Creates a result.
    /// - Parameters:
    ///   - dataset: the data set's name.
    ///   - points: the measured points.
    ///   - scratch: A_t, if measured.
    public init(dataset: String, points: [RecoverySweepPoint], scratch: ScratchResult?) {
        self.dataset = dataset
        self.points = points
        self.scratch = scratch
    }

    /// The chart: A_s, A_r and A_rec against the encrypted share, A_o and A_t as horizontal lines.
    public var plot: SVGPlot {
        func series(_ name: String, _ value: (ModelRecoveryResult) -> Double) -> SVGPlot.Series {
            SVGPlot.Series(
                name: name, points: points.map { SVGPlot.Point($0.encryptedShare, value($0.recovery)) },
                style: .lineWithMarkers)
        }
        var references: [SVGPlot.ReferenceLine] = []
        if let first = points.first { references.append(.init(name: "A_o", y: first.recovery.originalAccuracy)) }
        if let scratch { references.append(.init(name: "A_t (scratch)", y: scratch.accuracy)) }
        return SVGPlot(
            title: "\(dataset): model recovery against encrypted filters",
            xLabel: "encrypted conv1+conv2 filters (%)", yLabel: "test accuracy (%)",
            series: [
                series("A_s (deployed)") { $0.separateAccuracy }, series("A_r (zeroed)") { $0.removeAccuracy },
                series("A_rec (retrained)") { $0.recoveredAccuracy },
            ],
            referenceLines: references, yRange: 0...100)
    }
}

/// Runs ``ModelRecoveryAttack`` for several shares of encrypted filters on copies of one trained model.
///
/// At each percentage p every encryptable layer gets `max(1, ⌊N·p/100⌋)` selected filters (spec §7.1), chosen by
/// the greedy search (spec §7.3) on the validate half with the model's own validate accuracy as A_base, or
/// uniformly at random.
public struct RecoverySweep: Sendable {
    /// How the filters at each percentage are chosen.
    public enum Selector: String, Sendable, Codable, CaseIterable {
        /// Greedy selection (``GreedySelection``) on the validate half.
        case greedy
        /// One uniform random draw per layer (``RandomSelection`` with one trial).
        case random
    }

    /// The percentages, each in 1...100.
    public var percents: [Int]
    /// The selection rule.
    public var selector: Selector
    /// The attack run at each point.
    public var attack: ModelRecoveryAttack

    /// Configures the sweep.
    /// - Parameters:
    ///   - percents: percentages of each layer to encrypt.
    ///   - selector: greedy or random.
    ///   - attack: the recovery attack.
    public init(percents: [Int], selector: Selector = .greedy, attack: ModelRecoveryAttack) {
        self.percents = percents
        self.selector = selector
        self.attack = attack
    }

    /// The selection at `percent` for `model`.
    /// - Parameters:
    ///   - model: the trained model (masks are cleared afterwards).
    ///   - percent: the share of each layer.
    ///   - validate: the owner's selection images.
    ///   - progress: advanced once per selection evaluation.
    /// - Returns: the selection.
    /// - Throws: ``NNError`` for a percentage outside 1...100.
    public func selection(
        for model: Model, percent: Int, validate: LabeledTensor, progress: ProgressReporter? = nil
    ) throws -> SelectedNeurons {
        guard (1...100).contains(percent) else { throw NNError.shapeMismatch("percentage \(percent) outside 1...100") }
        let evaluator = try ModelSelectionEvaluator(model: model, images: validate.images, labels: validate.labels)
        let counts = try SelectionCount.percent(percent).counts(layerSizes: evaluator.layerSizes)
        switch selector {
        case .greedy:
            let base = try evaluator.evaluate(SelectedNeurons(), mode: nil).accuracy
            return try GreedySelection(counts: counts, base: base).run(on: evaluator, progress: progress)
        case .random:
            return try RandomSelection(counts: counts, base: 100, budget: .trials(1), seed: attack.seed)
                .run(on: evaluator, progress: progress).selection
        }
    }

    /// The units of work ``run(_:state:data:scratch:progress:)`` reports: selection evaluations plus epochs.
    /// - Parameter layerSizes: conv1 and conv2 filter counts.
    /// - Returns: the total for a progress bar.
    /// - Throws: ``NNError/shapeMismatch(_:)`` for a percentage outside 0...100.
    public func plannedWork(layerSizes: [Int]) throws -> Int {
        try percents.reduce(0) { total, percent in
            let counts = try SelectionCount.percent(percent).counts(layerSizes: layerSizes)
            // Greedy stops after a fully selected layer (every later layer follows without evaluations).
            let full = counts.indices.first { counts[$0] == layerSizes[$0] } ?? (counts.count - 1)
            let evaluations =
                selector == .greedy
                ? GreedySelection(counts: Array(counts[...full]), base: 0).plannedEvaluations(layerSizes: layerSizes)
                : 2
            return total + evaluations + attack.epochs
        }
    }

    /// Measures every point.
    /// - Parameters:
    ///   - architecture: the network.
    ///   - state: the trained model's tensors (each point starts from a fresh copy).
    ///   - data: thief samples, test and validate halves.
    ///   - scratch: A_t to draw as a reference, if measured.
    ///   - progress: advanced once per selection evaluation and once per retraining epoch; its total should be
    ///     ``plannedWork(layerSizes:)``.
    /// - Returns: the points, ascending by percentage.
    /// - Throws: ``NNError`` for tensors or data that do not fit the architecture, or a bad percentage.
    public func run(
        _ architecture: Architecture, state: [String: Tensor], data: AttackData, scratch: ScratchResult? = nil,
        progress: ProgressReporter? = nil
    ) throws -> RecoverySweepResult {
        let ordered = percents.sorted()
        var points: [RecoverySweepPoint] = []
        for percent in ordered {
            let model = Model(architecture)
            try model.load(state)
            let selection = try selection(for: model, percent: percent, validate: data.validate, progress: progress)
            let filters = model.conv1.outChannels + model.conv2.outChannels
            let recovery = try attack.run(model, selection: selection, data: data) { _, _ in progress?.advance() }
            points.append(
                RecoverySweepPoint(
                    percent: percent, encryptedShare: 100 * Double(selection.count) / Double(filters),
                    selection: selection, recovery: recovery))
        }
        return RecoverySweepResult(dataset: architecture.datasetName, points: points, scratch: scratch)
    }
}
