import Foundation
import NN
import TestSupport
import Testing

@testable import Tool

/// `privdnn demo --full-baseline` and `privdnn train --fc-activation`.
@Suite struct FullBaselineCommandTests {
    @Test func demoBaselineChoices() throws {
        let plain = try #require(try PrivDNNCommand.parseAsRoot(["demo"]) as? DemoCommand)
        #expect(plain.fullBaseline == .recorded && !plain.noBaseline)
        #expect(plain.fullBaselineRecord == FullBaseline.defaultRecord)
        let run = try #require(
            try PrivDNNCommand.parseAsRoot(["demo", "--full-baseline", "run", "--square-model", "sq.safetensors"])
                as? DemoCommand)
        #expect(run.fullBaseline == .run && run.squareModel == "sq.safetensors")
        #expect(throws: (any Error).self) { try PrivDNNCommand.parseAsRoot(["demo", "--full-baseline", "maybe"]) }
    }

    @Test func realRunNamesAMissingSquareModel() throws {
        let missing = "/nonexistent/square.safetensors"
        let error = #expect(throws: ToolError.self) {
            try FullBaseline.make(
                .run, squareModel: missing,
                images: try LabeledImages(
                    count: 0, channels: 1, height: 28, width: 28, pixels: [], labels: [], labelNames: ["0"]))
        }
        #expect(String(describing: error).contains(missing))
    }

    /// The committed record holds real measured runs: the newest `auto` one that agreed is used.
    @Test func recordedBaselineReadsTheNewestAgreeingRun() throws {
        let path = RepositoryPaths.root.appendingPathComponent(FullBaseline.defaultRecord).path
        let baseline = try FullBaseline.recorded(path, preset: "auto")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let newest = try #require(
            lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .last { ($0["benchmark"] as? String)?.hasPrefix("full-encryption/auto/") == true })
        #expect(baseline.secondsTotal == newest["seconds_total"] as? Double)
        #expect(baseline.secondsTotal > 60 && baseline.peakBytes > 1e9)
        #expect(baseline.kind == "recorded" && baseline.agreement == 100)
        #expect(baseline.phases["conv1"] != nil && baseline.summary.contains(path))
        // The record names when and where it ran; the baseline line repeats it, and the plaintext reference,
        // "plain" in the older records, is the "reference" phase.
        let date = try #require(newest["date"] as? String), cpu = try #require(newest["cpu"] as? String)
        #expect(baseline.measuredOn == "\(date), \(cpu)" && baseline.summary.contains("on \(date), \(cpu)"))
        #expect(!baseline.summary.contains("this machine"))
        #expect(baseline.phases["reference"] != nil && baseline.phases["plain"] == nil)
        let privdnn = try FullBaseline.recorded(path, preset: "privdnn")
        #expect(privdnn.secondsTotal != baseline.secondsTotal)
    }

    /// A record without `date` and `cpu` is not passed off as measured on this machine.
    @Test func recordedBaselineWithoutDateOrCPUSaysSo() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fullrec-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let path = RepositoryPaths.root.appendingPathComponent(FullBaseline.defaultRecord).path
        let line = try #require(
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").last {
                $0.contains("full-encryption\\/auto\\/")
            })
        let stripped = line.replacingOccurrences(of: #""cpu":"[^"]*","#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""date":"[^"]*","#, with: "", options: .regularExpression)
        #expect(stripped != line && !stripped.contains("\"date\"") && !stripped.contains("\"cpu\""))
        try Data((stripped + "\n").utf8).write(to: file)
        let baseline = try FullBaseline.recorded(file.path, preset: "auto")
        #expect(baseline.measuredOn == nil && baseline.summary.contains("a date and CPU the record does not give"))
    }

    @Test func recordedBaselineErrorsNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fullrec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("none.jsonl").path
        let bad = dir.appendingPathComponent("bad.jsonl")
        try Data("{\"benchmark\": \"x\"}\nnot json\n".utf8).write(to: bad)
        let other = dir.appendingPathComponent("other.jsonl")
        try Data(
            "{\"benchmark\": \"full-encryption/privdnn/N=32768/measured\", \"agrees_with_plaintext\": true}\n".utf8
        )
        .write(to: other)
        for (path, needle) in [
            (missing, "no recorded"), (bad.path + ":2", "not a JSON object"),
            (other.path, "no complete measured run"),
        ] {
            let file = path.hasSuffix(":2") ? String(path.dropLast(2)) : path
            let error = #expect(throws: ToolError.self) { try FullBaseline.recorded(file, preset: "auto") }
            #expect(String(describing: error).contains(path) && String(describing: error).contains(needle))
        }
    }

    @Test func trainSquareActivationOnlyForLeNet() throws {
        let ok = try #require(
            try PrivDNNCommand.parseAsRoot(["train", "--dataset", "mnist", "--fc-activation", "square"])
                as? TrainCommand)
        #expect(ok.fcActivation == .square)
        #expect(throws: (any Error).self) {
            try PrivDNNCommand.parseAsRoot(["train", "--dataset", "cifar10", "--fc-activation", "square"])
        }
    }
}
