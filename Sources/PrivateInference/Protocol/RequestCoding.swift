/// Header fields of requests (shared by both roles).
enum RequestCoding {
    /// The scale a request chunk states (`scaleBits`, the hex bit pattern of a positive finite `Double`).
    static func scale(_ file: ExchangeFile, path: String) throws -> Double {
        guard let bits = UInt64(try file.field("scaleBits", path: path), radix: 16) else {
            throw InferenceError.badFile(path: path, reason: "bad scaleBits")
        }
        let scale = Double(bitPattern: bits)
        guard scale.isFinite, scale > 0 else { throw InferenceError.badFile(path: path, reason: "bad scale") }
        return scale
    }

    /// The tile a request chunk states (`tileFilters`, `tileRows`), which must lie within the package's `filters`
    /// selected conv2 filters and `side2` output rows.
    static func tile(_ file: ExchangeFile, path: String, side2: Int, filters: Int) throws -> OutputTile {
        guard let f = OutputTile.parse(try file.field("tileFilters", path: path)),
            let r = OutputTile.parse(try file.field("tileRows", path: path)), f.upperBound <= filters,
            r.upperBound <= side2
        else { throw InferenceError.badFile(path: path, reason: "tile outside the package's outputs") }
        return OutputTile(filters: f, rows: r)
    }

    /// ``tile(_:path:side2:filters:)`` within a package's geometry.
    static func tile(_ file: ExchangeFile, path: String, geometry: StageGeometry, filters: Int) throws -> OutputTile {
        try tile(file, path: path, side2: geometry.conv2Side, filters: filters)
    }

    /// The conv1 result rows a request chunk states (`conv1Rows`, empty when the package decrypts none), within
    /// `side1` rows.
    static func conv1Rows(_ file: ExchangeFile, path: String, side1: Int, encrypted: Bool) throws -> Range<Int> {
        let text = try file.field("conv1Rows", path: path)
        if text.isEmpty { return 0..<0 }
        guard encrypted, let rows = OutputTile.parse(text), rows.upperBound <= side1 else {
            throw InferenceError.badFile(path: path, reason: "conv1 result rows outside the package's")
        }
        return rows
    }

    /// ``conv1Rows(_:path:side1:encrypted:)`` within a package's geometry.
    static func conv1Rows(_ file: ExchangeFile, path: String, geometry: StageGeometry, encrypted: Bool) throws -> Range<
        Int
    > {
        try conv1Rows(file, path: path, side1: geometry.conv1Side, encrypted: encrypted)
    }
}
