import Foundation

/// What protects the decrypted conv2 outputs in a regression-attack run.
public enum RegressionDefence: String, Sendable, Codable, CaseIterable {
    /// The pipeline as deployed: the user decrypts the pooled conv2 outputs.
    case none
    /// Polymorphic obfuscation (spec §8.6): each encrypted conv2 channel passes a secret 3×3 obscure kernel
    /// before pooling; the attacker knows the defence and fits the kernels too.
    case obscure
    /// The same defence against an attacker who fits plain conv2 filters.
    case naive
}

/// One point of a regression sweep: the same attack repeated with independent seeds (probes, noise, starts).
public struct RegressionSweepPoint: Sendable, Codable, Equatable {
    /// The defence.
    public var defence: RegressionDefence
    /// The trial with the median weight error.
    public var result: RegressionAttackResult
    /// Trials run.
    public var trials: Int
    /// Trials whose relative weight error is below 10⁻².
    public var successes: Int
}

/// Regression attacks over query counts, probe kinds and defences, with the accuracies they are judged against.
public struct RegressionSweepResult: Sendable, Codable, Equatable {
    /// Every run.
    public var points: [RegressionSweepPoint]
    /// A_o, A_s, A_r of the undefended model.
    public var originalAccuracy: Double
    /// A_s.
    public var separateAccuracy: Double
    /// A_r.
    public var removeAccuracy: Double
    /// A_rec of model recovery (retraining), if measured.
    public var recoveredByTraining: Double?

    /// Creates a result.
    public init(
        points: [RegressionSweepPoint], originalAccuracy: Double, separateAccuracy: Double, removeAccuracy: Double,
        recoveredByTraining: Double? = nil
    ) {
        self.points = points
        self.originalAccuracy = originalAccuracy
        self.separateAccuracy = separateAccuracy
        self.removeAccuracy = removeAccuracy
        self.recoveredByTraining = recoveredByTraining
    }

    /// The fewest queries of a series whose weight error is below `threshold` from that count on, if any.
    /// - Parameters:
    ///   - defence: the defence.
    ///   - probe: the probe kind.
    ///   - threshold: the relative weight error.
    /// - Returns: the query count.
    public func queriesNeeded(_ defence: RegressionDefence, _ probe: QueryProbe, below threshold: Double) -> Int? {
        let series = points.filter { $0.defence == defence && $0.result.probe == probe }.sorted {
            $0.result.queries < $1.result.queries
        }
        var answer: Int?
        for p in series.reversed() {
            if p.result.weightError < threshold { answer = p.result.queries } else { break }
        }
        return answer
    }

    /// Two stacked charts against log₂(queries): accuracy with A_o/A_s/A_r (and A_rec) as reference lines, and
    /// log₁₀ of the relative weight error; one series per (defence, probe).
    public var plot: String {
        let keys = points.reduce(into: [(RegressionDefence, QueryProbe)]()) { keys, p in
            if !keys.contains(where: { $0 == (p.defence, p.result.probe) }) { keys.append((p.defence, p.result.probe)) }
        }
        func series(_ value: (RegressionAttackResult) -> Double) -> [SVGPlot.Series] {
            keys.enumerated().map { index, key in
                let runs = points.filter { $0.defence == key.0 && $0.result.probe == key.1 }
                    .sorted { $0.result.queries < $1.result.queries }
                let name =
                    key.0 == .none
                    ? "\(key.1.rawValue)" : "\(key.1.rawValue), obscure\(key.0 == .naive ? " (naive)" : "")"
                return SVGPlot.Series(
                    name: name, points: runs.map { SVGPlot.Point(log2(Double($0.result.queries)), value($0.result)) },
                    style: .lineWithMarkers, color: SVGPlot.palette[index % SVGPlot.palette.count])
            }
        }
        var references = [
            SVGPlot.ReferenceLine(name: "A_o", y: originalAccuracy, color: "#000000"),
            SVGPlot.ReferenceLine(name: "A_s", y: separateAccuracy, color: "#555555"),
            SVGPlot.ReferenceLine(name: "A_r", y: removeAccuracy, color: "#999999"),
        ]
        if let recoveredByTraining {
            references.append(SVGPlot.ReferenceLine(name: "A_rec", y: recoveredByTraining, color: "#BBBBBB"))
        }
        let accuracy = SVGPlot(
            title: "Regression attack: accuracy with the recovered filters", xLabel: "log2(queries)",
            yLabel: "test accuracy (%)", series: series(\.recoveredAccuracy), referenceLines: references)
        let error = SVGPlot(
            title: "Regression attack: relative error of the recovered encrypted weights", xLabel: "log2(queries)",
            yLabel: "log10(relative weight error), capped at 10",
            series: series { log10(min(max($0.weightError, 1e-12), 10)) })
        return Self.stack([accuracy, error])
    }

