import ArgumentParser
import Foundation
import PrivateInference

/// `privdnn merge`: the result files of `inference --shard i/n --out FILE` combined into what one process running
/// the whole set would have printed.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the result files of `inference --shard i/n --out FILE` into the one-process run's JSON.",
        discussion: """
            Prints the object `inference --json` prints for the whole run: images, accuracies and agreement, \
            counted from every image's predictions, equal the one-process run's; max |Δ logit| is the largest \
            shard's; times, CPU seconds, phases and bytes sent are summed over the shards and peak memory, package \
            size and chunks are the largest shard's (listed under "aggregation"). Refuses shards of different runs, a shard given twice and a missing shard.
            """
    )

    @Option(help: "Also write the combined result file (every image's predictions) here.") var out: String?
    @Argument(help: "The n result files of one run's shards 0/n … (n-1)/n, in any order.") var files: [String] = []

    func run() throws {
        guard !files.isEmpty else { throw ToolError("merge: give the result files of the shards") }
        let merged = try InferenceShards.merge(try files.map { ($0, try InferenceResultFile.read($0)) })
        if let out { try merged.file.write(to: out) }
        print(try InferenceReportJSON.encode(merged.file.report, extra: merged.fields))
    }
}

/// Checking and combining the result files of one sharded run.
enum InferenceShards {
    /// Merge's output: the combined result file and the fields printed beside its report.
    struct Merged {
        var file: InferenceResultFile
        var fields: [String: Any]
    }

    /// Combines the result files `(path, file)` of every shard of one run.
    /// - Throws: ``ToolError`` naming the file that belongs to another run than the first file or repeats a shard,
    ///   or the first shard missing.
    static func merge(_ inputs: [(path: String, file: InferenceResultFile)]) throws -> Merged {
        guard let (firstPath, first) = inputs.first else {
            throw ToolError("merge: give the result files of the shards")
        }
        var byShard: [Int: (path: String, file: InferenceResultFile)] = [:]
        for (path, file) in inputs {
            if file.shards != first.shards {
                throw ToolError(
                    "\(path): shard \(file.slice.text) of a run in \(file.shards) shards, but \(firstPath) is "
                        + "\(first.slice.text)")
            }
            let differences = file.run.differences(from: first.run)
            if !differences.isEmpty {
                throw ToolError(
                    "\(path): a shard of another run than \(firstPath) (\(differences.joined(separator: ", ")) differ)")
            }
            if let earlier = byShard[file.shard] {
                throw ToolError("\(path): shard \(file.slice.text) again (also \(earlier.path))")
            }
            byShard[file.shard] = (path, file)
        }
        let shards = try (0..<first.shards).map { index in
            guard let shard = byShard[index]?.file else {
                let range = ShardSlice(index: index, count: first.shards).range(of: first.run.totalImages)
                throw ToolError(
                    "merge: shard \(index)/\(first.shards) (images \(range.lowerBound)..<\(range.upperBound)) is "
                        + "missing: \(inputs.count) of \(first.shards) result files given")
            }
            return shard.report
        }
        let report = InferenceReport(combining: shards)
        let fields =
            first.run.jsonFields.merging([
                "shards": first.shards,
                "seconds_total_longest_shard": shards.map(\.secondsTotal).max() ?? 0,
                "aggregation": [
                    "sum": [
                        "cpu_seconds", "phases", "request_bytes", "response_bytes", "seconds_exchange",
                        "seconds_package", "seconds_total",
                    ],
                    "max": ["chunks", "package_bytes", "peak_rss_bytes"],
                ],
            ]) { $1 }
        return Merged(
            file: InferenceResultFile(
                slice: .whole, firstImage: 0, run: first.run, report: report, mergedShards: first.shards),
            fields: fields)
    }
}
