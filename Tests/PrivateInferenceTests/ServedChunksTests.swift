import Foundation
import Testing

@testable import PrivateInference

/// The service's record of decrypted chunks (``ServedChunks``): a copy of a chunk is answered from the record or
/// refused, never decrypted or counted again; a claim left by a process that died is taken over, counted or not as
/// it was. (The same over HTTP, with real decryptions: OwnerServiceTests.)
@Suite struct ServedChunksTests {
    let identity = ChunkDirectory.Identity(index: 3, count: 5, requestID: String(repeating: "ab", count: 16))

    func arrive(_ key: URL, hash: String = "h1", user: String = "alice") throws -> ServedChunks.Arrival {
        try ServedChunks.arrive(keyDirectory: key, identity: identity, chunkHash: hash, ciphertexts: 7, user: user)
    }

    func slot(_ arrival: ServedChunks.Arrival) -> ServedChunks.Slot? {
        if case .claimed(let slot) = arrival { return slot }
        return nil
    }

    @Test func aCopyIsReplayedOrRefusedNeverClaimedTwice() throws {
        let key = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: key) }
        let first = try #require(slot(try arrive(key)))
        #expect(!first.counted)
        // While the first copy is being decrypted, a second is told to retry.
        #expect(throws: ServedChunks.Refusal.inProgress(chunk: 3)) { try arrive(key) }
        try first.markCounted()
        try AtomicWrite.write([1, 2, 3], to: first.response)
        first.release()
        // Done: the same chunk from the same user gets the stored response.
        guard case .replay(let handle) = try arrive(key) else {
            Issue.record("a copy of a decrypted chunk was not replayed")
            return
        }
        #expect(try handle.readToEnd() == Data([1, 2, 3]))
        try handle.close()
        // Another user, or other content under the same request id and index, is refused.
        #expect(throws: ServedChunks.Refusal.self) { try arrive(key, user: "bob") }
        #expect(throws: ServedChunks.Refusal.self) { try arrive(key, hash: "h2") }
    }

    @Test func aDeadAttemptIsTakenOverCountedOrNotAsItWas() throws {
        let key = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: key) }
        // Died before counting (released without abandoning, as a killed process releases its lock).
        try #require(slot(try arrive(key))).release()
        let again = try #require(slot(try arrive(key)))
        #expect(!again.counted)
        // Died after counting: the next copy must not count it again.
        try again.markCounted()
        again.release()
        let third = try #require(slot(try arrive(key)))
        #expect(third.counted)
        // Abandoning a counted chunk keeps its claim: a copy is still not counted again.
        third.abandon()
        #expect(try #require(slot(try arrive(key))).counted)
    }

    @Test func aFailureBeforeCountingLeavesNoClaim() throws {
        let key = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: key) }
        try #require(slot(try arrive(key))).abandon()
        // As if it never arrived: another user may send that request id and index afresh.
        #expect(slot(try arrive(key, user: "bob")) != nil)
    }

    @Test func expiredResponsesAreRefused() throws {
        let key = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: key) }
        let first = try #require(slot(try arrive(key)))
        try first.markCounted()
        try AtomicWrite.write([9], to: first.response)
        first.release()
        // Younger than the keep time: kept.
        ServedChunks.prune(keyDirectory: key, keep: 3600)
        guard case .replay = try arrive(key) else {
            Issue.record("a response within the keep time was removed")
            return
        }
        // An hour later (the once-a-minute throttle is past too): removed, and the chunk refused, not decrypted.
        ServedChunks.prune(keyDirectory: key, keep: 3600, now: Date().addingTimeInterval(3700))
        #expect(!FileManager.default.fileExists(atPath: first.response.path))
        #expect(throws: ServedChunks.Refusal.alreadyDecrypted(chunk: 3, reason: "its response is no longer kept")) {
            try arrive(key)
        }
    }
}
