import ArgumentParser
import Foundation
import NN

/// `privdnn select`: choose the core (encrypted) filters of conv1/conv2 (spec §7).
///
/// Selection scores on the validate half and the closing test reports on the test half (spec §12 item 13);
/// `--score-on test` reproduces the original, which scored and reported on the same half.
struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Select the encrypted conv1/conv2 filters (greedy, random, pruning, pruning-greedy, exhaustive).",
        discussion: """
            Writes the selection as PrivDNN's JSON ({"1": [4], "2": [8, 11]}) and a report with A_o, A_s, A_r, \
            the score, per-label accuracies, evaluations used and time. Counts: --count n1,n2 (filters per layer) \
            or --percent p (or p1,p2) of each layer, at least one filter. With --amend (greedy), --percent lists \
            the nested series (e.g. 50,55,...,100) and --out names a folder receiving selected_neurons_<P>%.json.
            """
    )

    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case greedy, random, pruning
        case pruningGreedy = "pruning-greedy"
        case exhaustive
    }

    @Option(help: "greedy | random | pruning | pruning-greedy | exhaustive.")
    var algorithm: Algorithm

    @OptionGroup var data: DataOptions

    @OptionGroup var trained: ModelOption

    @Option(help: "Filters to select per layer, e.g. 1,2 (conv1, conv2).")
    var count: String?

    @Option(help: "Percent of each layer's filters (one value for all layers, or one per layer).")
    var percent: String?

    @Flag(help: "Greedy only: the nested percent series of --percent, each continuing the previous one.")
    var amend = false

    @Option(help: "Half the selection is scored on: validate (default) or test (the original's choice).")
    var scoreOn: ScoreHalf = .validate

    @Option(
        help: """
            Pruning criterion for pruning and pruning-greedy: l2, fpgm, or hrank (average rank of each filter's \
            output maps over 500 training images sampled with --seed).
            """)
    var norm: PruningCriterion = .l2

    @Option(help: "Filters added per greedy round.")
    var step: Int = 1

    @Option(help: "A_base of the score in percent (default: the data set's, e.g. 99.36 for MNIST).")
    var base: Double?

    @Option(help: "Random: stop after this many evaluations (2 per selection). Default: greedy's cost.")
    var budgetEvaluations: Int?

    @Option(help: "Random: stop after this many seconds.")
    var budgetSeconds: Double?

    @Option(help: "Seed of the random draws, HRank's training-image sample and the --versus-random trials.")
    var seed: UInt64 = 0

    @Option(help: "Exhaustive: run shard i of n (e.g. 0/2) of the enumeration's rows.")
    var shard: String?

    @Option(help: "Exhaustive: JSON-lines log of scored rows; an existing log is resumed.")
    var log: String?

    @Option(help: "Exhaustive: rank this selection file among the scored rows of its category (repeatable).")
    var rank: [String] = []

    @Option(
        help: "Exhaustive: greedy's --report file; compare random sampling with greedy on its category (spec §10.4).")
    var versusRandom: String?

    @Option(help: "With --versus-random: seconds of one evaluation (default: greedy's seconds / evaluations).")
    var secondsPerEvaluation: Double?

    @Option(help: "Use only the first N images of each half (quick runs).")
    var limit: Int?

    @Option(help: "Write the selection JSON here.")
    var out: String?

    @Option(help: "Write the report JSON here.")
    var report: String?

    @Option(help: "Write SVG figures into this folder (exhaustive rankings, amend series).")
    var plotDir: String?

    @Flag(help: "Print the report as one JSON object instead of text.")
    var json = false

    /// `--score-on` values.
    enum ScoreHalf: String, ExpressibleByArgument, CaseIterable {
        case validate, test
        var subset: Dataset.Subset { self == .validate ? .validate : .test }
    }

    func validate() throws {
        _ = try trained.required()
        if count != nil && percent != nil { throw ValidationError("give --count or --percent, not both") }
        if budgetEvaluations != nil && budgetSeconds != nil {
            throw ValidationError("give --budget-evaluations or --budget-seconds, not both")
        }
        if amend && (algorithm != .greedy || percent == nil) {
            throw ValidationError("--amend needs --algorithm greedy and a --percent series")
        }
        if algorithm != .exhaustive && count == nil && percent == nil {
            throw ValidationError("give --count n1,n2 or --percent p")
        }
        if algorithm == .exhaustive && percent != nil {
            throw ValidationError("exhaustive takes --count, not --percent")
        }
        if algorithm != .exhaustive && (shard != nil || log != nil) {
            throw ValidationError("--shard and --log are for --algorithm exhaustive")
        }
        if algorithm != .exhaustive && !rank.isEmpty { throw ValidationError("--rank is for --algorithm exhaustive") }
        if algorithm != .exhaustive && versusRandom != nil {
            throw ValidationError("--versus-random is for --algorithm exhaustive")
        }
        if let secondsPerEvaluation {
            if versusRandom == nil { throw ValidationError("--seconds-per-evaluation needs --versus-random") }
            if !(secondsPerEvaluation > 0 && secondsPerEvaluation.isFinite) {
                throw ValidationError("--seconds-per-evaluation must be a positive number of seconds")
            }
        }
        if norm == .hrank && algorithm != .pruning && algorithm != .pruningGreedy {
            throw ValidationError("--norm hrank is for --algorithm pruning or pruning-greedy")
        }
        if algorithm != .random && (budgetEvaluations != nil || budgetSeconds != nil) {
            throw ValidationError("--budget-evaluations and --budget-seconds are for --algorithm random")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if step < 1 { throw ValidationError("--step must be at least 1") }
    }

    func run() throws {
        let started = Date()
        let set = data.dataset
        let network = try SelectionInputs.model(try trained.required(), dataset: set)
        let scoring = try SelectionInputs.evaluator(model: network, subset: scoreOn.subset, data: data, limit: limit)
        let reporting =
            scoreOn == .test
            ? scoring
            : try SelectionInputs.evaluator(model: network, subset: .test, data: data, limit: limit)
        let accuracyBase = base ?? set.accuracyBase
        var context = RunContext(
            command: self, dataset: set, model: network, scoring: scoring, reporting: reporting, base: accuracyBase)
        let result: SelectionRunReport
        switch algorithm {
        case .exhaustive: result = try runExhaustive(&context)
        case .greedy where amend: result = try runAmend(&context)
        default: result = try runSingle(&context)
        }
        var final = result
        final.seconds = Date().timeIntervalSince(started)
        if let report { try SelectionInputs.write(try JSONOutput.text(final, pretty: true) + "\n", to: report) }
        print(json ? try JSONOutput.text(final) : final.text)
    }

    /// Per-layer counts from `--count` or `--percent` (one percent applies to every layer).
    func counts(layerSizes: [Int]) throws -> [Int] {
        if let count {
            let values = try SelectionInputs.integers(count, flag: "--count")
            guard values.count <= layerSizes.count else {
                throw ToolError("--count: \(values.count) layers given, the model has \(layerSizes.count) selectable")
            }
            for (index, (n, width)) in zip(values, layerSizes).enumerated() where n < 1 || n > width {
                throw ToolError("--count: layer \(index + 1) has \(width) filters, cannot select \(n)")
            }
            return values
        }
        let values = try SelectionInputs.integers(percent ?? "", flag: "--percent")
        guard values.count <= layerSizes.count else {
            throw ToolError("--percent: \(values.count) layers given, the model has \(layerSizes.count) selectable")
        }
        if let bad = values.first(where: { $0 > 100 }) { throw ToolError("--percent: \(bad) is above 100") }
        let perLayer = values.count == 1 ? Array(repeating: values[0], count: layerSizes.count) : values
        return zip(perLayer, layerSizes).map { max(1, $1 * $0 / 100) }
    }

    /// Runs library work, turning its selection errors into one-line tool errors.
    func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NNError {
            throw ToolError("select: \(error)")
        }
    }
}

extension PruningCriterion: ExpressibleByArgument {}
