import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PrivateInference

/// The service's endpoints.
///
/// Each turns every failure into an ``APIError`` response and logs one line per request (the user's name, never
/// the token).
struct Handlers: Sendable {
    let keys: URL
    let index: PackageIndex
    let spool: Spool
    let maxRequestBytes: Int
    /// Seconds a response is kept for copies of its chunk
    /// (``OwnerRole/decryptChunkOnce(keys:chunk:user:keepResponses:authorize:)``).
    let keepResponses: TimeInterval
    let slots: DecryptionSlots
    let logger: Logger

    /// `GET /health`.
    func health() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
    }

    /// `GET /v1/packages/{id}`: the package as a ustar archive read from its files a block at a time; `HEAD`
    /// (`head`): the same headers (ETag, Content-Length), no body.
    ///
    /// `If-Match` (strong) refuses another version (412); `If-None-Match` (weak) answers 304 for the current one.
    func package(_ request: Request, id: String, head: Bool = false) async -> Response {
        do {
            let token = try bearer(request)
            let user = try await offload { try authenticate(token) }
            // An ID that is not a plain folder name is never echoed (into the answer or the log).
            guard PackageID.isValid(id) else { throw APIError.notFound("no such package") }
            if let allowed = user.packages, !allowed.contains(id) {
                throw APIError(.otherPackage(name: user.name, package: id))
            }
            guard let dir = index.directory(id) else { throw APIError.notFound("no package \(id)") }
            let (entries, hash) = try await offload { () throws -> ([PackageArchive.Entry], String) in
                let entries = try PackageArchive.entries(dir)
                guard let manifest = FileManager.default.contents(atPath: entries[0].url.path) else {
                    throw APIError.notFound("package \(id) was just removed")
                }
                return (entries, ContentHasher.hash([UInt8](manifest)))
            }
            var headers = HTTPFields()
            headers[.eTag] = OwnerProtocol.entityTag(hash)
            if let value = request.headers[.ifMatch],
                !(try entityTags(value, "If-Match")).matches(hash: hash, weak: false)
            {
                throw APIError(
                    status: 412, code: "precondition_failed",
                    message: "package \(id) is not the version If-Match names (it changed)")
            }
            if let value = request.headers[.ifNoneMatch],
                try entityTags(value, "If-None-Match").matches(hash: hash, weak: true)
            {
                log(request, status: 304, user: user.name)
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/x-tar"
            let length = PackageArchive.length(entries)
            log(request, status: 200, user: user.name, extra: ["package": "\(id)", "bytes": "\(length)"])
            if head {
                headers[.contentLength] = String(length)
                return Response(status: .ok, headers: headers)
            }
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: length) { writer in
                    for entry in entries {
                        try await writer.write(
                            ByteBuffer(bytes: PackageArchive.header(name: entry.name, size: entry.size)))
                        try await Self.stream(entry.url, bytes: entry.size, to: &writer)
                        let pad = PackageArchive.padded(entry.size) - entry.size
                        if pad > 0 { try await writer.write(ByteBuffer(repeating: 0, count: pad)) }
                    }
                    try await writer.write(ByteBuffer(repeating: 0, count: 2 * PackageArchive.block))
                    try await writer.finish(nil)
                })
        } catch {
            return refuse(request, error)
        }
    }

    /// `POST /v1/decrypt`: one request chunk, spooled to disk as it arrives (at most ``maxRequestBytes``), decrypted
    /// at most once (``OwnerRole/decryptChunkOnce(keys:chunk:user:keepResponses:authorize:)``, the decryption
    /// `owner decrypt` runs), counted against the user before anything is decrypted, and the response chunk
    /// streamed back from the service's durable copy.
    ///
    /// A copy of a chunk decrypted before gets that copy again, uncounted (`X-PrivDNN-Replayed: 1`), or 409.
    func decrypt(_ request: Request) async -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let chunk = spool.file("request")
        // Whatever happens, nothing stays in the spool.
        defer { try? FileManager.default.removeItem(at: chunk) }
        var userName = "-"
        do {
            // Resolved before anything is counted, so that a bad name could not cost the user a decryption.
            let decryptedField = try Self.fieldName(OwnerProtocol.userDecryptedHeader)
            let budgetField = try Self.fieldName(OwnerProtocol.userBudgetHeader)
            let replayedField = try Self.fieldName(OwnerProtocol.replayedHeader)
            let (token, user) = try await admitUpload(request)
            userName = user.name
            try await receive(request.body, into: chunk)
            await slots.acquire()
            let outcome: Result<(OwnerRole.ServedChunk, UserStore.User?, Int), Error> = await offload { [self] in
                Result { try decryptSpooled(chunk: chunk, token: token, user: user.name) }
            }
            // A chunk's buffers are free now; give their pages back so that the resident set stays one chunk's.
            ProcessMemory.releaseFreeMemory()
            await slots.release()
            let (served, counted, ciphertexts) = try outcome.get()
            let handle = served.response
            let size = Int((try? handle.seekToEnd()) ?? 0)
            try? handle.seek(toOffset: 0)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            let after = counted ?? user
            headers[decryptedField] = String(after.decrypted)
            headers[budgetField] = String(after.budget)
            var extra = ["seconds": String(format: "%.3f", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)]
            if let decryption = served.decryption {
                extra["ciphertexts"] = "\(ciphertexts)"
                extra["key_decrypted"] = "\(decryption.used)"
            } else {
                headers[replayedField] = "1"
                extra["replayed"] = "stored response"
            }
            log(request, status: 200, user: userName, extra: extra)
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: size) { writer in
                    defer { try? handle.close() }
                    try await Self.stream(handle: handle, bytes: size, to: &writer)
                    try await writer.finish(nil)
                })
        } catch {
            return refuse(request, error, user: userName)
        }
    }

    /// What `POST /v1/decrypt` checks before it reads the body (and, for `Expect: 100-continue`, before the client
    /// sends it): the token (401, 403 revoked) and the declared size (413).
    /// - Returns: the token and its user.
    func admitUpload(_ request: Request) async throws -> (token: String, user: UserStore.User) {
        let token = try bearer(request)
        let user = try await offload { try authenticate(token) }
        if let length = OwnerProtocol.contentLength(request.headers[.contentLength]), length > maxRequestBytes {
            throw APIError.tooLarge(
                "the request chunk has \(length) bytes; this service takes at most \(maxRequestBytes)")
        }
        return (token, user)
    }

    /// The early answer to a request that sent `Expect: 100-continue`: the refusal of `POST /v1/decrypt` by
    /// ``admitUpload(_:)``, or nil (send 100 Continue and go on).
    func admitExpecting(_ request: Request) async -> Response? {
        guard request.method == .post, request.uri.path == "/v1/decrypt" else { return nil }
        do {
            _ = try await admitUpload(request)
            return nil
        } catch {
            return refuse(request, error)
        }
    }

    /// Decrypts the spooled chunk once (on a worker thread): the package it names must be offered and allowed to
    /// the user, its key's bound t must cover it, and the user's count is raised durably before any decryption.
    /// - Returns: the answer, the user after the count (nil for a stored answer), and the chunk's ciphertexts.
    private func decryptSpooled(chunk: URL, token: String, user: String) throws
        -> (OwnerRole.ServedChunk, UserStore.User?, Int)
    {
        var reserved: UserStore.User?
        var count = 0
        do {
            let served = try OwnerRole.decryptChunkOnce(
                keys: keys, chunk: chunk, user: user, keepResponses: keepResponses
            ) { claim in
                guard let package = index.package(forKey: claim.keyID) else {
                    throw APIError.forbidden("the request is for a package this service does not offer")
                }
                guard claim.ciphertexts <= claim.keyLimit - claim.keyDecrypted else {
                    throw APIError.forbidden(
                        "package \(package)'s key has decrypted \(claim.keyDecrypted) of its t = \(claim.keyLimit) "
                            + "ciphertexts; the owner must issue a new package")
                }
                do {
                    reserved = try UserStore.reserve(
                        keys: keys, token: token, package: package, count: claim.ciphertexts)
                    count = claim.ciphertexts
                } catch let refusal as UserStore.Refusal { throw APIError(refusal) }
            }
            return (served, reserved, count)
        } catch InferenceError.invalidArgument(let reason) where reserved != nil {
            // Only the key's own count refuses after the user's was raised (another request took the key's last
            // decryptions meanwhile): nothing was decrypted, so the user's count is given back.
            UserStore.refund(keys: keys, token: token, count: count)
            logger.warning("refused after the user's count", metadata: ["reason": "\(reason)"])
            throw APIError.forbidden("the package's key has reached its flooding bound t")
        }
    }

    /// Writes the request body into `file`, refusing it (413) past the limit; a client that goes away mid-upload
    /// ends the body with an error, and nothing has been decrypted or counted.
    private func receive(_ body: RequestBody, into file: URL) async throws {
        guard var writer = SpoolWriter(file) else { throw APIError.internal }
        var pieces = body.makeAsyncIterator()
        while true {
            let piece: ByteBuffer?
            do { piece = try await pieces.next() } catch {
                // The client went away or broke the HTTP framing mid-body.
                throw APIError.badRequest("the request body ended before its end")
            }
            guard let buffer = piece else { break }
            guard writer.count + buffer.readableBytes <= maxRequestBytes else {
                throw APIError.tooLarge("the request chunk exceeds this service's \(maxRequestBytes) bytes")
            }
            guard buffer.withUnsafeReadableBytes({ writer.write($0) }) else { throw APIError.internal }
        }
        guard writer.count > 0 else { throw APIError.badRequest("the request has no body (one request chunk)") }
    }

    /// The user of a token, or the store's refusal as an ``APIError``.
    private func authenticate(_ token: String) throws -> UserStore.User {
        do { return try UserStore.authenticate(keys: keys, token: token) } catch let refusal as UserStore.Refusal {
            throw APIError(refusal)
        }
    }

    /// The bearer token of a request (401 when missing or implausible).
    private func bearer(_ request: Request) throws -> String {
        guard let token = OwnerProtocol.bearerToken(request.headers[.authorization]) else {
            throw APIError.unauthorized("an API token is required (Authorization: Bearer TOKEN)")
        }
        return token
    }

    /// The entity tags of conditional header `name` (400 when it is not a list of them).
    private func entityTags(_ value: String, _ name: String) throws -> OwnerProtocol.EntityTags {
        guard let tags = OwnerProtocol.EntityTags(value) else {
            throw APIError.badRequest("\(name) is not * or a list of entity tags")
        }
        return tags
    }

    /// The field name of one of ``OwnerProtocol``'s response headers.
    ///
    /// - Parameter name: the header's name, an HTTP token.
    /// - Returns: the name as HTTPTypes spells a field.
    /// - Throws: ``InferenceError/invalidArgument(_:)`` if `name` is not a valid field name (the request then
    ///   fails with 500 and the reason in the log).
    private static func fieldName(_ name: String) throws -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else {
            throw InferenceError.invalidArgument("the response header name \(name) is not an HTTP token")
        }
        return field
    }

    /// The response for `error`, logged: library errors about the spooled chunk are the client's fault (400, the
    /// spool path replaced by "request chunk"); anything else is the owner's (500, details only in the log).
    private func refuse(_ request: Request, _ error: Error, user: String = "-") -> Response {
        let api: APIError
        switch error {
        case let e as APIError: api = e
        case let e as ServedChunks.Refusal: api = APIError(e)
        case let e as InferenceError:
            switch e {
            case .badFile(let path, let reason) where path.hasPrefix(spool.directory.path),
                .mismatch(let path, let reason) where path.hasPrefix(spool.directory.path):
                api = .badRequest("request chunk: \(reason)")
            default:
                logger.error("owner-side failure", metadata: ["error": "\(e.description)"])
                api = .internal
            }
        default:
            logger.error("unexpected failure", metadata: ["error": "\(error)"])
            api = .internal
        }
        log(request, status: api.status, user: user, extra: ["error": "\(api.message)"])
        return api.response
    }

    private func log(_ request: Request, status: Int, user: String, extra: [String: String] = [:]) {
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
            "user": "\(user)",
        ]
        for (key, value) in extra { metadata[key] = "\(value)" }
        logger.info("request", metadata: metadata)
    }

    /// Sends `bytes` bytes of file `url`, a block at a time.
    private static func stream(_ url: URL, bytes: Int, to writer: inout any ResponseBodyWriter) async throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw APIError.notFound("\(url.lastPathComponent) was removed while being sent")
        }
        defer { try? handle.close() }
        try await stream(handle: handle, bytes: bytes, to: &writer)
    }

    /// Sends exactly `bytes` bytes from `handle`, a block at a time; a file that shrank ends the response early
    /// (the client sees a short body and refuses it).
    ///
    /// The reads block briefly (1 MiB from the page cache, as a rule), which is cheaper than a hop to another
    /// thread per block.
    private static func stream(handle: FileHandle, bytes: Int, to writer: inout any ResponseBodyWriter) async throws {
        var left = bytes
        while left > 0 {
            guard let data = try handle.read(upToCount: min(left, PackageArchive.readSize)), !data.isEmpty else {
                throw APIError.internal
            }
            try await writer.write(ByteBuffer(bytes: data))
            left -= data.count
        }
    }
}

/// Runs blocking work (file locks, reads, decryption) on a thread of its own, off the server's event loops.
///
/// Not on Dispatch's global queue: its pool has about one thread per core, and the compute the process runs
/// beside the service (decryption's own parallel loops, or other work in the same process) can hold all of them
/// for seconds, so a token check queued there waited behind it (a `100 Continue` came minutes late in the test
/// suite). A thread per request costs microseconds against a request's milliseconds.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// ``offload(_:)`` for work that cannot throw.
func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
