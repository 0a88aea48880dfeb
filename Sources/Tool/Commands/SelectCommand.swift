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

    @Option(help: "Data set: mnist, emnist, gtsrb, cifar10, tinyimagenet.")
    var dataset: Dataset = .mnist

    @Option(help: "The data set folder (default: data/<dataset> under the current directory).")
    var dataDir: String?

    @Option(help: "The trained model (safetensors).")
    var model: String

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
        let set = dataset
        let network = try SelectionInputs.model(model, dataset: set)
        let scoring = try SelectionInputs.evaluator(
            model: network, subset: scoreOn.subset, dataset: set, root: dataDir, limit: limit)
        let reporting =
            scoreOn == .test
            ? scoring
            : try SelectionInputs.evaluator(model: network, subset: .test, dataset: set, root: dataDir, limit: limit)
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
        if let report { try SelectionInputs.write(try SelectionInputs.json(final, pretty: true) + "\n", to: report) }
        print(json ? try SelectionInputs.json(final, pretty: false) : final.text)
    }

    /// Shared state of one run.
    struct RunContext {
        let command: SelectCommand
        let dataset: Dataset
        /// The trained model (HRank runs it on training images).
        let model: Model
        let scoring: any SelectionEvaluator
        let reporting: any SelectionEvaluator
        let base: Double

        func progress(_ label: String, total: Int) -> ProgressReporter {
            ProgressReporter(label: label, total: total, unit: "eval")
        }

        /// The report skeleton shared by every algorithm.
        func report(evaluations: Int) -> SelectionRunReport {
            SelectionRunReport(
                algorithm: command.algorithm.rawValue, dataset: dataset.rawValue, model: command.model,
                score_on: command.scoreOn.rawValue, base: base, evaluations: evaluations, seconds: 0)
        }

        /// Closing test on the test half plus the scoring half's A_s/A_r.
        func entry(_ selection: SelectedNeurons, evaluations: Int) throws -> SelectionRunReport.Entry {
            let closing = try ClosingTest(selection: selection, evaluator: reporting, base: base)
            var scored: SelectionRunReport.Scored?
            if command.scoreOn == .validate {
                let accuracies = try scoring.accuracies(selection)
                scored = .init(
                    accuracy_s: accuracies.separate, accuracy_r: accuracies.remove,
                    score: accuracies.point(base: base))
            }
            return .init(
                selection: selection, counts: selection.layerNumbers.map { selection[$0].count },
                evaluations: evaluations, scoring: scored,
                test: ClosingSummary(closing, base: base, half: .test))
        }
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

    private func runSingle(_ context: inout RunContext) throws -> SelectionRunReport {
        let evaluator = context.scoring
        let counts = try counts(layerSizes: evaluator.layerSizes)
        let greedy = GreedySelection(counts: counts, base: context.base, step: step)
        // HRank ranks filters by their output maps on training images, computed before any evaluation is counted.
        let hrank = try hrankRanks(context, layers: counts.count)
        let ranks = hrank?.ranks ?? [:]
        let before = evaluator.evaluationCount
        let selection: SelectedNeurons
        switch algorithm {
        case .greedy, .pruningGreedy:
            let search =
                algorithm == .greedy
                ? greedy
                : try run {
                    try GreedySelection.pruned(
                        counts: counts, base: context.base, criterion: norm, evaluator: evaluator, step: step,
                        featureMapRanks: ranks)
                }
            let progress = context.progress(
                algorithm.rawValue,
                total: search.plannedEvaluations(
                    layerSizes: evaluator.layerSizes))
            selection = try run { try search.run(on: evaluator, progress: progress) }
            progress.finish()
        case .pruning:
            selection = try run {
                try PruningSelection(counts: counts, criterion: norm, featureMapRanks: ranks).run(on: evaluator)
            }
        case .random:
            let budget: RandomSelection.Budget
            let total: Int
            if let budgetSeconds {
                guard budgetSeconds > 0 else { throw ToolError("--budget-seconds must be positive") }
                (budget, total) = (.seconds(budgetSeconds), 0)
            } else {
                let evaluations = budgetEvaluations ?? greedy.plannedEvaluations(layerSizes: evaluator.layerSizes)
                guard evaluations >= 2 else {
                    throw ToolError("--budget-evaluations: \(evaluations) is below one selection (2 evaluations)")
                }
                (budget, total) = (.trials(evaluations / 2), evaluations / 2 * 2)
            }
            let progress = context.progress("random", total: total)
            selection = try run {
                try RandomSelection(counts: counts, base: context.base, budget: budget, seed: seed)
                    .run(on: evaluator, progress: progress).selection
            }
            progress.finish()
        case .exhaustive:
            throw ToolError("internal: exhaustive is not a single selection")
        }
        let used = evaluator.evaluationCount - before
        if let out { try SelectionInputs.write(selection, to: out) }
        if plotDir != nil {
            throw ToolError("--plot-dir: figures come from --algorithm exhaustive (rankings) or --amend (series)")
        }
        var report = context.report(evaluations: used)
        report.hrank = hrank?.summary
        report.selections = [try context.entry(selection, evaluations: used)]
        return report
    }

    private func runAmend(_ context: inout RunContext) throws -> SelectionRunReport {
        let evaluator = context.scoring
        let percents = try SelectionInputs.integers(percent ?? "", flag: "--percent")
        guard percents == percents.sorted(), Set(percents).count == percents.count,
            let last = percents.last, last <= 100
        else { throw ToolError("--percent: the amend series must be ascending, distinct and at most 100") }
        let progress = context.progress(
            "amend", total: try Self.amendEvaluations(percents: percents, layerSizes: evaluator.layerSizes))
        let before = evaluator.evaluationCount
        let series = try run {
            try GreedySelection.percentSeries(
                percents: percents, base: context.base, evaluator: evaluator, progress: progress)
        }
        progress.finish()
        let used = evaluator.evaluationCount - before
        var report = context.report(evaluations: used)
        let folder = out ?? "."
        var points: [(encrypted: Double, accuracies: SelectionAccuracies)] = []
        let widths = Double(evaluator.layerSizes.reduce(0, +))
        for (percent, selection) in series {
            try SelectionInputs.write(
                selection,
                to: URL(fileURLWithPath: folder).appendingPathComponent("selected_neurons_\(percent)%.json").path)
            var entry = try context.entry(selection, evaluations: 0)
            entry.percent = percent
            report.selections.append(entry)
            points.append(
                (
                    100 * Double(selection.count) / widths,
                    SelectionAccuracies(separate: entry.test.accuracy_s, remove: entry.test.accuracy_r)
                ))
        }
        if let plotDir {
            try SelectionInputs.write(
                SelectionPlots.accuracyVersusEncrypted(dataset: context.dataset.displayName, points: points),
                folder: plotDir, name: "accuracy_vs_encrypted.svg")
        }
        return report
    }

    /// Evaluations of the amend series with step 1: each percentage continues from the previous counts; a fully
    /// selected first layer makes the second fully selected without evaluation.
    static func amendEvaluations(percents: [Int], layerSizes: [Int]) throws -> Int {
        var previous = [0, 0], total = 0
        let widths = Array(layerSizes.prefix(2))
        for percent in percents {
            let counts = try SelectionCount.percent(percent).counts(layerSizes: widths)
            total += (previous[0]..<max(previous[0], counts[0])).reduce(0) { $0 + widths[0] - $1 }
            if counts[0] < widths[0] {
                total += 2 * (previous[1]..<max(previous[1], counts[1])).reduce(0) { $0 + widths[1] - $1 }
                previous = counts
            } else {
                previous = widths
            }
        }
        return total
    }

    private func runExhaustive(_ context: inout RunContext) throws -> SelectionRunReport {
        let evaluator = context.scoring
        let sizes = evaluator.layerSizes
        let grid: ExhaustiveGrid
        switch context.dataset {
        case .mnist: grid = .mnist
        case .emnist: grid = .emnist
        default:
            guard count != nil else {
                throw ToolError("--algorithm exhaustive: \(dataset.rawValue) has no spec grid; give --count n1,n2")
            }
            grid = ExhaustiveGrid(layer1Size: sizes[0], layer2Size: sizes[1], layer1Counts: 1...1, layer2MaxCount: 1)
        }
        var categories = grid.categories
        if count != nil {
            let values = try counts(layerSizes: sizes)
            guard values.count == 2 else { throw ToolError("--count: exhaustive needs two counts n1,n2") }
            do {
                categories = [try grid.category(layer1Count: values[0], layer2Count: values[1])]
            } catch let error as NNError {
                throw ToolError("--count: \(error)")
            }
        } else if out != nil {
            throw ToolError("--out: give --count n1,n2 to pick the category whose best selection is written")
        }
        let total = categories.reduce(0) { $0 + $1.combinations }
        let (index, shards) = try shardNumbers()
        let rows = (total * index / shards)..<(total * (index + 1) / shards)
        let logPath = log ?? "\(context.dataset.rawValue)-exhaustive-\(index)-of-\(shards).jsonl"
        let logURL = URL(fileURLWithPath: logPath)
        let resumeAt: Int
        do {
            let existing = FileManager.default.fileExists(atPath: logPath) ? try ExhaustiveLog.read(logURL) : []
            // A log of another enumeration (other --count, --shard or data set) would resume at the wrong row.
            for row in existing {
                guard rows.contains(row.index), let category = Self.category(of: row.index, in: categories),
                    row.selection[1].count == category.layer1Count, row.selection[2].count == category.layer2Count
                else {
                    throw ToolError(
                        "\(logPath): row \(row.index) \(row.selection) is not from this run's enumeration "
                            + "(another --count, --shard or data set?)")
                }
            }
            resumeAt = max(rows.lowerBound, (existing.map(\.index).max() ?? -1) + 1)
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
        let search = ExhaustiveSearch(grid: grid)
        let todo = resumeAt..<max(resumeAt, rows.upperBound)
        let progress = context.progress("exhaustive", total: 2 * todo.count)
        let before = evaluator.evaluationCount
        // Score in blocks, appending each block to the log so a killed run resumes where it stopped.
        var start = todo.lowerBound
        while start < todo.upperBound {
            let end = min(todo.upperBound, start + 2000)
            let block = try run {
                try search.run(on: evaluator, categories: categories, indices: start..<end, progress: progress)
            }
            do {
                try ExhaustiveLog.append(block, to: logURL)
            } catch let error as DataFileError {
                throw ToolError(error.description)
            }
            start = end
        }
        progress.finish()
        let used = evaluator.evaluationCount - before
        let logged: [ExhaustiveSearch.Row]
        do {
            logged = try ExhaustiveLog.read(logURL).filter { rows.contains($0.index) }
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
        var report = context.report(evaluations: used)
        report.log = logPath
        report.shard = "\(index)/\(shards)"
        report.rows = logged.count
        let ranked = try rank.map { ($0, try SelectionInputs.selection($0, layerSizes: sizes)) }
        var best: SelectedNeurons?
        for category in categories {
            let members = logged.filter {
                $0.selection[1].count == category.layer1Count && $0.selection[2].count == category.layer2Count
            }
            let byPoint = members.sorted {
                $0.accuracies.point(base: context.base) > $1.accuracies.point(base: context.base)
            }
            guard let top = byPoint.first, let bottom = byPoint.last else { continue }
            report.categories.append(
                .init(
                    counts: [category.layer1Count, category.layer2Count], combinations: category.combinations,
                    scored: members.count, best: .init(top, base: context.base),
                    worst: .init(bottom, base: context.base)))
            if best == nil { best = top.selection }
            var highlighted = [("best", top.accuracies), ("worst", bottom.accuracies)]
            for (file, selection) in ranked
            where selection[1].count == category.layer1Count && selection[2].count == category.layer2Count {
                let position = ExhaustiveSearch.rank(of: selection, among: members, base: context.base)
                let row = members.first { $0.selection == selection }
                report.ranks.append(
                    .init(
                        file: file, selection: selection, rank: position?.rank, of: members.count,
                        row: row.map { .init($0, base: context.base) }))
                if let row { highlighted.append((URL(fileURLWithPath: file).lastPathComponent, row.accuracies)) }
            }
            if let plotDir {
                let name = "\(category.layer1Count)_\(category.layer2Count)"
                let title = "\(context.dataset.displayName) (\(category.layer1Count), \(category.layer2Count))"
                try SelectionInputs.write(
                    SelectionPlots.accuracyVersusRank(
                        title: title + ": accuracy by rank", rows: members, base: context.base),
                    folder: plotDir, name: "accuracy_rank_\(name).svg")
                try SelectionInputs.write(
                    SelectionPlots.separateVersusRemove(
                        title: title + ": A_s vs A_r", rows: members,
                        highlighted: highlighted),
                    folder: plotDir, name: "distribution_\(name).svg")
            }
        }
        if let versusRandom {
            report.versus_random = try compareWithRandom(
                greedyReport: versusRandom, logged: logged, categories: categories, base: context.base, log: logPath,
                layerSizes: sizes)
        }
        if count != nil, let best {
            if let out { try SelectionInputs.write(best, to: out) }
            report.selections = [try context.entry(best, evaluations: used)]
        }
        return report
    }

    /// The category holding enumeration row `index` (categories in order, rows numbered across them).
    static func category(of index: Int, in categories: [ExhaustiveGrid.Category]) -> ExhaustiveGrid.Category? {
        var start = 0
        for category in categories {
            if index >= start && index < start + category.combinations { return category }
            start += category.combinations
        }
        return nil
    }

    /// `--shard i/n` → (i, n); (0, 1) without the flag.
    func shardNumbers() throws -> (Int, Int) {
        guard let shard else { return (0, 1) }
        let parts = shard.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else {
            throw ToolError("--shard: '\(shard)' is not i/n with 0 ≤ i < n")
        }
        return (i, n)
    }

    /// Runs library work, turning its selection errors into one-line tool errors.
    private func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NNError {
            throw ToolError("select: \(error)")
        }
    }
}

extension PruningCriterion: ExpressibleByArgument {}

/// What `select` prints and writes with `--report`.
struct SelectionRunReport: Encodable {
    var algorithm: String
    var dataset: String
    var model: String
    var score_on: String
    var base: Double
    /// Evaluations the selection itself used (the closing tests come on top).
    var evaluations: Int
    var seconds: Double
    var selections: [Entry] = []
    var categories: [Category] = []
    /// Exhaustive: where the `--rank` selections stand in their category (spec §10.2, `analyze_ranking.py`).
    var ranks: [Rank] = []
    var log: String?
    var shard: String?
    var rows: Int?
    /// `--norm hrank`: the feature-map ranks the selection was made from.
    var hrank: HRankRanks?
    /// Exhaustive `--versus-random`: random sampling against greedy (spec §10.4).
    var versus_random: VersusRandom?

    /// One selection and its closing test.
    struct Entry: Encodable {
        var selection: SelectedNeurons
        var counts: [Int]
        var percent: Int?
        var evaluations: Int
        /// A_s, A_r and score on the scoring half when it is not the test half.
        var scoring: Scored?
        var test: ClosingSummary
    }

    struct Scored: Encodable {
        var accuracy_s: Double
        var accuracy_r: Double
        var score: Double
    }

    /// Exhaustive: one size category's best and worst selections.
    struct Category: Encodable {
        var counts: [Int]
        var combinations: Int
        var scored: Int
        var best: Row
        var worst: Row
    }

    /// One `--rank` file: 1-based rank by point among the scored rows of its category (`nil` if not scored).
    struct Rank: Encodable {
        var file: String
        var selection: SelectedNeurons
        var rank: Int?
        var of: Int
        var row: Row?
    }

    struct Row: Encodable {
        var index: Int
        var selection: SelectedNeurons
        var accuracy_s: Double
        var accuracy_r: Double
        var score: Double

        init(_ row: ExhaustiveSearch.Row, base: Double) {
            index = row.index
            selection = row.selection
            accuracy_s = row.accuracies.separate
            accuracy_r = row.accuracies.remove
            score = row.accuracies.point(base: base)
        }
    }

    /// A few lines for a terminal.
    var text: String {
        var lines = [
            "\(algorithm) on \(dataset) (scored on the \(score_on) half): \(evaluations) evaluations, "
                + String(format: "%.1f s", seconds)
        ]
        for entry in selections {
            lines.append("selection \(entry.selection)" + (entry.percent.map { " (\($0)%)" } ?? ""))
            if let scored = entry.scoring {
                lines.append(
                    String(
                        format: "%@ half: A_s %.2f%%  A_r %.2f%%  score %.4f", score_on, scored.accuracy_s,
                        scored.accuracy_r, scored.score))
            }
            lines.append(entry.test.text)
        }
        for category in categories {
            lines.append(
                "(\(category.counts[0]), \(category.counts[1])): \(category.scored)/\(category.combinations) scored; best "
                    + "\(category.best.selection) A_s \(category.best.accuracy_s) A_r \(category.best.accuracy_r); worst "
                    + "\(category.worst.selection) A_s \(category.worst.accuracy_s) A_r \(category.worst.accuracy_r)")
        }
        for entry in ranks {
            lines.append(
                "\(entry.file) \(entry.selection): "
                    + (entry.rank.map { "rank \($0) of \(entry.of)" } ?? "not among the \(entry.of) scored rows"))
        }
        if let hrank { lines.append(hrank.text) }
        if let versus_random { lines.append(versus_random.text) }
        if let log { lines.append("rows logged in \(log)") }
        return lines.joined(separator: "\n")
    }
}
