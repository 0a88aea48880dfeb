import Foundation
import OwnerService
import Testing

@testable import PrivateInference

/// Chunks sent again over HTTP (a client retrying after a lost answer) and a key at its flooding bound t.
extension OwnerServiceTests {
    /// A chunk sent again by its user, one after the other, concurrently and after a restart, gets the same
    /// response bytes, marked as a replay, and is counted once (the user's budget covers exactly one chunk); the
    /// same chunk from another user is 409 and counts nothing.
    @Test func aResentChunkIsAnsweredAgainAndCountedOnce() async throws {
        let f = try ServiceFixture.get()
        let chunk = try f.chunks(try f.freshRequest())[0]
        let one = f.chunkCiphertexts[0]
        let (name, token) = try f.user(budget: one)
        let (otherName, otherToken) = try f.user()
        let out = f.scratch()
        let keyBefore = try f.keyCount("a")
        let service = try await f.start()
        let user = try client(service, token)
        let first = try await blocking { try user.decrypt(chunk: chunk, response: out.appendingPathComponent("r0")) }
        #expect(first.decrypted == one && !first.replayed)
        let original = try Data(contentsOf: out.appendingPathComponent("r0"))
        let again = try await blocking { try user.decrypt(chunk: chunk, response: out.appendingPathComponent("r1")) }
        #expect(again.replayed && again.decrypted == one)
        #expect(try Data(contentsOf: out.appendingPathComponent("r1")) == original)
        let concurrent = await withTaskGroup(of: Bool.self) { group in
            for i in 2..<5 {
                group.addTask {
                    let target = out.appendingPathComponent("r\(i)")
                    guard let answer = try? await blocking({ try user.decrypt(chunk: chunk, response: target) })
                    else { return false }
                    return answer.replayed && (try? Data(contentsOf: target)) == original
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(concurrent == [true, true, true])
        let stranger = try client(service, otherToken)
        let other = await refusal { try stranger.decrypt(chunk: chunk, response: out.appendingPathComponent("o")) }
        #expect(other?.status == 409 && other?.code == "already_decrypted", "\(String(describing: other))")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("o").path))
        // The record is on disk: a restarted service answers the copy the same way.
        await service.stop()
        let restarted = try await f.start()
        let userAgain = try client(restarted, token)
        let afterRestart = try await blocking {
            try userAgain.decrypt(chunk: chunk, response: out.appendingPathComponent("r5"))
        }
        #expect(afterRestart.replayed)
        #expect(try Data(contentsOf: out.appendingPathComponent("r5")) == original)
        #expect(try f.stored(name)?.decrypted == one)
        #expect(try f.stored(otherName)?.decrypted == 0)
        #expect(try f.keyCount("a") - keyBefore == one)
        await restarted.stop()
    }

    /// A service killed after counting a chunk but before answering left its claim counted: the chunk sent again is
    /// decrypted without being counted again.
    ///
    /// One killed before counting left an uncounted claim: the chunk is counted once when sent again. (The kill is
    /// simulated by the record it leaves.)
    @Test func aChunkWhoseAttemptDiedIsCountedExactlyOnce() async throws {
        let f = try ServiceFixture.get()
        let chunks = try f.chunks(try f.freshRequest())
        try #require(chunks.count >= 2)
        let (name, token) = try f.user()
        let keyDirectory = try f.keyDirectory("a")
        let keyBefore = try f.keyCount("a")
        /// Claims chunk `i` as the service does when it starts on it.
        func claim(_ i: Int) throws -> ServedChunks.Slot {
            let file = try ExchangeFile.read(chunks[i], kind: .request)
            guard
                case .claimed(let slot) = try ServedChunks.arrive(
                    keyDirectory: keyDirectory, identity: try ChunkDirectory.Identity(file, path: chunks[i].path),
                    chunkHash: file.header.payloadHash, ciphertexts: f.chunkCiphertexts[i], user: name)
            else { throw OwnerServiceError(status: -1, code: "test", message: "a fresh chunk was not claimed") }
            return slot
        }
        // Chunk 0: killed after both counts were raised.
        let counted = try claim(0)
        _ = try UserStore.reserve(keys: f.keys, token: token, package: "a", count: f.chunkCiphertexts[0])
        try f.raiseKeyCount("a", by: f.chunkCiphertexts[0])
        try counted.markCounted()
        counted.release()
        // Chunk 1: killed after its claim, before counting.
        try claim(1).release()

        let service = try await f.start()
        let user = try client(service, token)
        let out = f.scratch()
        let answers = try await blocking {
            try (0..<2).map { try user.decrypt(chunk: chunks[$0], response: out.appendingPathComponent("r\($0)")) }
        }
        #expect(answers.allSatisfy { !$0.replayed })
        let both = f.chunkCiphertexts[0] + f.chunkCiphertexts[1]
        #expect(try f.stored(name)?.decrypted == both)
        #expect(try f.keyCount("a") - keyBefore == both)
        await service.stop()
    }

    /// The client sends a chunk again after answers that say "try again": `409 in_progress` while an earlier attempt's
    /// claim on the chunk is held (here by the test, as a running decryption holds it), and no answer while the service
    /// is down and comes back on the same port.
    ///
    /// With retrying off the same moments are refusals; with the default the chunk is decrypted and counted once.
    @Test func theClientRetriesWhileAChunkIsInProgressOrTheServiceRestarts() async throws {
        let f = try ServiceFixture.get()
        let chunks = try f.chunks(try f.freshRequest())
        try #require(chunks.count >= 2)
        let (name, token) = try f.user()
        let out = f.scratch()
        let file = try ExchangeFile.read(chunks[0], kind: .request)
        guard
            case .claimed(let slot) = try ServedChunks.arrive(
                keyDirectory: try f.keyDirectory("a"),
                identity: try ChunkDirectory.Identity(file, path: chunks[0].path), chunkHash: file.header.payloadHash,
                ciphertexts: f.chunkCiphertexts[0], user: name)
        else { throw OwnerServiceError(status: -1, code: "test", message: "a fresh chunk was not claimed") }
        let service = try await f.start()
        var noRetries = try client(service, token)
        noRetries.retries = 0
        let impatient = noRetries
        let refused = await refusal {
            try impatient.decrypt(chunk: chunks[0], response: out.appendingPathComponent("x"))
        }
        #expect(refused?.status == 409 && refused?.code == "in_progress", "\(String(describing: refused))")
        #expect(refused?.isTransient == true)
        let patient = try client(service, token)
        async let first = blocking { try patient.decrypt(chunk: chunks[0], response: out.appendingPathComponent("r0")) }
        try await Task.sleep(for: .milliseconds(600))
        slot.release()  // the held attempt dies uncounted: the waiting copy takes the chunk over
        let answer = try await first
        #expect(!answer.replayed && answer.decrypted == f.chunkCiphertexts[0])

        // Down: no answer. Then the service comes back on the same port while the patient client waits.
        let port = service.port
        await service.stop()
        let down = await refusal { try impatient.decrypt(chunk: chunks[1], response: out.appendingPathComponent("y")) }
        #expect(down?.status == 0 && down?.code == "unreachable" && down?.isTransient == true)
        async let second = blocking {
            try patient.decrypt(chunk: chunks[1], response: out.appendingPathComponent("r1"))
        }
        try await Task.sleep(for: .milliseconds(700))
        let restarted = try await OwnerService.start(
            OwnerServiceConfiguration(
                keys: f.keys, packages: f.packages, host: "127.0.0.1", port: port, spool: nil,
                maxRequestBytes: OwnerServiceConfiguration.defaultMaxRequestBytes, concurrentDecryptions: 1,
                keepResponses: OwnerServiceConfiguration.defaultKeepResponses))
        let answer2 = try await second
        #expect(!answer2.replayed && answer2.decrypted == f.chunkCiphertexts[0] + f.chunkCiphertexts[1])
        #expect(try f.stored(name)?.decrypted == f.chunkCiphertexts[0] + f.chunkCiphertexts[1])
        await restarted.stop()
    }

    /// A key whose count reaches its flooding bound t exactly serves that last chunk and refuses the next with 403
    /// naming t; the refused chunk counts nothing for the user or the key.
    @Test func aKeyAtItsBoundTIsRefused() async throws {
        let f = try ServiceFixture.get()
        let chunks = try f.chunks(try f.freshRequest())
        try #require(chunks.count >= 2)
        let one = f.chunkCiphertexts[0]
        let countFile = DecryptionBudget.url(try f.keyDirectory("a"))
        let saved = try Data(contentsOf: countFile)
        // The shared key's real count comes back whatever happens here.
        defer { try? saved.write(to: countFile) }
        let manifest = try UserRole.load(f.packages.appendingPathComponent("a")).manifest
        let t = manifest.flooding.maxDecryptions
        try AtomicWrite.write(
            Array(try JSONEncoder().encode(DecryptionBudget(keyID: manifest.keyID, decrypted: t - one))), to: countFile)
        let service = try await f.start()
        let (name, token) = try f.user()
        let user = try client(service, token)
        let out = f.scratch()
        _ = try await blocking { try user.decrypt(chunk: chunks[0], response: out.appendingPathComponent("r0")) }
        #expect(try f.keyCount("a") == t)
        let refused = await refusal { try user.decrypt(chunk: chunks[1], response: out.appendingPathComponent("r1")) }
        #expect(
            refused?.status == 403 && refused?.message.contains("t = \(t)") == true, "\(String(describing: refused))")
        #expect(try f.keyCount("a") == t)
        #expect(try f.stored(name)?.decrypted == one)
        await service.stop()
    }
}
