import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What the owner's service answered instead of a package or a response (or why it could not be reached).
public struct OwnerServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status (0: no answer).
    public var status: Int
    /// The service's error code (`unauthorized`, `forbidden`, `too_large`, `bad_request`, …), or with status 0
    /// `unreachable` or `untrusted_certificate` (the service's TLS certificate did not verify).
    public var code: String
    /// The service's one-line message (never a token: the service does not echo it).
    public var message: String

    /// Makes an error.
    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The code of a service whose TLS certificate did not verify against the client's trust.
    public static let untrustedCertificate = "untrusted_certificate"

    /// Whether the same request may succeed if sent again later: no answer (but not a certificate that did not
    /// verify), `409 in_progress`, or a proxy's 502/503/504 while the service behind it restarts.
    public var isTransient: Bool {
        switch status {
        case 0: code == "unreachable"
        case 409: code == "in_progress"
        case 502, 503, 504: true
        default: false
        }
    }

    /// One line for the command line.
    public var description: String {
        status == 0 ? "owner service: \(message)" : "owner service refused (HTTP \(status) \(code)): \(message)"
    }
}

/// A client of the owner's decryption service (`privdnn-owner serve`): downloads packages and has request chunks
/// decrypted, one chunk per HTTP request, streaming files from and to disk (URLSession's upload-from-file and download
/// tasks), so that neither side holds more than a chunk.
///
/// Calls block the calling thread.
///
/// An owner whose certificate a private certificate authority signed: ``init(owner:token:caFile:)``.
public struct OwnerClient: Sendable {
    /// The service's base URL (`http://127.0.0.1:8080`).
    public let owner: URL
    /// The user's API token (sent as `Authorization: Bearer`, never logged or put in an error).
    let token: String
    /// How long one request may take (a large chunk's decryption takes minutes at N = 16384).
    public var timeout: TimeInterval = 3600
    /// How many times a package download or a chunk is sent again after an answer that says "try again": no answer at
    /// all (the service restarting, a connection reset), `409 in_progress` (an earlier copy of the chunk, whose answer
    /// was lost, is still being decrypted) or 502/503/504 from a proxy in front of the service.
    ///
    /// Sending a chunk again is safe: the service decrypts and counts a chunk once and answers copies from its record.
    /// 0 turns retrying off.
    public var retries = 5
    /// The wait before the first retry; each further wait is twice the previous one (0.25 s: about 8 s over five
    /// retries, enough for a service restart).
    public var retryDelay: TimeInterval = 0.25
    /// The PEM file of the certificate authorities this client trusts (nil: the system's).
    public let caFile: URL?

    /// A client of the service at `owner` with the user's token, trusting the system's certificate authorities.
    public init(owner: URL, token: String) {
        self.owner = owner
        self.token = token
        caFile = nil
    }

    /// A client of the service at `owner` with the user's token that trusts the certificate authorities in the PEM
    /// file `caFile` and no others, for an owner whose certificate a private CA signed.
    ///
    /// The trust is this client's alone: URLSession on Linux has no trust setting (`CurlTransfer` says what was
    /// checked), so this client's exchanges run on libcurl directly with `CURLOPT_CAINFO`; nothing process-wide
    /// changes and other clients keep the system's trust.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` naming `caFile` when it is missing, unreadable or not
    ///   PEM certificates.
    public init(owner: URL, token: String, caFile: URL) throws {
        _ = try CertificateAuthorityFile.check(caFile)
        self.owner = owner
        self.token = token
        self.caFile = caFile
    }

