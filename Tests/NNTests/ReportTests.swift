import Foundation
import Synchronization
import Testing

@testable import NN

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A hand-advanced clock for deterministic rates and throttling.
final class FakeClock: Sendable {
    private let now = Mutex(0.0)
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
}

/// Collects everything written by a reporter.
final class Collected<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
}

@Suite struct ProgressReporterTests {
    @Test func rendersBarRateAndETA() {
        let clock = FakeClock()
        let text = Collected<String>()
        let reporter = ProgressReporter(
            label: "greedy", total: 40, unit: "eval", output: .terminal { text.append($0) }, clock: clock.read)
        clock.advance(2)
        reporter.advance(by: 10)
        #expect(text.all.count == 1)
        #expect(
            text.all[0] == "\r" + "greedy [#######·······················] 10/40 25% 5.0 eval/s ETA 0:06" + "\u{1B}[K")
        // Within the throttle interval nothing is redrawn.
        reporter.advance()
        #expect(text.all.count == 1)
        clock.advance(2)
        reporter.advance(by: 29)
        reporter.finish()
        reporter.finish()
        #expect(text.all.count == 3)
        #expect(text.all[2].hasSuffix("40/40 100% 10.0 eval/s in 0:04\u{1B}[K\n"))
    }

    @Test func snapshotsAreJSONFriendly() throws {
        let clock = FakeClock()
        let events = Collected<ProgressSnapshot>()
        let reporter = ProgressReporter(
            label: "exhaustive", total: 312_492, output: .snapshots { events.append($0) }, minimumInterval: 0,
            clock: clock.read)
        clock.advance(4)
        reporter.advance(by: 1000)
        let first = try #require(events.all.first)
        #expect(first.ratePerSecond == 250 && first.etaSeconds == 1245.968)
        let decoded = try JSONDecoder().decode(ProgressSnapshot.self, from: Data(first.jsonLine.utf8))
        #expect(decoded == first)
        #expect(first.jsonLine.hasPrefix("{\"completed\":1000,"))
    }

    @Test func concurrentAdvancesAreCounted() {
        let reporter = ProgressReporter(label: "x", total: 4000, output: .silent)
        DispatchQueue.concurrentPerform(iterations: 4000) { _ in reporter.advance() }
        #expect(reporter.snapshot.completed == 4000)
    }

    @Test func durations() {
        #expect(ProgressReporter.formatDuration(59.2) == "1:00")
        #expect(ProgressReporter.formatDuration(3725) == "1:02:05")
        #expect(ProgressReporter.formatDuration(.infinity) == "--:--")
        let unknown = ProgressSnapshot(
            label: "scan", completed: 7, total: 0, elapsedSeconds: 1, ratePerSecond: 7, etaSeconds: nil, finished: false
        )
        #expect(ProgressReporter.render(unknown) == "scan 7 7.0 it/s")
    }
}

@Suite struct SVGPlotTests {
    static func parse(_ svg: String) throws -> XMLDocument {
        try XMLDocument(data: Data(svg.utf8), options: [])
    }

    static func nodes(_ document: XMLDocument, _ xpath: String) throws -> [XMLNode] {
        try document.nodes(forXPath: xpath)
    }

