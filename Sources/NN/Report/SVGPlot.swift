import Foundation

/// A small SVG chart writer for the analysis figures: accuracy vs encrypted neurons, time vs neurons, A_s vs A_r.
///
/// Line series, scatter series and horizontal reference lines (e.g. the train-from-scratch accuracy A_t) share one
/// pair of linear axes with "nice" ticks (1, 2, 5 × 10^k). The output is standalone SVG 1.1; every element carries a
/// `class` so tests and stylesheets can find it (`series`, `legend`, `x-tick`, `y-tick`, …).
public struct SVGPlot: Sendable {
    /// One data point.
    public struct Point: Equatable, Sendable {
        /// Horizontal value.
        public var x: Double
        /// Vertical value.
        public var y: Double

        /// Creates a point.
        public init(_ x: Double, _ y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// How a series is drawn.
    public enum Style: String, Sendable {
        /// A polyline through the points in order.
        case line
        /// A polyline with a marker on every point.
        case lineWithMarkers
        /// Markers only.
        case scatter
    }

    /// One named data series.
    public struct Series: Sendable {
        /// Legend text.
        public var name: String
        /// The points, drawn in this order; non-finite points are skipped.
        public var points: [Point]
        /// Line, line with markers, or scatter.
        public var style: Style
        /// CSS colour, or `nil` for the next palette colour.
        public var color: String?

        /// Creates a series.
        public init(name: String, points: [Point], style: Style = .line, color: String? = nil) {
            self.name = name
            self.points = points
            self.style = style
            self.color = color
        }
    }

    /// A horizontal line across the plot at `y`, dashed, with its own legend entry.
    public struct ReferenceLine: Sendable {
        /// Legend text.
        public var name: String
        /// Height in data units.
        public var y: Double
        /// CSS colour, or `nil` for grey.
        public var color: String?

        /// Creates a reference line.
        public init(name: String, y: Double, color: String? = nil) {
            self.name = name
            self.y = y
            self.color = color
        }
    }

    /// Chart title (top centre).
    public var title: String
    /// Horizontal axis label.
    public var xLabel: String
    /// Vertical axis label.
    public var yLabel: String
    /// The data series.
    public var series: [Series]
    /// Horizontal reference lines.
    public var referenceLines: [ReferenceLine]
    /// Fixed horizontal range, or `nil` to fit the data.
    public var xRange: ClosedRange<Double>?
    /// Fixed vertical range, or `nil` to fit the data.
    public var yRange: ClosedRange<Double>?
    /// Canvas width in pixels.
    public var width: Double
    /// Canvas height in pixels.
    public var height: Double
    /// A logarithmic y axis (decades, labelled with their values): for quantities spanning orders of magnitude,
    /// such as run times beside a baseline 30× slower.
    ///
    /// Non-positive values are left out.
    public var logY = false

    /// The colours used for series without one (colour-blind-safe palette).
    public static let palette = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
    ]

    /// Creates an empty chart; add ``series`` and ``referenceLines`` before rendering.
    public init(
        title: String, xLabel: String, yLabel: String, series: [Series] = [], referenceLines: [ReferenceLine] = [],
        xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, width: Double = 720,
        height: Double = 450
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.referenceLines = referenceLines
        self.xRange = xRange
        self.yRange = yRange
        self.width = width
        self.height = height
    }

    // Plot-area margins: room for tick labels, axis labels, title, and the legend on the right.
    private var left: Double { 70 }
    private var right: Double { width - 170 }
    private var top: Double { 50 }
    private var bottom: Double { height - 60 }

