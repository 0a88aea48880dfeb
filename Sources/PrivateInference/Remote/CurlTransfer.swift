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
    static let untrustedCertificate = Int32(CURLE_PEER_FAILED_VERIFICATION.rawValue)

    /// curl_global_init's result: a static let runs once per process, thread-safely (FoundationNetworking calls
    /// curl_global_init too; libcurl counts the calls).
    private static let globalInit = Int32(privdnn_curl_global_init().rawValue)

    /// Runs one exchange: GET, or POST of `upload` (streamed from disk).
    ///
    /// The body goes to a new temporary file, which the caller removes. Any status is an answer; only no answer at
    /// all throws.
    static func run(url: URL, headers: [String], upload: URL?, caFile: URL, timeout: TimeInterval) throws -> Answer {
        guard globalInit == 0 else { throw Failure(code: globalInit, message: describe(globalInit)) }
        var input: UnsafeMutablePointer<FILE>?
        defer { if let input { fclose(input) } }
        var size = stat()
        if let upload {
            input = fopen(upload.path, "rb")
            guard let file = input, fstat(fileno(file), &size) == 0 else { throw fileFailure("cannot read", upload) }
        }
        let body = FileManager.default.temporaryDirectory
            .appendingPathComponent("privdnn-download-\(UUID().uuidString)")
        guard let output = fopen(body.path, "wb") else { throw fileFailure("cannot write", body) }
        let exchange = Result {
            try perform(
                url: url, headers: headers, input: input, size: size.st_size, output: output, caFile: caFile,
                timeout: timeout)
        }
        // fclose flushes the body's last bytes: a failure there loses the answer as surely as a failed exchange.
        let closeFailure = fclose(output) == 0 ? nil : fileFailure("cannot write", body)
        do {
            let (status, headerLines) = try exchange.get()
            if let closeFailure { throw closeFailure }
            return Answer(status: status, headers: parse(headerLines), body: body)
        } catch {
            try? FileManager.default.removeItem(at: body)
            throw error
        }
    }

    /// The exchange proper on an easy handle of its own, the body written to `output` by libcurl's default writer
    /// (fwrite) and `input`, if any, read by its default reader (fread).
    /// - Returns: the final status and the final response's header lines.
    private static func perform(
        url: URL, headers: [String], input: UnsafeMutablePointer<FILE>?, size: Int,
        output: UnsafeMutablePointer<FILE>, caFile: URL, timeout: TimeInterval
    ) throws -> (Int, String) {
        guard let handle = curl_easy_init() else { throw failure(CURLE_FAILED_INIT, nil) }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for line in headers {
            guard let longer = curl_slist_append(list, line) else { throw failure(CURLE_OUT_OF_MEMORY, nil) }
            list = longer
        }
        let error = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        error.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { error.deallocate() }
        let lines = HeaderLines()
        let seconds = timeout.isFinite ? Int(min(max(timeout.rounded(.up), 1), Double(Int32.max))) : 0
        let settings: [CURLcode] = [
            privdnn_curl_set_string(handle, CURLOPT_URL, url.absoluteString),
            privdnn_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, error),
            // No signals (other threads run), no redirects, no scheme but HTTP(S): the client talks to one service.
            privdnn_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),
            privdnn_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0),
            privdnn_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            privdnn_curl_set_long(handle, CURLOPT_TIMEOUT, seconds),
            privdnn_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list),
            privdnn_curl_set_write_function(handle, CURLOPT_HEADERFUNCTION) { data, unit, count, user in
                guard let data, let user else { return unit * count }
                let line = UnsafeRawBufferPointer(start: data, count: unit * count)
                Unmanaged<HeaderLines>.fromOpaque(user).takeUnretainedValue().add(line)
                return unit * count  // all of it taken: a smaller count would abort the exchange
            },
            privdnn_curl_set_pointer(handle, CURLOPT_HEADERDATA, Unmanaged.passUnretained(lines).toOpaque()),
            privdnn_curl_set_pointer(handle, CURLOPT_WRITEDATA, output),
            // The given CAs only: no compiled-in bundle or directory beside them, so that the file decides.
            privdnn_curl_set_string(handle, CURLOPT_CAINFO, caFile.path),
            privdnn_curl_set_string(handle, CURLOPT_CAPATH, nil),
        ]
        if let bad = settings.first(where: { $0 != CURLE_OK }) { throw failure(bad, error) }
        if let input {
            let uploads = [
                privdnn_curl_set_long(handle, CURLOPT_POST, 1),
                privdnn_curl_set_pointer(handle, CURLOPT_READDATA, input),
                privdnn_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(size)),
            ]
            if let bad = uploads.first(where: { $0 != CURLE_OK }) { throw failure(bad, error) }
        }
        // `lines` is reached only through the opaque pointer during the call: keep it alive until it returns.
        let code = withExtendedLifetime(lines) { curl_easy_perform(handle) }
        guard code == CURLE_OK else { throw failure(code, error) }
        var status = 0
        let info = privdnn_curl_response_code(handle, &status)
        guard info == CURLE_OK else { throw failure(info, error) }
        return (status, String(decoding: lines.bytes, as: UTF8.self))
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

    /// libcurl's message for `code`: its error buffer's detail when it wrote one, else the code's text.
    private static func failure(_ code: CURLcode, _ buffer: UnsafeMutablePointer<CChar>?) -> Failure {
        let detail = buffer.map { String(cString: $0) } ?? ""
        return Failure(code: Int32(code.rawValue), message: detail.isEmpty ? describe(Int32(code.rawValue)) : detail)
    }

    /// libcurl's text for a code.
    private static func describe(_ code: Int32) -> String {
        String(cString: curl_easy_strerror(CURLcode(rawValue: .init(code))))
    }

    /// A local file that could not be opened, read or written, with the system's reason (read from errno at once).
    private static func fileFailure(_ what: String, _ file: URL) -> Failure {
        let reason = String(cString: strerror(errno))
        return Failure(code: -1, message: "\(what) \(file.path): \(reason)")
    }
}

/// The final response's header lines, filled by libcurl's header callback.
private final class HeaderLines {
    /// The client reads a few short fields: lines past this many bytes are dropped, not an error.
    static let limit = 1 << 16
    private(set) var bytes: [UInt8] = []

    /// Adds one line; a status line starts over, so that the headers of a `100 Continue` (sent before the upload)
    /// do not mix with the answer's.
    func add(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) { bytes.removeAll(keepingCapacity: true) }
        bytes.append(contentsOf: line.prefix(max(0, Self.limit - bytes.count)))
    }
}