    @Test func lineChartStructure() throws {
        // Spec §10.5 GTSRB figure: A_s, A_r, A_rec against the selected percentage, A_t as a reference line.
        let percents = stride(from: 50.0, through: 100, by: 5).map { $0 }
        let aS = [94.27, 94.25, 94.19, 94.19, 94.27, 94.25, 94.24, 94.35, 94.16, 94.08, 93.51]
        let aR = [68.95, 62.44, 55.72, 50.66, 44.59, 37.96, 29.74, 22.95, 11.40, 3.78, 1.01]
        let aRec = [92.70, 92.59, 91.89, 91.40, 90.63, 90.40, 86.32, 85.68, 80.35, 74.60, 5.42]
        let plot = SVGPlot(
            title: "GTSRB recovery <attack> & defence", xLabel: "Encrypted neurons (%)", yLabel: "Accuracy (%)",
            series: [
                .init(name: "A_s", points: zip(percents, aS).map { SVGPlot.Point($0, $1) }, style: .lineWithMarkers),
                .init(name: "A_r", points: zip(percents, aR).map { SVGPlot.Point($0, $1) }),
                .init(name: "A_rec", points: zip(percents, aRec).map { SVGPlot.Point($0, $1) }),
            ],
            referenceLines: [.init(name: "A_t", y: 91.45)])
        let svg = plot.render()
        let document = try Self.parse(svg)
        #expect(document.rootElement()?.name == "svg")
        let series = try Self.nodes(document, "//*[local-name()='g'][@class='series']")
        #expect(series.count == 3)
        let names = try Self.nodes(document, "//*[local-name()='g'][@class='series']/@data-name").compactMap(
            \.stringValue)
        #expect(names == ["A_s", "A_r", "A_rec"])
        let polylines = try Self.nodes(document, "//*[local-name()='polyline']/@points").compactMap(\.stringValue)
        #expect(polylines.count == 3)
        for points in polylines {
            #expect(points.split(separator: " ").count == 11)
        }
        #expect(
            try Self.nodes(document, "//*[local-name()='g'][@class='series'][1]/*[local-name()='circle']").count == 11)
        #expect(try Self.nodes(document, "//*[local-name()='g'][@class='reference-line']").count == 1)
        #expect(try Self.nodes(document, "//*[local-name()='g'][@class='legend-entry']").count == 4)
        let texts = try Self.nodes(document, "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("Encrypted neurons (%)") && texts.contains("Accuracy (%)"))
        #expect(texts.contains("GTSRB recovery <attack> & defence"))
        let xTicks = try Self.nodes(document, "//*[local-name()='text'][@class='x-tick']").compactMap(\.stringValue)
        #expect(xTicks == ["50", "60", "70", "80", "90", "100"])
        let yTicks = try Self.nodes(document, "//*[local-name()='text'][@class='y-tick']").compactMap(\.stringValue)
        #expect(yTicks.first == "0" && yTicks.last == "100")
    }

    @Test func scatterChartStructure() throws {
        let points = (0..<100).map { SVGPlot.Point(90 + Double($0 % 10) * 0.1, 60 + Double($0 / 10) * 3.5) }
        var plot = SVGPlot(title: "MNIST (2,6)", xLabel: "A_s", yLabel: "A_r")
        plot.series = [
            .init(name: "selections", points: points + [SVGPlot.Point(.nan, 1)], style: .scatter),
            .init(name: "best", points: [SVGPlot.Point(99.26, 77.32)], style: .scatter, color: "red"),
        ]
        let document = try Self.parse(plot.render())
        #expect(try Self.nodes(document, "//*[local-name()='g'][@class='series']").count == 2)
        #expect(
            try Self.nodes(document, "//*[local-name()='g'][@class='series']/*[local-name()='circle']").count == 101)
        #expect(try Self.nodes(document, "//*[local-name()='polyline']").isEmpty)
        let yTicks = try Self.nodes(document, "//*[local-name()='text'][@class='y-tick']").compactMap(\.stringValue)
        #expect(yTicks == ["60", "70", "80", "90", "100"])
        let xTicks = try Self.nodes(document, "//*[local-name()='text'][@class='x-tick']").compactMap(\.stringValue)
        #expect(xTicks == ["90", "92", "94", "96", "98", "100"])
    }

    /// A log y axis: decade ticks (short labels), equal ratios at equal distances, non-positive values left out.
    @Test func logarithmicYAxis() throws {
        var plot = SVGPlot(title: "time", xLabel: "share", yLabel: "s")
        plot.logY = true
        plot.series = [
            .init(
                name: "runs", points: [.init(10, 120), .init(50, 1_200), .init(100, 12_000), .init(0, 0)],
                style: .lineWithMarkers)
        ]
        let document = try Self.parse(plot.render())
        let yTicks = try Self.nodes(document, "//*[local-name()='text'][@class='y-tick']").compactMap(\.stringValue)
        #expect(yTicks == ["100", "1k", "10k", "100k"])
        let circles = try Self.nodes(document, "//*[local-name()='circle']/@cy").compactMap {
            $0.stringValue.flatMap(Double.init)
        }
        #expect(circles.count == 3)
        #expect(abs((circles[0] - circles[1]) - (circles[1] - circles[2])) < 0.02)
        #expect(SVGPlot.decadeLabel(-2) == "0.01" && SVGPlot.decadeLabel(7) == "10M" && SVGPlot.decadeLabel(2) == "100")
    }

    @Test func edgeCasesStayValid() throws {
        let empty = SVGPlot(title: "nothing", xLabel: "x", yLabel: "y")
        _ = try Self.parse(empty.render())
        let single = SVGPlot(
            title: "one", xLabel: "x", yLabel: "y", series: [.init(name: "p", points: [SVGPlot.Point(3, 3)])],
            xRange: 0...1, yRange: 0...1)
        _ = try Self.parse(single.render())
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("plot.svg")
        try single.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == single.render())
        let fractions = SVGPlot.niceTicks(0.1...0.83)
        #expect(fractions.map { SVGPlot.tickLabel($0, step: 0.2) } == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(SVGPlot.niceTicks(0...10) == [0, 2, 4, 6, 8, 10])
        #expect(SVGPlot.number(1e300) == "10000000")
    }
}