    /// The SVG document.
    public func render() -> String {
        let logY = self.logY
        // On a log axis everything below works on log10 of the values.
        func ty(_ y: Double) -> Double { logY ? (y > 0 ? log10(y) : -.infinity) : y }
        let finite = series.flatMap { $0.points }.filter { $0.x.isFinite && ty($0.y).isFinite }
        let xs = finite.map(\.x)
        let ys = (finite.map(\.y) + referenceLines.map(\.y)).map(ty).filter(\.isFinite)
        let xTicks = Self.niceTicks(xRange ?? Self.span(xs))
        let yTicks =
            logY
            ? Self.decades(yRange.map { ty($0.lowerBound)...ty($0.upperBound) } ?? Self.span(ys))
            : Self.niceTicks(yRange ?? Self.span(ys))
        let xDomain = xRange ?? ((xTicks.first ?? 0)...(xTicks.last ?? 1))
        let yDomain =
            logY ? ((yTicks.first ?? 0)...(yTicks.last ?? 1)) : yRange ?? ((yTicks.first ?? 0)...(yTicks.last ?? 1))
        func px(_ x: Double) -> Double {
            left + (x - xDomain.lowerBound) / Swift.max(xDomain.upperBound - xDomain.lowerBound, 1e-300)
                * (right - left)
        }
        func py(_ y: Double) -> Double {
            bottom - (y - yDomain.lowerBound) / Swift.max(yDomain.upperBound - yDomain.lowerBound, 1e-300)
                * (bottom - top)
        }

        var svg: [String] = []
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.number(width))\" "
                + "height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
                + "font-family=\"sans-serif\" font-size=\"12\">")
        svg.append("<title>\(Self.escape(title))</title>")
        svg.append(
            "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(Self.number(width))\" "
                + "height=\"\(Self.number(height))\" fill=\"white\"/>")
        svg.append(
            "<text class=\"title\" x=\"\(Self.number((left + right) / 2))\" y=\"28\" text-anchor=\"middle\" "
                + "font-size=\"16\">\(Self.escape(title))</text>")

