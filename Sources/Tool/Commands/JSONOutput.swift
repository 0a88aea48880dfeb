import Foundation

/// The one encoding of every command's `--json` output and JSON report file.
///
/// Keys are snake_case (`seconds_total`, `peak_rss_bytes`, `top_k`): Swift property names are converted, so a
/// camelCase field of a library result type cannot leak into the output. Keys are sorted so that output is stable.
/// The keys of dictionaries a report holds as data (phase names, selection layers) are written as they are.
enum JSONOutput {
    /// `value` as JSON text, on one line or pretty-printed; NaN and infinities as the strings "nan", "inf", "-inf".
    /// - Throws: ``ToolError`` when the value cannot be encoded.
    static func text(_ value: some Encodable, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let text = String(data: try encoder.encode(value), encoding: .utf8) else {
            throw ToolError("report cannot be encoded as JSON")
        }
        return text
    }

    /// A dictionary or array built for output (its keys already snake_case) as one line of JSON text.
    /// - Throws: when `object` holds a value JSON cannot represent.
    static func text(object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