@Suite struct SelectionPlotsTests {
    @Test func recoveryFigureFromSpecData() throws {
        // Spec §10.5, CIFAR-10 columns.
        let percents = stride(from: 50.0, through: 100, by: 5).map { $0 }
        let aS = [90.78, 90.76, 90.64, 90.54, 90.68, 90.52, 90.56, 90.46, 90.26, 90.48, 90.22]
        let aR = [55.90, 52.50, 43.68, 44.06, 43.74, 24.90, 18.48, 13.38, 9.82, 9.78, 9.78]
        let aRec = [83.60, 83.24, 80.90, 79.66, 78.66, 58.20, 43.14, 39.42, 34.12, 35.02, 30.18]
        let points = (0..<11).map { (percents[$0], SelectionAccuracies(separate: aS[$0], remove: aR[$0])) }
        let plot = SelectionPlots.accuracyVersusEncrypted(
            dataset: "CIFAR-10", points: points, recovered: aRec, scratch: 49.94)
        let document = try SVGPlotTests.parse(plot.render())
        #expect(try SVGPlotTests.nodes(document, "//*[local-name()='g'][@class='series']").count == 3)
        #expect(try SVGPlotTests.nodes(document, "//*[local-name()='circle']").count == 33)
        #expect(try SVGPlotTests.nodes(document, "//*[local-name()='g'][@class='reference-line']").count == 1)
        let time = SelectionPlots.timeVersusEncrypted([
            "GTSRB": [(50, 54_185), (100, 108_762)], "CIFAR-10": [(50, 31_097), (100, 60_940)],
        ])
        let names = try SVGPlotTests.nodes(
            try SVGPlotTests.parse(time.render()), "//*[local-name()='g'][@class='series']/@data-name"
        ).compactMap(\.stringValue)
        #expect(names == ["CIFAR-10", "GTSRB"])
    }
}

/// The demo's bar chart: one log axis per group, bars with non-positive values left out, text escaped.
@Suite struct SVGBarChartTests {
    @Test func barsAreLogScaledPerGroupAndEscaped() throws {
        let chart = SVGBarChart(
            title: "a < b",
            groups: [
                SVGBarChart.Group(
                    title: "time",
                    bars: [
                        SVGBarChart.Bar(label: "fast", value: 1, text: "1 s"),
                        SVGBarChart.Bar(label: "slow", value: 100, text: "100 s"),
                        SVGBarChart.Bar(label: "none", value: 0, text: "0 s"),
                    ])
            ])
        let svg = chart.render()
        #expect(svg.contains("a &lt; b"))
        #expect(!svg.contains(">none<"))
        let widths = svg.split(separator: "\n").filter { $0.hasPrefix("<rect x=") }.compactMap { line -> Double? in
            guard let range = line.range(of: "width=\"") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "\"" })
        }
        // log10 from a decade below the smallest (0.1) to 100: 1 is a third of the way, 100 the whole axis.
        #expect(widths.count == 2)
        #expect(abs(widths[0] / widths[1] - 1.0 / 3) < 1e-6)
    }
}
