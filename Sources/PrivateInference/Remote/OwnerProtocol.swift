import Foundation

/// The owner service's HTTP conventions that the service and its client both read: the bearer token, entity tags and
/// the conditionals on them, `Expect`, the count headers and the JSON error body.
///
/// Plain functions of strings, so that the service's own reading of a request (what Hummingbird does not do for it) is
/// fuzzed without a server (`Fuzz/`, harness `service-headers`).
public enum OwnerProtocol {
    /// Response header: the user's decryption count after the request.
    public static let userDecryptedHeader = "X-PrivDNN-User-Decrypted"
    /// Response header: the user's budget.
    public static let userBudgetHeader = "X-PrivDNN-User-Budget"
    /// Response header, `1` when the response is the stored answer to a copy of a chunk decrypted before (nothing
    /// was decrypted or counted for it).
    public static let replayedHeader = "X-PrivDNN-Replayed"
    /// The longest token accepted (``UserStore/freshToken()`` makes 68 bytes).
    public static let maxTokenBytes = 256

    /// The token of an `Authorization` value `Bearer TOKEN` (the scheme in any case, RFC 9110 §11.1), or nil when
    /// the value is missing, of another scheme, or not a plausible token (1–256 of the token68 characters).
    public static func bearerToken(_ authorization: String?) -> String? {
        guard let value = authorization else { return nil }
        let bytes = Array(value.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count, bytes.count - scheme.count <= maxTokenBytes,
            zip(bytes, scheme).allSatisfy({ a, b in a | 0x20 == b | 0x20 })
        else { return nil }
        let token = bytes[scheme.count...]
        // token68 (RFC 9110 §11.2): letters, digits, - . _ ~ + /, then any number of '='.
        let body = token.prefix { $0 != 61 }
        guard !body.isEmpty, token.dropFirst(body.count).allSatisfy({ $0 == 61 }),
            body.allSatisfy({ b in
                (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b)
                    || [45, 46, 95, 126, 43, 47].contains(b)
            })
        else { return nil }
        return String(decoding: token, as: UTF8.self)
    }

    /// The entity tag of a package whose content hash is `hash` (`"HASH"`, strong).
    public static func entityTag(_ hash: String) -> String { "\"\(hash)\"" }

    /// The entity tags of an `If-None-Match` or `If-Match` value (RFC 9110 §13.1): `*`, or a comma-separated list
    /// of `"opaque"` or `W/"opaque"`.
    public enum EntityTags: Equatable, Sendable {
        /// `*`: any current representation.
        case any
        /// The listed tags, each with whether it is weak.
        case list([(weak: Bool, opaque: String)])

        /// Whether both are `*`, or both list the same tags (and weakness) in the same order; written out because
        /// tuples are not `Equatable`.
        public static func == (a: EntityTags, b: EntityTags) -> Bool {
            switch (a, b) {
            case (.any, .any): true
            case (.list(let x), .list(let y)): x.count == y.count && zip(x, y).allSatisfy { $0 == $1 }
            default: false
            }
        }

        /// Parses a field value; nil when it is not `*` or a list of entity tags (at most 64, each at most 256
        /// bytes: a client has one version of a package, a few at most).
        public init?(_ value: String) {
            let bytes = Array(value.utf8)
            func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
            var i = 0
            func skipSpace() { while i < bytes.count, isSpace(bytes[i]) { i += 1 } }
            skipSpace()
            if i < bytes.count, bytes[i] == 42 {  // *
                i += 1
                skipSpace()
                guard i == bytes.count else { return nil }
                self = .any
                return
            }
            var tags: [(weak: Bool, opaque: String)] = []
            while true {
                skipSpace()
                // Empty list elements are allowed by the list syntax (RFC 9110 §5.6.1).
                if i < bytes.count, bytes[i] == 44 {
                    i += 1
                    continue
                }
                guard i < bytes.count else { break }
                var weak = false
                if bytes.count - i >= 2, bytes[i] == 87, bytes[i + 1] == 47 {  // W/
                    weak = true
                    i += 2
                }
                guard i < bytes.count, bytes[i] == 34 else { return nil }
                i += 1
                let start = i
                // etagc: %x21 / %x23-7E / obs-text; no quote, no space, no control.
                while i < bytes.count, bytes[i] != 34 {
                    guard bytes[i] == 0x21 || bytes[i] >= 0x23, bytes[i] != 0x7F else { return nil }
                    i += 1
                }
                guard i < bytes.count, i - start <= 256 else { return nil }
                tags.append((weak, String(decoding: bytes[start..<i], as: UTF8.self)))
                guard tags.count <= 64 else { return nil }
                i += 1
                skipSpace()
                guard i == bytes.count || bytes[i] == 44 else { return nil }
            }
            guard !tags.isEmpty else { return nil }
            self = .list(tags)
        }

        /// Whether the list names the representation whose content hash is `hash`: `If-None-Match` compares weakly
        /// (a weak tag matches its opaque value), `If-Match` strongly (a weak tag never matches).
        public func matches(hash: String, weak: Bool) -> Bool {
            switch self {
            case .any: true
            case .list(let tags): tags.contains { $0.opaque == hash && (weak || !$0.weak) }
            }
        }
    }

    /// What an `Expect` field asks for.
    public enum Expectation: Equatable, Sendable {
        /// No `Expect` field.
        case none
        /// `100-continue`: the client waits for `100 Continue` (or a final refusal) before it sends the body.
        case continueFirst
        /// Anything else, which the service cannot meet (417).
        case unsupported
    }

    /// The expectation of an `Expect` field value (RFC 9110 §10.1.1; `100-continue` in any case).
    public static func expectation(_ value: String?) -> Expectation {
        guard let value else { return .none }
        return value.trimmingCharacters(in: .whitespaces).lowercased() == "100-continue" ? .continueFirst : .unsupported
    }

    /// A declared `Content-Length` (RFC 9110 §8.6; at most 18 digits, so it fits an `Int`), nil when absent or not a
    /// length.
    public static func contentLength(_ value: String?) -> Int? {
        guard let value, (1...18).contains(value.utf8.count), value.utf8.allSatisfy({ (48...57).contains($0) }) else {
            return nil
        }
        return Int(value)
    }

    /// The service's error body: `{"error":{"code":CODE,"message":MESSAGE}}`.
    public static func errorBody(code: String, message: String) -> [UInt8] {
        let encoded = try? JSONEncoder().encode(Envelope(error: .init(code: code, message: message)))
        return encoded.map { Array($0) } ?? Array(#"{"error":{"code":"internal","message":""}}"#.utf8)
    }

    /// The refusal a response with `status` and `body` stands for: the service's JSON error when the body is one
    /// (only its first 64 KiB are read), else a generic one naming the status.
    public static func refusal(status: Int, body: Data) -> OwnerServiceError {
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: body.prefix(1 << 16)) {
            // The service's messages are one line; a forged long or multi-line one is cut, so that it cannot
            // forge lines in the user's output or logs.
            let line = envelope.error.message.prefix { $0 != "\n" && $0 != "\r" }.prefix(1024)
            let code = envelope.error.code.unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
            }
            return OwnerServiceError(
                status: status, code: String(String.UnicodeScalarView(code.prefix(64))), message: String(line))
        }
        return OwnerServiceError(status: status, code: "http_\(status)", message: "no JSON error from the service")
    }

    /// The error body's shape.
    private struct Envelope: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}
