import Foundation

/// Horizontal bars of several series (systems) side by side, in panels that each share one logarithmic axis.
///
/// For comparisons whose values differ by orders of magnitude (seconds per phase, bytes of memory and on the wire
/// of several systems), read at a glance. Each panel has decade gridlines labelled with the unit; each bar carries
/// its value and, beside a reference series, the ratio to it.
///
/// The SVG marks its parts for machines too: every bar is a `<rect class="bar">` with `data-panel`, `data-group`,
/// `data-series` and `data-value`, and every axis a `<g class="axis" data-scale="log10">`.
public struct SVGBarChart: Sendable {
    /// One bar: a series, a positive value and the text printed after the bar.
    public struct Bar: Sendable {
        /// Index into the chart's ``SVGBarChart/series`` (its colour and legend entry).
        public var series: Int
        /// The value (bars of non-positive or non-finite values are left out).
        public var value: Double
        /// The text after the bar, such as "3.9 s".
        public var text: String

        /// Creates a bar.
        public init(series: Int, value: Double, text: String) {
            self.series = series
            self.value = value
            self.text = text
        }
    }

    /// The bars of one row label (a phase, a quantity), drawn one under the other.
    public struct Group: Sendable {
        /// The label left of the group's bars.
        public var label: String
        /// The bars, in series order.
        public var bars: [Bar]

        /// Creates a group.
        public init(label: String, bars: [Bar]) {
            self.label = label
            self.bars = bars
        }
    }

    /// Groups sharing one logarithmic axis.
    public struct Panel: Sendable {
        /// A short name, written into the bars' `data-panel` ("time").
        public var name: String
        /// The title above the panel, naming the quantity and its unit.
        public var title: String
        /// Labels one decade of the axis (0.01 → "10 ms").
        public var tickLabel: @Sendable (Double) -> String
        /// The groups, top to bottom.
        public var groups: [Group]

        /// Creates a panel.
        public init(name: String, title: String, tickLabel: @escaping @Sendable (Double) -> String, groups: [Group]) {
            self.name = name
            self.title = title
            self.tickLabel = tickLabel
            self.groups = groups
        }
    }

    /// Chart title (top left).
    public var title: String
    /// The series' names, in legend order; bar colours follow ``SVGPlot/palette`` by index.
    public var series: [String]
    /// The series the others' ratios are given against ("×120 of partial"), if any.
    public var reference: Int?
    /// The panels, top to bottom.
    public var panels: [Panel]
    /// Canvas width in pixels.
    public var width: Double

    /// Creates a chart.
    public init(title: String, series: [String], reference: Int? = nil, panels: [Panel], width: Double = 860) {
        self.title = title
        self.series = series
        self.reference = reference
        self.panels = panels
        self.width = width
    }

    private static let barHeight = 13.0, barGap = 2.0, groupGap = 7.0, panelGap = 16.0, lineHeight = 18.0
    private static let labelWidth = 120.0, textWidth = 190.0, axisHeight = 16.0

