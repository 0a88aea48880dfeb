import Foundation
import NN

/// The running-time figure of the original (spec §10.6: cipher inference of the whole test split against the share of
/// layer-1/2 filters encrypted, on 8 cores) with our measured runs beside it, from the JSON lines
/// `privdnn inference --json` printed (`Benchmarks/run_networks.sh`).
enum NetworksChart {
    /// The original's recorded seconds at 50, 55, …, 100 % (spec §10.6).
    static let original: [(dataset: String, label: String, seconds: [Double])] = [
        (
            "cifar10", "CIFAR-10",
            [31_097, 33_723, 36_316, 39_310, 42_210, 45_378, 48_940, 51_940, 54_940, 57_940, 60_940]
        ),
        (
            "gtsrb", "GTSRB",
            [54_185, 58_768, 63_378, 68_500, 73_599, 79_268, 85_399, 90_701, 95_889, 101_028, 108_762]
        ),
        (
            "tinyimagenet", "TinyImageNet",
            [143_300, 155_800, 168_506, 184_363, 198_387, 213_730, 231_486, 247_753, 263_162, 278_112, 297_387]
        ),
    ]

    /// The original's recorded time at `share` % (linear between its 5 % steps), if recorded.
    static func originalSeconds(_ dataset: String, share: Double) -> Double? {
        guard let row = original.first(where: { $0.dataset == dataset }), share >= 50, share <= 100 else { return nil }
        let position = (share - 50) / 5, i = min(Int(position), 9), f = position - Double(i)
        return row.seconds[i] * (1 - f) + row.seconds[i + 1] * f
    }

    /// Renders the chart from JSON lines (each with `dataset`, `share` and `seconds_total`, less `seconds_paused` if
    /// given; other lines ignored).
    static func render(jsonLines: String) -> String {
        var ours: [String: [SVGPlot.Point]] = [:]
        for line in jsonLines.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let dataset = object["dataset"] as? String, let share = object["share"] as? Double,
                let seconds = object["seconds_total"] as? Double
            else { continue }
            // A run stopped for a while (SIGSTOP, recorded as `seconds_paused`) counts only its running time.
            let paused = object["seconds_paused"] as? Double ?? 0
            ours[dataset, default: []].append(SVGPlot.Point(share, seconds - paused))
        }
        var plot = SVGPlot(
            title: "Encrypted inference of the test split: original (8 cores) vs ours (2 cores)",
            xLabel: "filters of conv1 and conv2 encrypted (%)", yLabel: "wall time (s, log scale)", xRange: 0...100,
            width: 860, height: 480)
        plot.logY = true
        for (i, row) in original.enumerated() {
            let color = SVGPlot.palette[i]
            plot.series.append(
                SVGPlot.Series(
                    name: "\(row.label) orig.",
                    points: row.seconds.enumerated().map { SVGPlot.Point(50 + 5 * Double($0), $1) }, style: .line,
                    color: color))
            let points = (ours[row.dataset] ?? []).sorted { $0.x < $1.x }
            if !points.isEmpty {
                plot.series.append(
                    SVGPlot.Series(name: "\(row.label) ours", points: points, style: .lineWithMarkers, color: color))
            }
        }
        return plot.render()
    }
}