        // Grid and ticks.
        svg.append("<g class=\"grid\" stroke=\"#e0e0e0\" stroke-width=\"1\">")
        for tick in xTicks where xDomain.contains(tick) {
            svg.append(line(px(tick), top, px(tick), bottom))
        }
        for tick in yTicks where yDomain.contains(tick) {
            svg.append(line(left, py(tick), right, py(tick)))
        }
        svg.append("</g>")
        svg.append("<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">")
        svg.append(line(left, bottom, right, bottom, cls: "x-axis"))
        svg.append(line(left, top, left, bottom, cls: "y-axis"))
        svg.append("</g>")
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for tick in xTicks where xDomain.contains(tick) {
            svg.append(
                "<text class=\"x-tick\" x=\"\(Self.number(px(tick)))\" y=\"\(Self.number(bottom + 18))\" "
                    + "text-anchor=\"middle\">\(Self.tickLabel(tick, step: xStep))</text>")
        }
        for tick in yTicks where yDomain.contains(tick) {
            svg.append(
                "<text class=\"y-tick\" x=\"\(Self.number(left - 8))\" y=\"\(Self.number(py(tick) + 4))\" "
                    + "text-anchor=\"end\">\(logY ? Self.decadeLabel(tick) : Self.tickLabel(tick, step: yStep))</text>")
        }
        svg.append(
            "<text class=\"x-label\" x=\"\(Self.number((left + right) / 2))\" y=\"\(Self.number(height - 18))\" "
                + "text-anchor=\"middle\">\(Self.escape(xLabel))</text>")
        let midY = Self.number((top + bottom) / 2)
        svg.append(
            "<text class=\"y-label\" x=\"20\" y=\"\(midY)\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 20 \(midY))\">\(Self.escape(yLabel))</text>")

        // Data, clipped to the plot area.
        svg.append(
            "<defs><clipPath id=\"plot-area\"><rect x=\"\(Self.number(left))\" y=\"\(Self.number(top))\" "
                + "width=\"\(Self.number(right - left))\" height=\"\(Self.number(bottom - top))\"/></clipPath></defs>")
        var legend: [(name: String, color: String, kind: String)] = []
        for (index, entry) in series.enumerated() {
            let color = entry.color ?? Self.palette[index % Self.palette.count]
            let points = entry.points.filter { $0.x.isFinite && ty($0.y).isFinite }.map { Point($0.x, ty($0.y)) }
            svg.append(
                "<g class=\"series\" data-name=\"\(Self.escape(entry.name))\" data-style=\"\(entry.style.rawValue)\" "
                    + "clip-path=\"url(#plot-area)\">")
            if entry.style != .scatter, !points.isEmpty {
                let coordinates = points.map { "\(Self.number(px($0.x))),\(Self.number(py($0.y)))" }
                svg.append(
                    "<polyline fill=\"none\" stroke=\"\(Self.escape(color))\" stroke-width=\"2\" "
                        + "points=\"\(coordinates.joined(separator: " "))\"/>")
            }
            if entry.style != .line {
                for point in points {
                    svg.append(
                        "<circle cx=\"\(Self.number(px(point.x)))\" cy=\"\(Self.number(py(point.y)))\" r=\"3\" "
                            + "fill=\"\(Self.escape(color))\"/>")
                }
            }
            svg.append("</g>")
            legend.append((entry.name, color, entry.style == .scatter ? "marker" : "line"))
        }
        for reference in referenceLines where ty(reference.y).isFinite {
            let color = reference.color ?? "#777777"
            svg.append(
                "<g class=\"reference-line\" data-name=\"\(Self.escape(reference.name))\" "
                    + "clip-path=\"url(#plot-area)\">"
                    + "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(py(ty(reference.y))))\" "
                    + "x2=\"\(Self.number(right))\" y2=\"\(Self.number(py(ty(reference.y))))\" "
                    + "stroke=\"\(Self.escape(color))\" stroke-width=\"1.5\" "
                    + "stroke-dasharray=\"6 4\"/></g>")
            legend.append((reference.name, color, "dashed"))
        }

        svg.append("<g class=\"legend\">")
        for (index, entry) in legend.enumerated() {
            let y = top + 10 + Double(index) * 20
            let x = right + 16
            svg.append("<g class=\"legend-entry\">")
            switch entry.kind {
            case "marker":
                svg.append(
                    "<circle cx=\"\(Self.number(x + 10))\" cy=\"\(Self.number(y))\" r=\"4\" "
                        + "fill=\"\(Self.escape(entry.color))\"/>")
            default:
                let dash = entry.kind == "dashed" ? " stroke-dasharray=\"6 4\"" : ""
                svg.append(
                    "<line x1=\"\(Self.number(x))\" y1=\"\(Self.number(y))\" x2=\"\(Self.number(x + 20))\" "
                        + "y2=\"\(Self.number(y))\" stroke=\"\(Self.escape(entry.color))\" stroke-width=\"2\"\(dash)/>")
            }
            svg.append(
                "<text x=\"\(Self.number(x + 28))\" y=\"\(Self.number(y + 4))\">\(Self.escape(entry.name))</text>")
            svg.append("</g>")
        }
        svg.append("</g>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// Writes ``render()`` to `url` atomically.
    ///
    /// - Throws: ``DataFileError`` if the file cannot be written.
    public func write(to url: URL) throws {
        try FileBytes.write(Array(render().utf8), to: url)
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String? = nil) -> String {
        let attribute = cls.map { " class=\"\($0)\"" } ?? ""
        return "<line\(attribute) x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" "
            + "x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\"/>"
    }

    /// The data span, widened when empty or a single value so the axis has a length.
    static func span(_ values: [Double]) -> ClosedRange<Double> {
        guard let low = values.min(), let high = values.max() else { return 0...1 }
        if low == high { return (low - 1)...(high + 1) }
        return low...high
    }

    /// Ticks at multiples of a 1/2/5 × 10^k step covering `range`, about five to ten of them.
    static func niceTicks(_ range: ClosedRange<Double>, target: Int = 6) -> [Double] {
        let extent = range.upperBound - range.lowerBound
        guard extent > 0, extent.isFinite else { return [range.lowerBound] }
        let rough = extent / Double(target)
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let first = (range.lowerBound / step).rounded(.down) * step
        let last = (range.upperBound / step).rounded(.up) * step
        var ticks: [Double] = []
        var k = 0.0
        // The cap only matters for degenerate ranges (values so large that the step underflows their precision).
        while first + k * step <= last + step * 1e-9, ticks.count < 100 {
            let value = first + k * step
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            k += 1
        }
        return ticks
    }

    /// Whole decades covering `range` (log10 values), at least two.
    static func decades(_ range: ClosedRange<Double>) -> [Double] {
        let low = range.lowerBound.rounded(.down), high = Swift.max(range.upperBound.rounded(.up), low + 1)
        return stride(from: low, through: high, by: 1).map { $0 }
    }

    /// 10^exponent as a short label that fits the axis margin: "0.01", "1", "100", "1k", "10k", "1M", "1G".
    static func decadeLabel(_ exponent: Double) -> String {
        let e = Int(exponent.rounded())
        if e < 0 { return "0." + String(repeating: "0", count: -e - 1) + "1" }
        let (unit, shift) = e >= 9 ? ("G", 9) : e >= 6 ? ("M", 6) : e >= 3 ? ("k", 3) : ("", 0)
        return "1" + String(repeating: "0", count: e - shift) + unit
    }

    /// A tick label with as many decimals as the step needs (`0.25` → 2, `5` → 0).
    static func tickLabel(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        return String(format: "%.\(Swift.min(decimals, 10))f", value)
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    static func number(_ value: Double) -> String {
        // Points far outside a fixed range are clipped by the plot area anyway; keep their coordinates printable.
        let clamped = Swift.min(Swift.max(value.isNaN ? 0 : value, -1e7), 1e7)
        let rounded = (clamped * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// XML escaping for text and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