    /// One SVG document holding `plots` one under the other (nested `<svg>` elements).
    static func stack(_ plots: [SVGPlot]) -> String {
        let width = plots.map(\.width).max() ?? 0
        var y = 0.0
        var body: [String] = []
        for plot in plots {
            let inner = plot.render().split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("<?xml") }.joined(separator: "\n")
            body.append(
                inner.replacingOccurrences(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" ", with: "<svg y=\"\(y)\" "))
            y += plot.height
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(width)\" height=\"\(y)\" "
            + "viewBox=\"0 0 \(width) \(y)\">\n" + body.joined(separator: "\n") + "\n</svg>\n"
    }
}

/// Runs the regression attack over query counts × probes × defences.
public struct RegressionSweep: Sendable {
    /// Query counts.
    public var queries: [Int]
    /// Probe kinds.
    public var probes: [QueryProbe]
    /// Defences.
    public var defences: [RegressionDefence]
    /// The attack's other settings (its `queries`, `probe` and `fitsKernels` are set per run; trial `i` uses
    /// its seed + i).
    public var attack: RegressionAttack
    /// Independent trials per point.
    public var trials: Int

    /// Configures the sweep.
    public init(
        queries: [Int], probes: [QueryProbe], defences: [RegressionDefence], attack: RegressionAttack, trials: Int = 1
    ) {
        self.queries = queries
        self.probes = probes
        self.defences = defences
        self.attack = attack
        self.trials = trials
    }

    /// Runs every combination.
    /// - Parameters:
    ///   - plain: the undefended target.
    ///   - obscured: the target with obscure kernels (needed for ``RegressionDefence/obscure`` and `naive`).
    ///   - pool: the attacker's own images.
    ///   - progress: called after each trial with (trials done, trials total).
    /// - Returns: every run's result, in sweep order.
    /// - Throws: ``NNError/shapeMismatch(_:)`` when a defended run has no obscured target, and the attack's errors.
    public func run(
        plain: RegressionTarget, obscured: RegressionTarget?, pool: LabeledTensor?,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [RegressionSweepPoint] {
        var out: [RegressionSweepPoint] = []
        let total = queries.count * probes.count * defences.count * max(1, trials)
        var done = 0
        for defence in defences {
            let target: RegressionTarget
            if defence == .none {
                target = plain
            } else if let obscured {
                target = obscured
            } else {
                throw NNError.shapeMismatch("the \(defence.rawValue) defence needs obscure kernels")
            }
            for probe in probes {
                for count in queries {
                    var results: [RegressionAttackResult] = []
                    for trial in 0..<max(1, trials) {
                        var run = attack
                        run.queries = count
                        run.probe = probe
                        run.fitsKernels = defence == .obscure
                        run.seed = attack.seed &+ UInt64(trial)
                        results.append(try run.run(target, pool: pool))
                        done += 1
                        progress(done, total)
                    }
                    let sorted = results.sorted { $0.weightError < $1.weightError }
                    out.append(
                        RegressionSweepPoint(
                            defence: defence, result: sorted[(sorted.count - 1) / 2], trials: sorted.count,
                            successes: sorted.filter { $0.weightError < 1e-2 }.count))
                }
            }
        }
        return out
    }
}
