import CKKS
import Foundation
import NN
import OwnerService
import TestSupport
import Testing

@testable import PrivateInference

/// The owner's HTTP service on loopback (the real server, the real client): package download, decryption equal to
/// the file-based exchange, tokens, per-user budgets, limits and packages.
///
/// Serialized: the suite's tests share the packages' keys and compare their counts before and after.
@Suite(.serialized) struct OwnerServiceTests {
    func client(_ service: RunningOwnerService, _ token: String) throws -> OwnerClient {
        OwnerClient(owner: try #require(URL(string: "http://127.0.0.1:\(service.port)")), token: token)
    }

    /// The downloaded package is the owner's, file for file, its ETag is the manifest's hash, and it works: a
    /// request made from it is decrypted.
    @Test func packageDownloadIsTheOwnersPackage() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let (_, token) = try f.user()
        let out = f.scratch().appendingPathComponent("pkg")
        let client = try client(service, token)
        #expect(try await blocking { client.healthy() })
        let hash = try await blocking { try client.fetchPackage(id: "a", to: out) }
        let original = f.packages.appendingPathComponent("a")
        let names = try FileManager.default.contentsOfDirectory(atPath: original.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == names)
        for name in names {
            #expect(
                FileManager.default.contents(atPath: out.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: original.appendingPathComponent(name).path), "\(name)")
        }
        #expect(hash == (try UserRole.load(original).manifestHash))
        // A client holding that version is told so (304) instead of downloading it again.
        let port = service.port
        let head = try await blocking { () throws -> String in
            let connection = try RawConnection(port: port)
            try connection.send(
                Array(
                    ("GET /v1/packages/a HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "If-None-Match: \"\(hash)\"\r\n\r\n").utf8))
            return connection.receiveHead()
        }
        #expect(head.hasPrefix("HTTP/1.1 304"), "\(head)")
        #expect(head.lowercased().contains("etag: \"\(hash)\""))
        // An unknown package is 404; a path outside --packages is never one.
        #expect(await refusal { try client.fetchPackage(id: "nope", to: out) }?.status == 404)
        #expect(await refusal { try client.fetchPackage(id: "..", to: out) } != nil)
        await service.stop()
    }

    /// Each chunk over HTTP gives the predictions of `owner decrypt`'s file exchange; the user's count and the key's
    /// both rise by exactly the request's ciphertexts; `RemoteExchange` (what `user infer --owner` runs) agrees too.
    @Test func decryptionOverHTTPEqualsTheFileExchange() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let (name, token) = try f.user()
        let client = try client(service, token)
        let response = f.scratch().appendingPathComponent("resp")
        try ChunkDirectory.prepare(response)
        let request = try f.freshRequest()
        let keyBefore = try f.keyCount("a")
        for (i, chunk) in try f.chunks(request).enumerated() {
            let target = ChunkDirectory.url(response, i)
            _ = try await blocking { try client.decrypt(chunk: chunk, response: target) }
        }
        let total = f.chunkCiphertexts.reduce(0, +)
        #expect(try f.keyCount("a") - keyBefore == total)
        #expect(try f.stored(name)?.decrypted == total)
        let logits = try UserRole.finish(
            package: f.packages.appendingPathComponent("a"), request: request, response: response
        ).logits
        #expect(ServiceFixture.predictions(logits) == f.filePredictions)

        let (pixels, count) = (f.pixels, f.count)
        let package = f.packages.appendingPathComponent("a")
        let remote = try await blocking {
            try RemoteExchange.infer(
                package: package, pixels: pixels, count: count, client: client,
                memoryBudget: ServiceFixture.memoryBudget)
        }
        #expect(ServiceFixture.predictions(remote.logits) == f.filePredictions)
        #expect(remote.decrypted == 2 * total && remote.chunks == f.chunkCiphertexts.count)
        await service.stop()
    }

    /// An unknown token is 401 and a revoked one 403, for packages and decryptions alike, at once after
    /// `revoke` (no restart); nothing is decrypted or counted for them.
    @Test func unknownAndRevokedTokensAreRefused() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let (name, token) = try f.user()
        let chunk = try f.chunks(try f.freshRequest())[0]
        let out = f.scratch()
        let stranger = try client(service, UserStore.freshToken())
        let keyBefore = try f.keyCount("a")
        let decryptRefusal = await refusal {
            try stranger.decrypt(chunk: chunk, response: out.appendingPathComponent("r"))
        }
        #expect(decryptRefusal?.status == 401)
        let fetchRefusal = await refusal { try stranger.fetchPackage(id: "a", to: out.appendingPathComponent("p")) }
        #expect(fetchRefusal?.status == 401)
        let user = try client(service, token)
        _ = try await blocking { try user.decrypt(chunk: chunk, response: out.appendingPathComponent("r0")) }
        try UserStore.revoke(keys: f.keys, name: name)
        let revoked = await refusal { try user.decrypt(chunk: chunk, response: out.appendingPathComponent("r1")) }
        #expect(revoked?.status == 403 && revoked?.message.contains("revoked") == true)
        #expect(!(revoked?.message.contains(token) ?? true))
        #expect(await refusal { try user.fetchPackage(id: "a", to: out.appendingPathComponent("p")) }?.status == 403)
        #expect(try f.keyCount("a") - keyBefore == f.chunkCiphertexts[0])
        #expect(try f.stored(name)?.decrypted == f.chunkCiphertexts[0])
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("r1").path))
        await service.stop()
    }

    /// A user whose budget covers one chunk gets one and then 403 for the next; another user's budget is
    /// untouched and still serves them.
    @Test func budgetsArePerUser() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let chunks = try f.chunks(try f.freshRequest()), otherChunk = try f.chunks(try f.freshRequest())[0]
        let chunk = chunks[0]
        let one = f.chunkCiphertexts[0]
        let (small, smallToken) = try f.user(budget: one)
        let (other, otherToken) = try f.user(budget: one)
        let out = f.scratch()
        let a = try client(service, smallToken), b = try client(service, otherToken)
        _ = try await blocking { try a.decrypt(chunk: chunk, response: out.appendingPathComponent("a0")) }
        let keyAfterFirst = try f.keyCount("a")
        let exhausted = await refusal { try a.decrypt(chunk: chunks[1], response: out.appendingPathComponent("a1")) }
        #expect(exhausted?.status == 403 && exhausted?.message.contains("budget") == true)
        #expect(try f.keyCount("a") == keyAfterFirst)
        #expect(try f.stored(small)?.decrypted == one)
        #expect(try f.stored(other)?.decrypted == 0)
        _ = try await blocking { try b.decrypt(chunk: otherChunk, response: out.appendingPathComponent("b0")) }
        #expect(try f.stored(other)?.decrypted == one)
        #expect(try f.stored(small)?.decrypted == one)
        await service.stop()
    }

    /// Oversized (413, by Content-Length and by the bytes sent), empty, garbage and truncated requests (400) are
    /// refused before anything is decrypted or counted, and the spool is left empty.
    @Test func oversizedAndMalformedRequestsCountNothing() async throws {
        let f = try ServiceFixture.get()
        let spool = f.scratch().appendingPathComponent("spool")
        let chunk = try f.chunks(f.requestA)[0]
        let size = try #require(FileManager.default.attributesOfItem(atPath: chunk.path)[.size] as? NSNumber).intValue
        let small = try await f.start(maxRequestBytes: size - 1, spool: spool)
        let (name, token) = try f.user()
        let out = f.scratch()
        let keyBefore = try f.keyCount("a")
        let tooLarge = await refusal {
            try self.client(small, token).decrypt(chunk: chunk, response: out.appendingPathComponent("r"))
        }
        #expect(tooLarge?.status == 413)
        await small.stop()

        let service = try await f.start(spool: spool)
        let client = try client(service, token)
        let bytes = try Data(contentsOf: chunk)
        let garbage = out.appendingPathComponent("garbage"), truncated = out.appendingPathComponent("truncated")
        let empty = out.appendingPathComponent("empty"), flipped = out.appendingPathComponent("flipped")
        try Data(repeating: 0x41, count: 4096).write(to: garbage)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        try Data().write(to: empty)
        var tampered = bytes
        tampered[tampered.count - 5] ^= 1
        try tampered.write(to: flipped)
        for bad in [garbage, truncated, empty, flipped] {
            let refused = await refusal { try client.decrypt(chunk: bad, response: out.appendingPathComponent("r")) }
            #expect(refused?.status == 400, "\(bad.lastPathComponent): \(String(describing: refused))")
            #expect(!(refused?.message.contains(spool.path) ?? true), "the owner's paths stay private")
        }
        #expect(try f.keyCount("a") == keyBefore)
        #expect(try f.stored(name)?.decrypted == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty)
        await service.stop()
    }

    /// A user allowed only package `a` can neither download `b` nor have a request made for `b`'s key decrypted
    /// (403, nothing counted on either key); a request for a key no offered package holds is refused too.
    @Test func requestsForAnotherPackageAreRefused() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let (name, token) = try f.user(packages: ["a"])
        let client = try client(service, token)
        let out = f.scratch()
        let chunkB = try f.chunks(f.requestB)[0]
        let (keyA, keyB) = (try f.keyCount("a"), try f.keyCount("b"))
        let fetch = await refusal { try client.fetchPackage(id: "b", to: out.appendingPathComponent("p")) }
        #expect(fetch?.status == 403)
        let other = await refusal { try client.decrypt(chunk: chunkB, response: out.appendingPathComponent("r")) }
        #expect(other?.status == 403 && other?.message.contains("package b") == true)
        #expect(try f.keyCount("a") == keyA && f.keyCount("b") == keyB)
        #expect(try f.stored(name)?.decrypted == 0)
        await service.stop()

        // The same key store behind a packages directory without `b`: `b`'s requests name no offered package.
        let onlyA = f.scratch()
        try FileManager.default.createSymbolicLink(
            at: onlyA.appendingPathComponent("a"), withDestinationURL: f.packages.appendingPathComponent("a"))
        let narrow = try await OwnerService.start(
            OwnerServiceConfiguration(keys: f.keys, packages: onlyA, host: "127.0.0.1", port: 0))
        let (_, anyToken) = try f.user()
        let anyone = try self.client(narrow, anyToken)
        let unknown = await refusal { try anyone.decrypt(chunk: chunkB, response: out.appendingPathComponent("r2")) }
        #expect(unknown?.status == 403)
        #expect(try f.keyCount("b") == keyB)
        await narrow.stop()
    }
}