    /// Downloads package `id` into directory `out` (replaced atomically once complete) and checks that the
    /// manifest's hash is the service's ETag for it.
    /// - Returns: the package's content hash (the manifest's BLAKE2b-256).
    /// - Throws: ``OwnerServiceError`` for a refusal or no answer; ``InferenceError`` for a malformed download.
    public func fetchPackage(id: String, to out: URL) throws -> String {
        guard PackageID.isValid(id) else { throw InferenceError.invalidArgument("\(id) is not a package ID") }
        var request = URLRequest(url: owner.appendingPathComponent("v1/packages").appendingPathComponent(id))
        request.httpMethod = "GET"
        let (file, response) = try retrying { try transfer(request, upload: nil) }
        defer { try? FileManager.default.removeItem(at: file) }
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw InferenceError.badFile(path: file.path, reason: "cannot read the download")
        }
        defer { try? handle.close() }
        let hash = try PackageArchive.unpack(source: owner.absoluteString + "/v1/packages/" + id, out: out) { buffer in
            guard let data = try handle.read(upToCount: buffer.count), !data.isEmpty else { return 0 }
            data.copyBytes(to: buffer)
            return data.count
        }
        guard response.header("ETag") == OwnerProtocol.entityTag(hash) else {
            try? FileManager.default.removeItem(at: out)
            throw InferenceError.mismatch(
                path: out.path, reason: "the downloaded manifest's hash is not the service's ETag (changed in transit)")
        }
        return hash
    }

    /// What the service said about a decrypted chunk.
    public struct ChunkAnswer: Sendable, Equatable {
        /// The user's decryption count after this chunk, as the service reports it.
        public var decrypted: Int
        /// The user's budget, as the service reports it.
        public var budget: Int
        /// Whether the answer is the service's stored response to an earlier copy of this chunk (nothing was
        /// decrypted or counted for this one).
        public var replayed: Bool
    }

    /// Sends one request chunk and writes the service's response chunk.
    ///
    /// Sending a chunk again (after an answer was lost) is safe: the service answers a copy from its record, neither
    /// decrypting nor counting it again.
    /// - Returns: the user's count and budget, and whether the answer was a stored one.
    /// - Throws: ``OwnerServiceError`` for a refusal (401 unknown token, 403 revoked, other package or budget, 409 a
    ///   copy it will not answer, 413 too large, 400 malformed) or no answer.
    @discardableResult
    public func decrypt(chunk: URL, response: URL) throws -> ChunkAnswer {
        var request = URLRequest(url: owner.appendingPathComponent("v1/decrypt"))
        request.httpMethod = "POST"
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        let (file, answer) = try retrying { try transfer(request, upload: chunk) }
        do {
            if FileManager.default.fileExists(atPath: response.path) {
                try FileManager.default.removeItem(at: response)
            }
            try FileManager.default.moveItem(at: file, to: response)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw InferenceError.badFile(path: response.path, reason: "cannot write the response chunk")
        }
        return ChunkAnswer(
            decrypted: Int(answer.header(OwnerProtocol.userDecryptedHeader) ?? "") ?? 0,
            budget: Int(answer.header(OwnerProtocol.userBudgetHeader) ?? "") ?? 0,
            replayed: answer.header(OwnerProtocol.replayedHeader) == "1")
    }

    /// Whether the service answers `GET /health` with 200.
    public func healthy() -> Bool {
        var request = URLRequest(url: owner.appendingPathComponent("health"))
        request.httpMethod = "GET"
        guard let (file, _) = try? transfer(request, upload: nil, authorize: false) else { return false }
        try? FileManager.default.removeItem(at: file)
        return true
    }

    /// Runs `body`, and again after a growing wait while it fails with an answer that says "try again"
    /// (``retries``); any other failure, and the last one, is thrown.
    func retrying<T>(_ body: () throws -> T) throws -> T {
        var wait = retryDelay
        for _ in 0..<max(0, retries) {
            do {
                return try body()
            } catch let refusal as OwnerServiceError where refusal.isTransient {
                Thread.sleep(forTimeInterval: wait)
                wait *= 2
            }
        }
        return try body()
    }

    /// A response's status and header fields, from URLSession or from `CurlTransfer`.
    struct Answer {
        var status: Int
        /// Field names lowercased.
        var fields: [String: String]

        /// The value of field `name` (any case).
        func header(_ name: String) -> String? { fields[name.lowercased()] }
    }

    /// Runs one request (uploading `upload` from disk if given) and downloads the answer to a temporary file.
    /// - Returns: the downloaded body's file (the caller removes it) and the response.
    /// - Throws: ``OwnerServiceError`` for a status other than 200 (with the service's JSON error) or no answer.
    func transfer(_ request: URLRequest, upload: URL?, authorize: Bool = true) throws -> (URL, Answer) {
        var request = request
        request.timeoutInterval = timeout
        if authorize { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let caFile { return try transferTrusting(caFile, request, upload: upload) }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let outcome = Outcome()
        let task: URLSessionTask
        if let upload {
            // The body streams from the file; the answer (one response chunk, a fraction of the request's size)
            // arrives in memory and is written to a file by the caller: at most one chunk is held.
            task = session.uploadTask(with: request, fromFile: upload) { data, response, error in
                outcome.finish(data: data, file: nil, response: response, error: error)
            }
        } else {
            task = session.downloadTask(with: request) { file, response, error in
                // The download's file is removed when this handler returns: move it first.
                var kept: URL?
                if let file {
                    let target = FileManager.default.temporaryDirectory.appendingPathComponent(
                        "privdnn-download-\(UUID().uuidString)")
                    if (try? FileManager.default.moveItem(at: file, to: target)) != nil { kept = target }
                }
                outcome.finish(data: nil, file: kept, response: response, error: error)
            }
        }
        task.resume()
        let (data, file, response, error) = outcome.wait()
        if let error {
            if let file { try? FileManager.default.removeItem(at: file) }
            // corelibs reports libcurl's certificate failure with its message and a generic code.
            let text = error.localizedDescription
            let untrusted =
                text.contains("SSL certificate problem") || (-1204 ... -1201).contains((error as NSError).code)
            throw OwnerServiceError(
                status: 0, code: untrusted ? OwnerServiceError.untrustedCertificate : "unreachable",
                message: "\(owner.absoluteString): \(text)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw OwnerServiceError(status: 0, code: "unreachable", message: "\(owner.absoluteString): no HTTP answer")
        }
        var body = data
        if body == nil, let file, http.statusCode != 200, let handle = FileHandle(forReadingAtPath: file.path) {
            body = try? handle.read(upToCount: 1 << 16)  // an error is a line of JSON: never read a large body
            try? handle.close()
        }
        guard http.statusCode == 200 else {
            if let file { try? FileManager.default.removeItem(at: file) }
            throw OwnerProtocol.refusal(status: http.statusCode, body: body ?? Data())
        }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        let answer = Answer(status: http.statusCode, fields: fields)
        if let file { return (file, answer) }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent(
            "privdnn-download-\(UUID().uuidString)")
        do { try AtomicWrite.write([[UInt8](body ?? Data())], to: target) } catch {
            throw InferenceError.badFile(path: target.path, reason: "cannot keep the service's answer")
        }
        return (target, answer)
    }

    /// ``transfer(_:upload:authorize:)`` on libcurl with `caFile` as the only trust.
    private func transferTrusting(_ caFile: URL, _ request: URLRequest, upload: URL?) throws -> (URL, Answer) {
        let headers = (request.allHTTPHeaderFields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        let answer: CurlTransfer.Answer
        do {
            answer = try CurlTransfer.run(
                url: request.url ?? owner, headers: headers, upload: upload, caFile: caFile, timeout: timeout)
        } catch let failure as CurlTransfer.Failure {
            guard failure.code != -1 else { throw InferenceError.invalidArgument(failure.message) }  // names its file
            let untrusted = failure.code == CurlTransfer.untrustedCertificate
            throw OwnerServiceError(
                status: 0, code: untrusted ? OwnerServiceError.untrustedCertificate : "unreachable",
                message: "\(owner.absoluteString): \(failure.message)")
        }
        guard answer.status == 200 else {
            defer { try? FileManager.default.removeItem(at: answer.body) }
            let handle = FileHandle(forReadingAtPath: answer.body.path)
            let body = (try? handle?.read(upToCount: 1 << 16)) ?? nil  // an error is a line of JSON
            try? handle?.close()
            throw OwnerProtocol.refusal(status: answer.status, body: body ?? Data())
        }
        return (answer.body, Answer(status: answer.status, fields: answer.headers))
    }
}

/// One URLSession task's result, handed from its completion handler to the waiting caller.
private final class Outcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: (Data?, URL?, URLResponse?, Error?) = (nil, nil, nil, nil)

    /// Called once by the completion handler.
    func finish(data: Data?, file: URL?, response: URLResponse?, error: Error?) {
        result = (data, file, response, error)
        done.signal()
    }

    /// Waits for ``finish(data:file:response:error:)``; the semaphore orders the write before this read.
    func wait() -> (Data?, URL?, URLResponse?, Error?) {
        done.wait()
        return result
    }
}
