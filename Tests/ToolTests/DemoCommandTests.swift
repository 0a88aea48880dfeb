import Foundation
import NN
import PrivateInference
import TestSupport
import Testing

@testable import Tool

/// `privdnn demo` end to end, the real binary on real MNIST and the committed models (issue 14): phases in pipeline
/// order, the recorded baseline's date and CPU, the selection of `privdnn select --algorithm greedy --count 1,1`,
/// accuracies once, and a chart of one bar per phase per method on a log axis.
@Suite(.serialized) struct DemoCommandTests {
    static let root = RepositoryPaths.root
    static let record = root.appendingPathComponent(FullBaseline.defaultRecord).path

    /// Runs the demo on the first `limit` test images with absolute paths, writing its chart to `svg`.
    static func demo(_ extra: [String], svg: String, in folder: URL) throws -> ChildProcess.Outcome {
        try ChildProcess.run(
            [
                "demo", "--model", root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
                "--square-model", root.appendingPathComponent("models/lenet5-mnist-square.safetensors").path,
                "--data-dir", RepositoryPaths.data.appendingPathComponent("mnist").path, "--full-baseline-record",
                record, "--svg", svg, "--one-image", "none",
            ] + extra, in: folder)
    }

    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The phase names of a JSON phase list, checking its form.
    static func names(_ value: Any?) throws -> [String] {
        let list = try #require(value as? [[String: Any]])
        return try list.map { entry in
            #expect((entry["seconds"] as? Double).map { $0 >= 0 } == true)
            return try #require(entry["phase"] as? String)
        }
    }

    /// `expected` appear in `names` in this order (other phases may sit between them), each once.
    static func inOrder(_ names: [String], _ expected: [String]) -> Bool {
        let positions = expected.map { names.firstIndex(of: $0) }
        return Set(names).count == names.count && !positions.contains(nil)
            && positions.compactMap { $0 } == positions.compactMap { $0 }.sorted()
    }

