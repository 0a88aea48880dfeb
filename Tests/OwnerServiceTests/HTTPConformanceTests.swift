import Foundation
import OwnerService
import Testing

@testable import PrivateInference

/// HTTP as clients other than ours speak it, byte for byte over a raw connection to the real server:
/// `Expect: 100-continue`, HEAD, conditional requests, chunked uploads past the limit.
extension OwnerServiceTests {
    /// A request head of `POST /v1/decrypt`.
    static func decryptHead(token: String, _ fields: [String]) -> String {
        ([
            "POST /v1/decrypt HTTP/1.1", "Host: 127.0.0.1", "Authorization: Bearer \(token)",
            "Content-Type: application/octet-stream",
        ] + fields).joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// A client that asks `Expect: 100-continue` gets `100 Continue` and then its answer; one the service would
    /// refuse (unknown token 401, declared size over the limit 413) gets the refusal before it sends a byte, and
    /// the connection is closed; any other expectation is 417.
    ///
    /// Only the accepted upload is decrypted and counted.
    @Test func expectContinueIsAnsweredBeforeTheUpload() async throws {
        let f = try ServiceFixture.get()
        let chunk = try f.chunks(try f.freshRequest())[0]
        let bytes = [UInt8](try Data(contentsOf: chunk))
        let service = try await f.start(maxRequestBytes: bytes.count)
        let (name, token) = try f.user()
        let keyBefore = try f.keyCount("a")
        let port = service.port
        let (interim, final) = try await blocking { () throws -> (String, String) in
            let connection = try RawConnection(port: port)
            try connection.send(
                Self.decryptHead(token: token, ["Content-Length: \(bytes.count)", "Expect: 100-continue"]))
            let interim = connection.receiveHead()
            try connection.send(bytes)
            return (interim, connection.receiveHead())
        }
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
        #expect(final.hasPrefix("HTTP/1.1 200"), "\(final)")
        let refusals: [(token: String, fields: [String], status: Int)] = [
            (UserStore.freshToken(), ["Content-Length: \(bytes.count)", "Expect: 100-continue"], 401),
            (token, ["Content-Length: \(bytes.count + 1)", "Expect: 100-Continue"], 413),
            (token, ["Content-Length: \(bytes.count)", "Expect: something-else"], 417),
        ]
        for refusal in refusals {
            let (head, closed) = try await blocking { () throws -> (String, Bool) in
                let connection = try RawConnection(port: port)
                try connection.send(Self.decryptHead(token: refusal.token, refusal.fields))
                let head = connection.receiveHead()
                return (head, connection.closedByPeer())
            }
            #expect(head.hasPrefix("HTTP/1.1 \(refusal.status)"), "\(head)")
            #expect(head.lowercased().contains("connection: close"), "\(head)")
            #expect(!head.contains(refusal.token))
            #expect(closed, "the connection stays open after an early \(refusal.status)")
        }
        #expect(try f.stored(name)?.decrypted == f.chunkCiphertexts[0])
        #expect(try f.keyCount("a") - keyBefore == f.chunkCiphertexts[0])
        await service.stop()
    }

    /// `HEAD /v1/packages/{id}` has GET's status, ETag and Content-Length and no body (the next answer on the
    /// connection follows the head at once); `If-None-Match` is 304 for the current tag (strong, weak, in a list,
    /// `*`) and the package for another; `If-Match` is the package for the current tag and 412 for another; a
    /// malformed tag list is 400.
    @Test func headAndConditionalRequestsOfAPackage() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let (_, token) = try f.user()
        let package = f.packages.appendingPathComponent("a")
        let hash = try UserRole.load(package).manifestHash
        let length = PackageArchive.length(try PackageArchive.entries(package))
        let port = service.port
        /// The response head of a request for package `a` with extra `fields`, and the head of `GET /health`
        /// sent after it on the same connection (nil when the first closed it).
        func ask(_ method: String, _ fields: [String]) async throws -> (String, String?) {
            try await blocking { () throws -> (String, String?) in
                let connection = try RawConnection(port: port)
                try connection.send(
                    (["\(method) /v1/packages/a HTTP/1.1", "Host: 127.0.0.1", "Authorization: Bearer \(token)"]
                        + fields).joined(separator: "\r\n") + "\r\n\r\n")
                let head = connection.receiveHead()
                guard method == "HEAD" || head.hasPrefix("HTTP/1.1 304") else { return (head, nil) }
                try connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return (head, connection.receiveHead())
            }
        }
        func field(_ head: String, _ name: String) -> String? {
            head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        let (head, next) = try await ask("HEAD", [])
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        #expect(field(head, "etag") == "\"\(hash)\"")
        #expect(field(head, "content-length") == String(length))
        #expect(next?.hasPrefix("HTTP/1.1 200") == true, "bytes after a HEAD answer: \(String(describing: next))")

        for matching in ["\"\(hash)\"", "W/\"\(hash)\"", "\"other\", \"\(hash)\"", "*"] {
            let (notModified, after) = try await ask("GET", ["If-None-Match: \(matching)"])
            #expect(notModified.hasPrefix("HTTP/1.1 304"), "\(matching): \(notModified)")
            #expect(field(notModified, "etag") == "\"\(hash)\"")
            #expect(after?.hasPrefix("HTTP/1.1 200") == true, "a 304 carried a body")
        }
        for other in ["\"\(String(repeating: "0", count: 64))\"", "\"x\(hash)\""] {
            let (full, _) = try await ask("GET", ["If-None-Match: \(other)"])
            #expect(full.hasPrefix("HTTP/1.1 200") && field(full, "content-length") == String(length), "\(full)")
        }
        let (current, _) = try await ask("GET", ["If-Match: \"\(hash)\""])
        #expect(current.hasPrefix("HTTP/1.1 200"), "\(current)")
        let (changed, _) = try await ask("GET", ["If-Match: \"\(String(repeating: "0", count: 64))\""])
        #expect(changed.hasPrefix("HTTP/1.1 412"), "\(changed)")
        let (weakOnly, _) = try await ask("GET", ["If-Match: W/\"\(hash)\""])
        #expect(weakOnly.hasPrefix("HTTP/1.1 412"), "If-Match compares strongly: \(weakOnly)")
        let (malformed, _) = try await ask("GET", ["If-None-Match: \(hash)"])
        #expect(malformed.hasPrefix("HTTP/1.1 400"), "\(malformed)")
        await service.stop()
    }

    /// A chunked upload (no Content-Length) is refused with 413 once its bytes pass the limit, and one within the
    /// limit is read and judged (400: not a chunk); nothing is decrypted or counted, the spool is left empty.
    @Test func aChunkedUploadPastTheLimitIs413() async throws {
        let f = try ServiceFixture.get()
        let spool = f.scratch().appendingPathComponent("spool")
        let service = try await f.start(maxRequestBytes: 4096, spool: spool)
        let (name, token) = try f.user()
        let keyBefore = try f.keyCount("a")
        let port = service.port
        func upload(pieces: Int) async throws -> String {
            try await blocking { () throws -> String in
                let connection = try RawConnection(port: port)
                try connection.send(Self.decryptHead(token: token, ["Transfer-Encoding: chunked"]))
                for _ in 0..<pieces {
                    try connection.send("3e8\r\n")
                    try connection.send([UInt8](repeating: 0x41, count: 1000) + Array("\r\n".utf8))
                }
                try connection.send("0\r\n\r\n")
                return connection.receiveHead()
            }
        }
        let tooLarge = try await upload(pieces: 5)
        #expect(tooLarge.hasPrefix("HTTP/1.1 413"), "\(tooLarge)")
        let judged = try await upload(pieces: 4)
        #expect(judged.hasPrefix("HTTP/1.1 400"), "\(judged)")
        #expect(try f.keyCount("a") == keyBefore)
        #expect(try f.stored(name)?.decrypted == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty)
        await service.stop()
    }
}
