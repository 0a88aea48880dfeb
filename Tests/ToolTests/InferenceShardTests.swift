import Foundation
import TestSupport
import Testing

/// `inference --shard i/n --out FILE` and `merge` (issue 14) on real MNIST with the committed model: three local
/// shard processes merged give the one-process run's figures and predictions, and merge refuses incomplete or mixed
/// sets of shards in one line naming the file.
@Suite struct InferenceShardTests {
    let dir: URL
    let common: [String]

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        common = [
            "inference", "--dataset", "mnist", "--data-dir", RepositoryPaths.data.appendingPathComponent("mnist").path,
            "--model", RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
            "--limit", "24",
        ]
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Runs privdnn and returns its standard output, recording its error output if it fails.
    func succeed(_ arguments: [String]) throws -> String {
        let run = try ChildProcess.run(arguments, in: dir)
        #expect(run.exitCode == 0, "\(arguments.prefix(2)): \(run.stderr)")
        return run.stdout
    }

    /// Runs privdnn expecting a refusal; returns its one-line error.
    func refusal(_ arguments: [String]) throws -> String {
        let run = try ChildProcess.run(arguments, in: dir)
        #expect(run.exitCode != 0 && run.exitCode != nil, "\(arguments) succeeded")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        return run.stderr
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func file(_ name: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(name))))
                as? [String: Any])
    }

    /// The `selection` field of an inference JSON object as (layer, filters) pairs.
    func layers(_ object: [String: Any]) throws -> [String] {
        try #require(object["selection"] as? [[String: Any]]).map {
            "\($0["layer"] as? Int ?? -1): \($0["filters"] as? [Int] ?? [])"
        }
    }

    @Test func threeShardsMergeIntoTheOneProcessRun() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try object(try succeed(common + ["--share", "20", "--json", "--out", path("whole.json")]))
        // The three shards run side by side as three processes, as three pods or array tasks would.
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            results.set(
                i,
                Result {
                    try ChildProcess.run(
                        common + ["--share", "20", "--shard", "\(i)/3", "--out", path("shard-\(i).json")], in: dir)
                })
        }
        for i in 0..<3 {
            let run = try results.get(i).get()
            #expect(run.exitCode == 0, "shard \(i): \(run.stderr)")
        }
        for i in 0..<3 {
            let shard = try file("shard-\(i).json")
            #expect(shard["shard"] as? Int == i && shard["shards"] as? Int == 3 && shard["firstImage"] as? Int == 8 * i)
            let report = try #require(shard["report"] as? [String: Any])
            #expect(report["images"] as? Int == 8)
            // Eight images per shard would go in the pixels packing; the shards take the whole run's (batch).
            #expect(report["packing"] as? String == "batch" && whole["packing"] as? String == "batch")
        }
        let merged = try object(
            try succeed(["merge", "--out", path("merged.json")] + [2, 0, 1].map { path("shard-\($0).json") }))
        for key in [
            "images", "accuracy_plain", "accuracy_separate", "accuracy_encrypted", "agreement", "packing", "dataset",
            "params", "share", "random_model", "synthetic", "memory_budget_bytes",
        ] {
            #expect(
                String(describing: merged[key] ?? "absent") == String(describing: whole[key] ?? "absent"), "\(key)")
        }
        #expect(merged["images"] as? Int == 24 && merged["agreement"] as? Double == 100)
        #expect(try layers(merged) == layers(whole))
        #expect((merged["max_logit_difference"] as? Double ?? 1) < 1e-3)
        // Times are the shards' sums, labelled as such; memory the largest shard's.
        let shardSeconds = try (0..<3).map {
            try #require((try file("shard-\($0).json")["report"] as? [String: Any])?["secondsTotal"] as? Double)
        }
        #expect(abs((merged["seconds_total"] as? Double ?? 0) - shardSeconds.reduce(0, +)) < 1e-9)
        #expect(merged["seconds_total_longest_shard"] as? Double == shardSeconds.max())
        #expect(merged["shards"] as? Int == 3)
        let aggregation = try #require(merged["aggregation"] as? [String: [String]])
        #expect(aggregation["sum"]?.contains("seconds_total") == true)
        #expect(aggregation["max"]?.contains("peak_rss_bytes") == true)
        // Every image's label and predictions (plain, separate, encrypted) equal the one-process run's.
        let wholePredictions = try #require((try file("whole.json")["report"] as? [String: Any])?["predictions"])
        let mergedPredictions = try #require((try file("merged.json")["report"] as? [String: Any])?["predictions"])
        let expected = try #require(wholePredictions as? [String: [Int]])
        #expect(expected["labels"]?.count == 24 && expected["encrypted"]?.count == 24)
        #expect(mergedPredictions as? [String: [Int]] == expected)

        // A missing shard, a shard given twice and a shard of another run (another selection) are refused.
        #expect(
            try refusal(["merge", path("shard-0.json"), path("shard-2.json")])
                .contains("shard 1/3 (images 8..<16) is missing"))
        try FileManager.default.copyItem(atPath: path("shard-1.json"), toPath: path("copy.json"))
        let twice = try refusal(["merge", path("shard-0.json"), path("shard-1.json"), path("copy.json")])
        #expect(twice.contains("\(path("copy.json")): shard 1/3 again (also \(path("shard-1.json")))"))
        _ = try succeed(common + ["--share", "30", "--shard", "2/3", "--out", path("other.json")])
        let other = try refusal(["merge", path("shard-0.json"), path("shard-1.json"), path("other.json")])
        #expect(other.contains("\(path("other.json")): a shard of another run than \(path("shard-0.json"))"))
        #expect(other.contains("selection") && other.contains("share"))
        // Bad --shard values and a file that is not a result file are named.
        #expect(try refusal(common + ["--share", "20", "--shard", "3/3"]).contains("--shard: '3/3'"))
        #expect(try refusal(common + ["--share", "20", "--shard", "0/30"]).contains("leave this slice empty"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path("empty.json")))
        #expect(try refusal(["merge", path("empty.json")]).contains("\(path("empty.json")): not a result file"))
    }
}

/// Results written from concurrent iterations.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Result<ChildProcess.Outcome, Error>] = [:]

    func set(_ i: Int, _ result: Result<ChildProcess.Outcome, Error>) {
        lock.lock()
        defer { lock.unlock() }
        results[i] = result
    }

    func get(_ i: Int) throws -> Result<ChildProcess.Outcome, Error> {
        lock.lock()
        defer { lock.unlock() }
        return try #require(results[i])
    }
}
