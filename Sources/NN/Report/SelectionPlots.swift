/// The analysis figures of spec §10 as ``SVGPlot`` values, ready to ``SVGPlot/write(to:)``.
public enum SelectionPlots {
    /// A_s, A_r (and A_rec when given) against the share of encrypted filters, with A_t as a dashed line
    /// (`recovery_attack_<DS>.png`, spec §10.5).
    ///
    /// - Parameters:
    ///   - dataset: names the title.
    ///   - points: `(encrypted percent, accuracies)` pairs.
    ///   - recovered: A_rec per point (same order), or `nil`.
    ///   - scratch: A_t, the train-from-scratch accuracy, or `nil`.
    /// - Returns: the chart.
    public static func accuracyVersusEncrypted(
        dataset: String, points: [(encrypted: Double, accuracies: SelectionAccuracies)], recovered: [Double]? = nil,
        scratch: Double? = nil
    ) -> SVGPlot {
        var series: [SVGPlot.Series] = [
            .init(
                name: "A_s (deployed)", points: points.map { SVGPlot.Point($0.encrypted, $0.accuracies.separate) },
                style: .lineWithMarkers),
            .init(
                name: "A_r (encrypted zeroed)",
                points: points.map { SVGPlot.Point($0.encrypted, $0.accuracies.remove) },
                style: .lineWithMarkers),
        ]
        if let recovered {
            series.append(
                .init(
                    name: "A_rec (recovered)",
                    points: zip(points, recovered).map { SVGPlot.Point($0.0.encrypted, $0.1) }, style: .lineWithMarkers)
            )
        }
        return SVGPlot(
            title: "\(dataset): accuracy vs encrypted filters", xLabel: "Encrypted filters in conv1 and conv2 (%)",
            yLabel: "Accuracy (%)", series: series,
            referenceLines: scratch.map { [SVGPlot.ReferenceLine(name: "A_t (from scratch)", y: $0)] } ?? [],
            yRange: 0...100)
    }

    /// Encrypted-inference wall time against the share of encrypted filters, one line per data set
    /// (`running_time.png`, spec §10.6).
    ///
    /// - Parameter runs: data set name → `(encrypted percent, seconds)` pairs.
    /// - Returns: the chart (data sets in name order).
    public static func timeVersusEncrypted(_ runs: [String: [(encrypted: Double, seconds: Double)]]) -> SVGPlot {
        SVGPlot(
            title: "Encrypted inference time", xLabel: "Encrypted filters in conv1 and conv2 (%)",
            yLabel: "Wall time (s)",
            series: runs.keys.sorted().map { name in
                SVGPlot.Series(
                    name: name, points: (runs[name] ?? []).map { SVGPlot.Point($0.encrypted, $0.seconds) },
                    style: .lineWithMarkers)
            })
    }

    /// A_s against A_r for every scored selection, with chosen selections highlighted
    /// (`{MNIST,EMNIST}_distribution.png`, spec §10.3).
    ///
    /// - Parameters:
    ///   - title: chart title.
    ///   - rows: exhaustive-search rows.
    ///   - highlighted: named selections drawn on top (e.g. greedy's).
    /// - Returns: the chart.
    public static func separateVersusRemove(
        title: String, rows: [ExhaustiveSearch.Row], highlighted: [(name: String, accuracies: SelectionAccuracies)] = []
    ) -> SVGPlot {
        var series = [
            SVGPlot.Series(
                name: "all selections",
                points: rows.map { SVGPlot.Point($0.accuracies.separate, $0.accuracies.remove) },
                style: .scatter, color: "#9e9e9e")
        ]
        for entry in highlighted {
            series.append(
                .init(
                    name: entry.name, points: [SVGPlot.Point(entry.accuracies.separate, entry.accuracies.remove)],
                    style: .scatter))
        }
        return SVGPlot(title: title, xLabel: "A_s (%)", yLabel: "A_r (%)", series: series)
    }

    /// A_s and A_r of one size category against the rank by point, best first (`{MNIST,EMNIST}_accuracy.png`,
    /// spec §10.3, which draws 100 sampled ranks).
    ///
    /// - Parameters:
    ///   - title: chart title.
    ///   - rows: the category's exhaustive-search rows.
    ///   - base: A_base of the point, in percent.
    ///   - samples: at most this many evenly spaced ranks are drawn (always including the first and last).
    /// - Returns: the chart.
    public static func accuracyVersusRank(
        title: String, rows: [ExhaustiveSearch.Row], base: Double, samples: Int = 100
    ) -> SVGPlot {
        let ranked = rows.map { ($0.accuracies, $0.accuracies.point(base: base)) }.sorted { $0.1 > $1.1 }
        let count = ranked.count, wanted = max(2, samples)
        let ranks: [Int] =
            count <= wanted
            ? Array(0..<count)
            : Array(Set((0..<wanted).map { $0 * (count - 1) / (wanted - 1) })).sorted()
        return SVGPlot(
            title: title, xLabel: "Rank by point (1 = best)", yLabel: "Accuracy (%)",
            series: [
                .init(
                    name: "A_s (deployed)",
                    points: ranks.map { SVGPlot.Point(Double($0 + 1), ranked[$0].0.separate) }, style: .line),
                .init(
                    name: "A_r (encrypted zeroed)",
                    points: ranks.map { SVGPlot.Point(Double($0 + 1), ranked[$0].0.remove) }, style: .line),
            ])
    }
}