    /// The SVG document.
    public func render() -> String {
        let panels = panels.map { panel in
            var panel = panel
            panel.groups = panel.groups.map { group in
                Group(label: group.label, bars: group.bars.filter { $0.value.isFinite && $0.value > 0 })
            }.filter { !$0.bars.isEmpty }
            return panel
        }.filter { !$0.groups.isEmpty }
        let left = Self.labelWidth, right = width - Self.textWidth
        var body: [String] = []
        var y = 16.0 + Self.lineHeight
        body.append("<text x=\"16\" y=\"\(SVGPlot.number(y - 4))\" font-size=\"15\">\(SVGPlot.escape(title))</text>")
        // The legend, one series a line (long names cannot run into each other).
        for (index, name) in series.enumerated() {
            y += Self.lineHeight
            let color = SVGPlot.palette[index % SVGPlot.palette.count]
            body.append(
                "<rect x=\"16\" y=\"\(SVGPlot.number(y - 11))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
                    + "<text x=\"34\" y=\"\(SVGPlot.number(y))\">\(SVGPlot.escape(name))</text>")
        }
        y += Self.panelGap
        for panel in panels {
            y += Self.lineHeight
            body.append(
                "<text x=\"16\" y=\"\(SVGPlot.number(y))\" font-weight=\"bold\">\(SVGPlot.escape(panel.title))</text>")
            // Whole decades around the values: the smallest bar still has a length, the largest ends by a gridline.
            let logs = panel.groups.flatMap { $0.bars.map { log10($0.value) } }
            var low = (logs.min() ?? 0).rounded(.down)
            if logs.contains(low) { low -= 1 }
            let high = Swift.max((logs.max() ?? 1).rounded(.up), low + 1)
            func x(_ value: Double) -> Double { left + (log10(value) - low) / (high - low) * (right - left) }
            let rows = panel.groups.reduce(0.0) { $0 + Double($1.bars.count) * (Self.barHeight + Self.barGap) }
            let axisTop = y + 6, plotTop = axisTop + Self.axisHeight
            let plotBottom = plotTop + rows + Double(panel.groups.count) * Self.groupGap
            var axis = ["<g class=\"axis\" data-panel=\"\(SVGPlot.escape(panel.name))\" data-scale=\"log10\">"]
            for exponent in stride(from: low, through: high, by: 1) {
                let position = SVGPlot.number(x(pow(10, exponent)))
                axis.append(
                    "<line x1=\"\(position)\" y1=\"\(SVGPlot.number(plotTop - 3))\" x2=\"\(position)\" "
                        + "y2=\"\(SVGPlot.number(plotBottom))\" stroke=\"#ccc\"/>"
                        + "<text x=\"\(position)\" y=\"\(SVGPlot.number(axisTop + 9))\" text-anchor=\"middle\" "
                        + "font-size=\"11\" fill=\"#555\">\(SVGPlot.escape(panel.tickLabel(pow(10, exponent))))</text>")
            }
            axis.append("</g>")
            body += axis
            y = plotTop
            for group in panel.groups {
                let height = Double(group.bars.count) * (Self.barHeight + Self.barGap)
                body.append(
                    "<text x=\"\(SVGPlot.number(left - 8))\" y=\"\(SVGPlot.number(y + height / 2 + 4))\" "
                        + "text-anchor=\"end\">\(SVGPlot.escape(group.label))</text>")
                let base = reference.flatMap { r in group.bars.first { $0.series == r }?.value }
                for bar in group.bars {
                    let end = Swift.max(left + 2, x(bar.value))
                    let color = SVGPlot.palette[bar.series % SVGPlot.palette.count]
                    let name = bar.series < series.count ? series[bar.series] : String(bar.series)
                    var text = bar.text
                    if let base, let reference, bar.series != reference {
                        text += Self.ratio(bar.value / base, of: reference < series.count ? series[reference] : "")
                    }
                    body.append(
                        "<rect class=\"bar\" data-panel=\"\(SVGPlot.escape(panel.name))\" "
                            + "data-group=\"\(SVGPlot.escape(group.label))\" data-series=\"\(SVGPlot.escape(name))\" "
                            + "data-value=\"\(bar.value)\" x=\"\(SVGPlot.number(left))\" y=\"\(SVGPlot.number(y))\" "
                            + "width=\"\(SVGPlot.number(end - left))\" height=\"\(SVGPlot.number(Self.barHeight))\" "
                            + "fill=\"\(color)\"/>"
                            + "<text x=\"\(SVGPlot.number(end + 5))\" y=\"\(SVGPlot.number(y + Self.barHeight - 2))\" "
                            + "font-size=\"11\">\(SVGPlot.escape(text))</text>")
                    y += Self.barHeight + Self.barGap
                }
                y += Self.groupGap
            }
            y = plotBottom + Self.panelGap
        }
        y += 4
        body.append(
            "<text x=\"\(SVGPlot.number(width - 16))\" y=\"\(SVGPlot.number(y))\" text-anchor=\"end\" "
                + "font-size=\"11\" fill=\"#555\">bar lengths on a logarithmic scale, one axis per panel</text>")
        let height = y + 10
        return
            ([
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVGPlot.number(width))\" "
                    + "height=\"\(SVGPlot.number(height))\" font-family=\"sans-serif\" font-size=\"13\">",
                "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            ] + body + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// " (120× partial)" or " (1/3 of partial)": how many times the reference series' value a bar is, the
    /// reference named by the first word of its series name.
    static func ratio(_ ratio: Double, of name: String) -> String {
        let short = name.split(separator: " ").first.map(String.init) ?? name
        if ratio >= 1 {
            return String(format: ratio >= 10 ? " (%.0f× %@)" : " (%.1f× %@)", ratio, short as NSString)
        }
        return String(format: 1 / ratio >= 10 ? " (1/%.0f of %@)" : " (1/%.1f of %@)", 1 / ratio, short as NSString)
    }

    /// Writes ``render()`` to `url` atomically.
    ///
    /// - Throws: ``DataFileError`` if the file cannot be written.
    public func write(to url: URL) throws {
        try FileBytes.write(Array(render().utf8), to: url)
    }
}
