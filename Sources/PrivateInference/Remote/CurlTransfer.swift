import CCurl
import Foundation

/// HTTP exchanges for an ``OwnerClient`` that trusts certificate authorities of its own.
///
/// FoundationNetworking on Linux (swift-corelibs-foundation, libcurl underneath) has no trust setting: its
/// `URLSessionCertificateAuthorityInfoFile` variable is read on Android only, a server-trust challenge never
/// reaches the delegate, and libcurl's compiled-in bundle wins over `SSL_CERT_FILE` (all checked on this
/// toolchain). So such a client drives libcurl, the library URLSession runs on, itself: an easy handle per exchange
/// with `CURLOPT_CAINFO` set to the client's file, which touches no other client and nothing process-wide.
enum CurlTransfer {
    /// A finished exchange: its status, its header fields (names lowercased) and its body's file.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: URL
    }

    /// Why no answer came.
    struct Failure: Error {
        /// libcurl's code (``untrustedCertificate`` for a certificate that did not verify), -1 for a local file.
        var code: Int32
        /// The one-line message.
        var message: String
    }

    /// libcurl's code for a server certificate that did not verify.
    static let untrustedCertificate = privdnn_http_untrusted_certificate

    /// Runs one exchange: GET, or POST of `upload` (streamed from disk); the body goes to a new temporary file,
    /// which the caller removes.
    static func run(url: URL, headers: [String], upload: URL?, caFile: URL, timeout: TimeInterval) throws -> Answer {
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-download-\(UUID().uuidString)")
        var status = 0
        let capacity = 1 << 16
        var fields = [CChar](repeating: 0, count: capacity)
        var error = [CChar](repeating: 0, count: Int(PRIVDNN_HTTP_ERROR_SIZE))
        let code = withCStrings(headers) { lines in
            privdnn_http_transfer(
                url.absoluteString, lines, lines.count, upload?.path, body.path, caFile.path,
                max(1, Int(timeout.rounded(.up))), &status, &fields, capacity, &error)
        }
        guard code == 0 else {
            try? FileManager.default.removeItem(at: body)
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Failure(code: code, message: message)
        }
        let text = String(decoding: fields.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Answer(status: status, headers: parse(text), body: body)
    }

    /// The header fields of a response's header lines (the status line and malformed lines are skipped).
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// Calls `body` with the strings as C strings, valid during the call only.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { UnsafePointer($0) })
    }
}