/// Faults: concurrent requests of one user, and a client that goes away mid-upload (in the serialized suite: they
/// compare the shared keys' counts too).
extension OwnerServiceTests {
    /// Six concurrent requests (six different chunks of one size) of a user whose budget covers two: exactly two
    /// are decrypted, the others are 403, and both the user's count and the key's rise by exactly two chunks.
    @Test func concurrentRequestsStayWithinTheBudget() async throws {
        let f = try ServiceFixture.get()
        let service = try await f.start()
        let chunks = try (0..<6).map { _ in try f.chunks(try f.freshRequest())[0] }
        let one = f.chunkCiphertexts[0]
        #expect(one > 0)
        let (name, token) = try f.user(budget: 2 * one)
        let client = OwnerClient(owner: try #require(URL(string: "http://127.0.0.1:\(service.port)")), token: token)
        let out = f.scratch()
        let keyBefore = try f.keyCount("a")
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<6 {
                group.addTask {
                    let refused = await refusal {
                        try client.decrypt(chunk: chunks[i], response: out.appendingPathComponent("r\(i)"))
                    }
                    return refused?.status ?? 200
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.sorted() == [200, 200, 403, 403, 403, 403])
        #expect(try f.stored(name)?.decrypted == 2 * one)
        #expect(try f.keyCount("a") - keyBefore == 2 * one)
        await service.stop()
    }

    /// A client that sends half a chunk and closes the connection: the partial upload reaches the spool, then is
    /// removed; nothing is decrypted or counted, and the service goes on serving.
    @Test func clientDisconnectMidUploadCountsNothing() async throws {
        let f = try ServiceFixture.get()
        let spool = f.scratch().appendingPathComponent("spool")
        let service = try await f.start(spool: spool)
        let (name, token) = try f.user()
        let bytes = [UInt8](try Data(contentsOf: try f.chunks(f.requestA)[0]))
        let keyBefore = try f.keyCount("a")
        let port = service.port
        let socket = try await blocking { try RawConnection(port: port) }
        try socket.send(
            Array(
                ("POST /v1/decrypt HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: \(bytes.count)\r\n\r\n").utf8))
        try socket.send(Array(bytes[0..<(bytes.count / 2)]))
        // The upload is under way: its spool file holds (part of) what was sent.
        var spooled = 0
        for _ in 0..<100 where spooled == 0 {
            try await Task.sleep(nanoseconds: 20_000_000)
            spooled = ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).count
        }
        #expect(spooled == 1)
        socket.close()
        var left = 1
        for _ in 0..<100 where left > 0 {
            try await Task.sleep(nanoseconds: 20_000_000)
            left = ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).count
        }
        #expect(left == 0)
        #expect(try f.keyCount("a") == keyBefore)
        #expect(try f.stored(name)?.decrypted == 0)
        let client = OwnerClient(owner: try #require(URL(string: "http://127.0.0.1:\(port)")), token: token)
        #expect(try await blocking { client.healthy() })
        await service.stop()
    }
}
