import Foundation
import TestSupport
import Testing

@testable import Tool

/// Issue 14: exhaustive selection's shard logs combine by concatenation, on real MNIST with the committed model.
@Suite struct ExhaustiveShardLogTests {
    /// The logs of two exhaustive shards, concatenated, are one complete log: the one-process command on it scores
    /// nothing and reports the same best and worst rows as a run that scored every row itself.
    @Test func shardLogsConcatenateIntoOneRun() throws {
        let logs = ["a", "b", "all", "whole"].map { temporaryPath("\($0).jsonl") }
        defer { for path in logs { try? FileManager.default.removeItem(atPath: path) } }
        let arguments = [
            "--model", SelectReports.committedModel, "--data-dir", SelectReports.mnist, "--limit", "300",
            "--algorithm", "exhaustive", "--count", "1,1",
        ]
        for (i, log) in logs.prefix(2).enumerated() {
            #expect(try SelectReports.run(arguments + ["--shard", "\(i)/2", "--log", log])["rows"] as? Int == 48)
        }
        let joined = try logs.prefix(2).map { try Data(contentsOf: URL(fileURLWithPath: $0)) }.reduce(Data(), +)
        try joined.write(to: URL(fileURLWithPath: logs[2]))
        let merged = try SelectReports.run(arguments + ["--log", logs[2]])
        #expect(merged["evaluations"] as? Int == 0 && merged["rows"] as? Int == 96)
        let whole = try SelectReports.run(arguments + ["--log", logs[3]])
        #expect(whole["evaluations"] as? Int == 192 && whole["rows"] as? Int == 96)
        let categories = try [merged, whole].map { try #require(($0["categories"] as? [[String: Any]])?.first) }
        #expect(categories[0]["scored"] as? Int == 96)
        for key in ["best", "worst"] {
            let rows = try categories.map { try #require($0[key] as? [String: Any]) }
            #expect(rows[0]["index"] as? Int == rows[1]["index"] as? Int, "\(key)")
            #expect(rows[0]["score"] as? Double == rows[1]["score"] as? Double, "\(key)")
        }
    }
}
