import Foundation
import NN

/// `select --algorithm exhaustive`: every selection of the spec grid's categories (or of the `--count` category)
/// scored into a resumable JSON-lines log, then each category's best and worst, the `--rank` files' places, the
/// figures and the `--versus-random` comparison.
extension SelectCommand {
    /// Runs this shard of the enumeration (resuming its log) and reports on every row the log holds for it.
    func runExhaustive(_ context: inout RunContext) throws -> SelectionRunReport {
        let evaluator = context.scoring
        let sizes = evaluator.layerSizes
        let (grid, categories) = try exhaustiveCategories(context.dataset, layerSizes: sizes)
        let total = categories.reduce(0) { $0 + $1.combinations }
        let slice = try ShardSlice(shard)
        let share = ExhaustiveResume(categories: categories, rows: slice.range(of: total))
        let logPath = log ?? "\(context.dataset.rawValue)-exhaustive-\(slice.index)-of-\(slice.count).jsonl"
        let before = evaluator.evaluationCount
        try scoreExhaustive(ExhaustiveSearch(grid: grid), share: share, logPath: logPath, context: context)
        let used = evaluator.evaluationCount - before
        let logged: [ExhaustiveSearch.Row]
        do {
            logged = try share.loggedRows(log: URL(fileURLWithPath: logPath))
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
        var report = context.report(evaluations: used)
        report.log = logPath
        report.shard = slice.text
        report.rows = logged.count
        let best = try summariseCategories(categories, logged: logged, into: &report, context: context)
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

    /// The grid and the categories of it to enumerate: the data set's spec grid (MNIST, EMNIST), or with
    /// `--count n1,n2` that one category (of any data set).
    /// - Throws: ``ToolError`` for a data set without a grid and no `--count`, counts outside the layers, or
    ///   `--out` without `--count` (only one category has a best selection to write).
    func exhaustiveCategories(
        _ dataset: Dataset, layerSizes sizes: [Int]
    ) throws -> (grid: ExhaustiveGrid, categories: [ExhaustiveGrid.Category]) {
        let grid: ExhaustiveGrid
        switch dataset {
        case .mnist: grid = .mnist
        case .emnist: grid = .emnist
        default:
            guard count != nil else {
                throw ToolError("--algorithm exhaustive: \(dataset.rawValue) has no spec grid; give --count n1,n2")
            }
            grid = ExhaustiveGrid(layer1Size: sizes[0], layer2Size: sizes[1], layer1Counts: 1...1, layer2MaxCount: 1)
        }
        guard count != nil else {
            if out != nil {
                throw ToolError("--out: give --count n1,n2 to pick the category whose best selection is written")
            }
            return (grid, grid.categories)
        }
        let values = try counts(layerSizes: sizes)
        guard values.count == 2 else { throw ToolError("--count: exhaustive needs two counts n1,n2") }
        do {
            return (grid, [try grid.category(layer1Count: values[0], layer2Count: values[1])])
        } catch let error as NNError {
            throw ToolError("--count: \(error)")
        }
    }

    /// Scores the share's rows not yet in its log, appending each block of rows to the log so that a killed run
    /// resumes where it stopped.
    /// - Throws: ``ToolError`` for a log that cannot be read or written or that holds a row of another enumeration
    ///   (another `--count`, `--shard` or data set), and for a selection error.
    func scoreExhaustive(
        _ search: ExhaustiveSearch, share: ExhaustiveResume, logPath: String, context: RunContext
    ) throws {
        let logURL = URL(fileURLWithPath: logPath)
        let resumeAt: Int
        do {
            resumeAt = try share.resumeIndex(log: logURL)
        } catch let error as ExhaustiveResume.ForeignRow {
            throw ToolError(
                "\(logPath): row \(error.row.index) \(error.row.selection) is not from this run's enumeration "
                    + "(another --count, --shard or data set?)")
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
        let todo = resumeAt..<max(resumeAt, share.rows.upperBound)
        let progress = context.progress("exhaustive", total: 2 * todo.count)
        var start = todo.lowerBound
        while start < todo.upperBound {
            let end = min(todo.upperBound, start + 2000)
            let block = try run {
                try search.run(
                    on: context.scoring, categories: share.categories, indices: start..<end, progress: progress)
            }
            do {
                try ExhaustiveLog.append(block, to: logURL)
            } catch let error as DataFileError {
                throw ToolError(error.description)
            }
            start = end
        }
        progress.finish()
    }

    /// Adds each category's best and worst rows by point and the places of the `--rank` files in it to `report`,
    /// and with `--plot-dir` writes its two figures (accuracy by rank, A_s against A_r).
    /// - Returns: the best selection of the first category with scored rows (the one `--out` writes).
    /// - Throws: ``ToolError`` for a `--rank` file that is not a selection of the model, or a figure that cannot be
    ///   written.
    func summariseCategories(
        _ categories: [ExhaustiveGrid.Category], logged: [ExhaustiveSearch.Row], into report: inout SelectionRunReport,
        context: RunContext
    ) throws -> SelectedNeurons? {
        let ranked = try rank.map { ($0, try SelectionInputs.selection($0, layerSizes: context.scoring.layerSizes)) }
        var best: SelectedNeurons?
        for category in categories {
            let members = logged.filter { category.contains($0.selection) }
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
            for (file, selection) in ranked where category.contains(selection) {
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
        return best
    }
}