    /// The JSON run with the data-encrypted baseline: phase lists in pipeline order for all three methods, the
    /// selection equal to `privdnn select --algorithm greedy --count 1,1`'s on the same data, and an SVG with one
    /// bar per phase per method on a log axis.
    @Test func jsonPhasesSelectionAndChart() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.appendingPathComponent("demo.svg").path
        let run = try Self.demo(["--limit", "16", "--data-encrypted", "run", "--json"], svg: svg, in: dir)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])

        let partial = try Self.names(json["phases"])
        let full = try Self.names(json["full_encryption_phases"])
        let data = try Self.names(json["data_encrypted_phases"])
        #expect(
            Self.inOrder(
                partial,
                ["package", "load", "conv1", "activation", "conv2", "protect", "decrypt", "finish"]),
            "\(partial)")
        #expect(Self.inOrder(full, ["keys", "package", "conv1", "activation", "conv2", "fc", "decrypt"]), "\(full)")
        #expect(!full.contains("plain") && full.last == "reference", "\(full)")
        #expect(
            Self.inOrder(
                data, ["keys", "load", "encrypt", "receive", "conv1", "activation", "conv2", "fc", "send", "decrypt"]),
            "\(data)")
        #expect(data.last == "reference", "\(data)")

        // The same selection as `privdnn select --algorithm greedy --count 1,1` on the same validate half.
        let report = try SelectReports.run([
            "--algorithm", "greedy", "--count", "1,1", "--model", SelectReports.committedModel, "--data-dir",
            SelectReports.mnist,
        ])
        let entry = try #require((report["selections"] as? [[String: Any]])?.first)
        let selected = try #require(entry["selection"] as? [String: [Int]])
        let demoSelection = try #require(json["selection"] as? [String: [Int]])
        #expect(demoSelection == selected && demoSelection.keys.sorted() == ["1", "2"])
        #expect(report["evaluations"] as? Int == 38)

        // The chart: every phase of every method is one bar of the time panel, on a logarithmic axis.
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        let bars = Self.bars(text).filter { $0.panel == "time" }
        for (prefix, phases) in [("partial", partial), ("full", full), ("data", data)] {
            let rows = bars.filter { $0.series.hasPrefix(prefix) && $0.group != "total" }.map(\.group)
            let seconds = try #require(
                json[
                    prefix == "partial"
                        ? "phases" : prefix == "full" ? "full_encryption_phases" : "data_encrypted_phases"]
                    as? [[String: Any]])
            let shown = phases.enumerated().filter { (seconds[$0.offset]["seconds"] as? Double ?? 0) > 0 }.map(
                \.element)
            #expect(rows.sorted() == shown.sorted(), "\(prefix): \(rows) against \(shown)")
            #expect(bars.filter { $0.series.hasPrefix(prefix) && $0.group == "total" }.count == 1)
        }
        #expect(bars.contains { $0.series.hasPrefix("full encryption (recorded: 2026-") })
        #expect(text.contains("<g class=\"axis\" data-panel=\"time\" data-scale=\"log10\">"))
        // Log scale: bar lengths differ by a constant number of pixels per decade.
        let measurable = bars.filter { $0.width > 2 }
        let perDecade = zip(measurable, measurable.dropFirst()).compactMap { a, b -> Double? in
            abs(log10(a.value / b.value)) > 0.5 ? (a.width - b.width) / log10(a.value / b.value) : nil
        }
        #expect(perDecade.count > 5)
        if let first = perDecade.first { #expect(perDecade.allSatisfy { abs($0 - first) < 0.02 * first }) }
        #expect(text.contains("× partial)"))
    }

    /// The text run: the baseline line names the recorded run's date and CPU, each accuracy is printed once, and the
    /// table's phases are in pipeline order.
    @Test func textNamesTheBaselinesDateAndCPUAndPrintsAccuraciesOnce() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.demo(
            ["--limit", "16", "--data-encrypted", "none"], svg: dir.appendingPathComponent("demo.svg").path, in: dir)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let newest = try #require(
            try String(contentsOfFile: Self.record, encoding: .utf8).split(separator: "\n")
                .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .last {
                    ($0["benchmark"] as? String)?.hasPrefix("full-encryption/auto/") == true
                        && $0["agrees_with_plaintext"] as? Bool == true
                })
        let date = try #require(newest["date"] as? String), cpu = try #require(newest["cpu"] as? String)
        let baseline = try #require(lines.first { $0.hasPrefix("full encryption (recorded") })
        #expect(baseline.contains("on \(date), \(cpu)") && !baseline.contains("this machine"), "\(baseline)")
        // Each accuracy on one line of the table ("agreement with A_s" names A_s without repeating it).
        for name in ["A_o (plain)", "A_s (separate)", "A_r (remove)"] {
            let short = String(name.prefix(3))
            #expect(lines.filter { $0.hasPrefix(name) }.count == 1, "\(name) in \(run.stdout)")
            #expect(
                lines.filter { $0.contains(short) && !$0.hasPrefix("agreement with A_s") }.count == 1,
                "\(short) in \(run.stdout)")
        }
        let phases = lines.filter { $0.hasPrefix("  ") && $0.hasSuffix(" s") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(
            Self.inOrder(phases, ["package", "load", "conv1", "activation", "conv2", "protect", "decrypt", "finish"]))
    }

    /// One `<rect class="bar">` of the chart.
    struct Bar {
        var panel: String, group: String, series: String, value: Double, width: Double
    }

    static func bars(_ svg: String) -> [Bar] {
        func attribute(_ name: String, _ tag: Substring) -> String? {
            guard let start = tag.range(of: " \(name)=\"") else { return nil }
            let rest = tag[start.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
        return svg.components(separatedBy: "<rect class=\"bar\"").dropFirst().compactMap { part in
            let tag = part.prefix { $0 != ">" }
            guard let panel = attribute("data-panel", tag), let group = attribute("data-group", tag),
                let series = attribute("data-series", tag),
                let value = attribute("data-value", tag).flatMap(Double.init),
                let width = attribute("width", tag).flatMap(Double.init)
            else { return nil }
            return Bar(panel: panel, group: group, series: series, value: value, width: width)
        }
    }
}
