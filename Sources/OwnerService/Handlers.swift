import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PrivateInference

/// The service's endpoints. Each turns every failure into an ``APIError`` response and logs one line per request
/// (the user's name, never the token).
struct Handlers: Sendable {
    let keys: URL
    let index: PackageIndex
    let spool: Spool
    let maxRequestBytes: Int
    let slots: DecryptionSlots
    let logger: Logger

    /// `GET /health`.
    func health() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
    }

    /// `GET /v1/packages/{id}`: the package as a ustar archive read from its files a block at a time.
    func package(_ request: Request, id: String) async -> Response {
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
            headers[.eTag] = "\"\(hash)\""
            if let match = request.headers[.ifNoneMatch], match.contains(hash) {
                log(request, status: 304, user: user.name)
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/x-tar"
            let length = PackageArchive.length(entries)
            log(request, status: 200, user: user.name, extra: ["package": "\(id)", "bytes": "\(length)"])
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: length) { writer in
                    for entry in entries {
                        try await writer.write(ByteBuffer(bytes: PackageArchive.header(name: entry.name, size: entry.size)))
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
    /// by ``OwnerRole/decryptChunk(keys:chunk:response:authorize:)`` (the decryption `owner decrypt` runs), counted
    /// against the user before anything is decrypted, and the response chunk streamed back from its file.
    func decrypt(_ request: Request) async -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let chunk = spool.file("request"), answer = spool.file("response")
        // Whatever happens, nothing stays in the spool (the response file is open, unlinked, when it is sent).
        defer {
            try? FileManager.default.removeItem(at: chunk)
            try? FileManager.default.removeItem(at: answer)
        }
        var userName = "-"
        do {
            let token = try bearer(request)
            userName = try await offload { try authenticate(token) }.name
            if let declared = request.headers[.contentLength], let length = Int(declared), length > maxRequestBytes {
                throw APIError.tooLarge("the request chunk has \(length) bytes; this service takes at most \(maxRequestBytes)")
            }
            try await receive(request.body, into: chunk)
            await slots.acquire()
            let outcome: Result<(OwnerRole.Decryption, UserStore.User?, Int), Error> = await offload { [self] in
                Result { try decryptSpooled(chunk: chunk, answer: answer, token: token) }
            }
            // A chunk's buffers are free now; give their pages back so that the resident set stays one chunk's.
            ProcessMemory.releaseFreeMemory()
            await slots.release()
            let (decryption, user, ciphertexts) = try outcome.get()
            guard let handle = FileHandle(forReadingAtPath: answer.path) else { throw APIError.internal }
            try? FileManager.default.removeItem(at: answer)  // the open handle keeps the bytes until it is closed
            let size = Int((try? handle.seekToEnd()) ?? 0)
            try? handle.seek(toOffset: 0)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            if let user {
                headers[HTTPField.Name("X-PrivDNN-User-Decrypted")!] = String(user.decrypted)
                headers[HTTPField.Name("X-PrivDNN-User-Budget")!] = String(user.budget)
            }
            log(
                request, status: 200, user: userName,
                extra: [
                    "ciphertexts": "\(ciphertexts)", "key_decrypted": "\(decryption.used)",
                    "seconds": String(format: "%.3f", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9),
                ])
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

    /// Decrypts the spooled chunk (on a worker thread): the package it names must be offered and allowed to the
    /// user, its key's bound t must cover it, and the user's count is raised durably before any decryption.
    /// - Returns: the decryption, the user after the count, and the chunk's ciphertexts.
    private func decryptSpooled(chunk: URL, answer: URL, token: String) throws
        -> (OwnerRole.Decryption, UserStore.User?, Int)
    {
        var reserved: UserStore.User?
        var count = 0
        do {
            let decryption = try OwnerRole.decryptChunk(keys: keys, chunk: chunk, response: answer) { claim in
                guard let package = index.package(forKey: claim.keyID) else {
                    throw APIError.forbidden("the request is for a package this service does not offer")
                }
                guard claim.ciphertexts <= claim.keyLimit - claim.keyDecrypted else {
                    throw APIError.forbidden(
                        "package \(package)'s key has decrypted \(claim.keyDecrypted) of its t = \(claim.keyLimit) "
                            + "ciphertexts; the owner must issue a new package")
                }
                do {
                    reserved = try UserStore.reserve(keys: keys, token: token, package: package, count: claim.ciphertexts)
                    count = claim.ciphertexts
                } catch let refusal as UserStore.Refusal { throw APIError(refusal) }
            }
            return (decryption, reserved, count)
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
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer "),
            case let token = String(value.dropFirst(7)), (1...256).contains(token.utf8.count)
        else { throw APIError.unauthorized("an API token is required (Authorization: Bearer TOKEN)") }
        return token
    }

    /// The response for `error`, logged: library errors about the spooled chunk are the client's fault (400, the
    /// spool path replaced by "request chunk"); anything else is the owner's (500, details only in the log).
    private func refuse(_ request: Request, _ error: Error, user: String = "-") -> Response {
        let api: APIError
        switch error {
        case let e as APIError: api = e
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
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)", "user": "\(user)",
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
    /// (the client sees a short body and refuses it). The reads block briefly (1 MiB from the page cache, as a
    /// rule), which is cheaper than a hop to another thread per block.
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

/// Runs blocking work (file locks, reads, decryption) on a dispatch thread, off the server's event loops.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// ``offload(_:)`` for work that cannot throw.
func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}
