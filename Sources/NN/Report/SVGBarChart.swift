import Foundation

/// A horizontal bar chart in groups, each group on its own logarithmic axis: for comparisons whose values differ by
/// orders of magnitude (seconds, bytes of memory and on the wire of several systems), read at a glance.
public struct SVGBarChart: Sendable {
    /// One bar: a label, a positive value and the text printed after the bar.
    public struct Bar: Sendable {
        /// The bar's label (left of the bar).
        public var label: String
        /// The value (bars of non-positive or non-finite values are left out).
        public var value: Double
        /// The text after the bar, such as "3.9 s".
        public var text: String

        /// Creates a bar.
        public init(label: String, value: Double, text: String) {
            self.label = label
            self.value = value
            self.text = text
        }
    }

    /// One group of bars sharing a logarithmic axis.
    public struct Group: Sendable {
        /// The group's title (above its bars).
        public var title: String
        /// The bars, drawn in order with the palette's colours.
        public var bars: [Bar]

        /// Creates a group.
        public init(title: String, bars: [Bar]) {
            self.title = title
            self.bars = bars
        }
    }

    /// Chart title (top left).
    public var title: String
    /// The groups, top to bottom.
    public var groups: [Group]
    /// Canvas width in pixels.
    public var width: Double

    /// Creates a chart.
    public init(title: String, groups: [Group], width: Double = 760) {
        self.title = title
        self.groups = groups
        self.width = width
    }

    private static let barHeight = 20.0, barGap = 6.0, groupGap = 18.0, titleHeight = 40.0, groupTitle = 22.0
    private var labelWidth: Double { 190 }
    private var textWidth: Double { 150 }

    /// The SVG document.
    public func render() -> String {
        let visible = groups.map { group in
            Group(title: group.title, bars: group.bars.filter { $0.value.isFinite && $0.value > 0 })
        }
        var height = Self.titleHeight
        for group in visible {
            height += Self.groupTitle + Double(group.bars.count) * (Self.barHeight + Self.barGap) + Self.groupGap
        }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVGPlot.number(width))\" "
                + "height=\"\(SVGPlot.number(height))\" font-family=\"sans-serif\" font-size=\"13\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"16\" y=\"26\" font-size=\"16\">\(SVGPlot.escape(title))</text>",
        ]
        let left = labelWidth, right = width - textWidth
        var y = Self.titleHeight
        for group in visible {
            svg.append(
                "<text x=\"16\" y=\"\(SVGPlot.number(y + 15))\" font-weight=\"bold\">"
                    + "\(SVGPlot.escape(group.title))</text>")
            y += Self.groupTitle
            // A log axis from a decade below the smallest bar to the largest, so that every bar has a length.
            let values = group.bars.map(\.value)
            let high = log10(values.max() ?? 1), low = floor(log10(values.min() ?? 1)) - 1
            let span = max(high - low, 1e-9)
            for (i, bar) in group.bars.enumerated() {
                let length = (log10(bar.value) - low) / span * (right - left)
                let color = SVGPlot.palette[i % SVGPlot.palette.count]
                svg.append(
                    "<text x=\"\(SVGPlot.number(left - 8))\" y=\"\(SVGPlot.number(y + 14))\" text-anchor=\"end\">"
                        + "\(SVGPlot.escape(bar.label))</text>")
                svg.append(
                    "<rect x=\"\(SVGPlot.number(left))\" y=\"\(SVGPlot.number(y))\" "
                        + "width=\"\(SVGPlot.number(max(1, length)))\" height=\"\(SVGPlot.number(Self.barHeight))\" "
                        + "fill=\"\(color)\"/>")
                svg.append(
                    "<text x=\"\(SVGPlot.number(left + max(1, length) + 6))\" y=\"\(SVGPlot.number(y + 14))\">"
                        + "\(SVGPlot.escape(bar.text))</text>")
                y += Self.barHeight + Self.barGap
            }
            y += Self.groupGap
        }
        svg.append(
            "<text x=\"\(SVGPlot.number(width - 16))\" y=\"\(SVGPlot.number(height - 6))\" text-anchor=\"end\" "
                + "font-size=\"11\" fill=\"#555\">bar lengths on a logarithmic scale per group</text>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// Writes ``render()`` to `url` atomically.
    ///
    /// - Throws: ``DataFileError`` if the file cannot be written.
    public func write(to url: URL) throws {
        try FileBytes.write(Array(render().utf8), to: url)
    }
}
