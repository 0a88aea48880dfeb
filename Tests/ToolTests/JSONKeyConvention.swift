import Foundation
import Testing

/// The key convention of every `--json` output and JSON report: snake_case field names (`seconds_total`,
/// `peak_rss_bytes`), checked on the text a command printed.
enum JSONKeyConvention {
    /// Whether `key` follows the convention, `^[a-z][a-z0-9_]*$`.
    static func isSnakeCase(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// Whether `key` names a map keyed by data rather than by field names.
    ///
    /// Phase names (`conv1.encode`) and selections' layer numbers (`{"1": [4]}`): the map's own name is checked, the
    /// keys inside it are not.
    static func isDataMap(_ key: String) -> Bool {
        key == "phases" || key.hasSuffix("_phases") || key == "selection" || key.hasSuffix("_selection")
            || key == "average_ranks"
    }

    /// Every field name in `json` with its path (`result.history[].train_accuracy` is `history.train_accuracy`).
    static func fields(_ json: String) throws -> [(path: String, key: String)] {
        var found: [(String, String)] = []
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    let here = path.isEmpty ? key : path + "." + key
                    found.append((here, key))
                    if !isDataMap(key) { walk(inner, here) }
                }
            } else if let array = value as? [Any] {
                for element in array { walk(element, path) }
            }
        }
        walk(try JSONSerialization.jsonObject(with: Data(json.utf8)), "")
        return found
    }

    /// The field names of `json`, without paths.
    static func keys(_ json: String) throws -> Set<String> { Set(try fields(json).map(\.key)) }

    /// Records an issue for each field name of `json` (the output of `command`) that is not snake_case.
    static func expectSnakeCase(_ json: String, _ command: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let fields = try fields(json)
        #expect(!fields.isEmpty, "\(command): no JSON object", sourceLocation: sourceLocation)
        for field in fields where !isSnakeCase(field.key) {
            Issue.record("\(command): key \(field.path) is not snake_case", sourceLocation: sourceLocation)
        }
    }
}
