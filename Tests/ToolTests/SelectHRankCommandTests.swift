import Foundation
import NN
import Testing

/// `privdnn select --algorithm pruning --norm hrank` as a child process on real MNIST with the committed model.
@Suite(.serialized) struct SelectHRankCommandTests {
    static let model = SelectReports.committedModel
    static let data = SelectReports.mnist

    func run(_ arguments: [String]) throws -> ChildProcess.Outcome {
        try ChildProcess.run(["select", "--model", Self.model] + arguments, in: FileManager.default.temporaryDirectory)
    }

    func select(_ arguments: [String]) throws -> ChildProcess.Outcome {
        try run(["--data-dir", Self.data, "--limit", "200"] + arguments)
    }

    @Test func pruningByHRankEndToEnd() throws {
        let out = temporaryPath("sel.json"), reportFile = temporaryPath("report.json")
        defer {
            for path in [out, reportFile] { try? FileManager.default.removeItem(atPath: path) }
        }
        let outcome = try select([
            "--algorithm", "pruning", "--norm", "hrank", "--count", "2,4", "--out", out, "--report", reportFile,
            "--json",
        ])
        #expect(outcome.exitCode == 0, "\(outcome.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportFile)))
                as? [String: Any])
        #expect(report["evaluations"] as? Int == 0)
        let hrank = try #require(report["hrank"] as? [String: Any])
        #expect(hrank["images"] as? Int == 500 && hrank["seed"] as? Int == 0)
        let ranks = try #require(hrank["average_ranks"] as? [String: [Double]])
        let layer1 = try #require(ranks["1"]), layer2 = try #require(ranks["2"])
        #expect(layer1.count == 6 && layer1.allSatisfy { (0...24).contains($0) })
        #expect(layer2.count == 16 && layer2.allSatisfy { (0...8).contains($0) })

        // The same averages from the library on the same seeded sample, and the selection they give.
        let model = try Model(contentsOf: URL(fileURLWithPath: Self.model))
        let train = try Dataset.mnist.load(.train, root: URL(fileURLWithPath: Self.data))
        let sample = train.subset(FeatureMapRanks.sample(500, of: train.count, seed: 0))
        let expected = try FeatureMapRanks.averages(
            model: model, layer: 2, images: sample, normalization: Dataset.mnist.normalization)
        #expect(zip(layer2, expected).allSatisfy { abs($0 - $1) < 1e-9 })
        let written = try SelectedNeurons(contentsOf: URL(fileURLWithPath: out))
        #expect(written[1] == PruningCriterion.strongest(2, scores: layer1, tiesToHigherIndex: true))
        #expect(written[2] == PruningCriterion.strongest(4, scores: layer2, tiesToHigherIndex: true))
        // Printed JSON is the report on one line.
        #expect(outcome.stdout.hasPrefix("{") && outcome.stdout.contains("\"average_ranks\""))

        // Another seed samples other images; pruning-greedy takes its pools from the same ranks.
        let greedy = try select(["--algorithm", "pruning-greedy", "--norm", "hrank", "--count", "1,1", "--seed", "3"])
        #expect(greedy.exitCode == 0, "\(greedy.stderr)")
        #expect(greedy.stdout.contains("HRank: average feature-map rank over 500 training images (seed 3)"))
    }

    @Test func badInputGivesOneLine() throws {
        let wrongAlgorithm = try select(["--algorithm", "greedy", "--norm", "hrank", "--count", "1,1"])
        #expect(wrongAlgorithm.exitCode != 0 && wrongAlgorithm.stderr.contains("--norm hrank is for"))
        // A data folder with the test files but no training files: the error names the missing file.
        let partial = temporaryPath("mnist")
        defer { try? FileManager.default.removeItem(atPath: partial) }
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.createSymbolicLink(
                atPath: partial + "/" + name, withDestinationPath: Self.data + "/" + name)
        }
        let missing = try run([
            "--data-dir", partial, "--limit", "50", "--algorithm", "pruning", "--norm", "hrank", "--count", "1,1",
        ])
        #expect(missing.exitCode != 0)
        #expect(missing.stderr.contains(partial + "/train-images"), "\(missing.stderr)")
        #expect(missing.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
    }
}
