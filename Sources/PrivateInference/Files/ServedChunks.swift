import CKKS
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The owner service's durable record of the request chunks it has decrypted under one key
/// (`<key dir>/served/<request id>/chunk-NNNNN.*`), so that a chunk sent again (a client that lost the answer and
/// retries, a proxy that replays) is never decrypted a second time: a fresh flooding of the same ciphertexts would
/// be a second sample of their noise, and counting it twice would charge the user twice for one answer.
///
/// Per chunk, files record how far it got, each written durably before the next step:
/// - `.claim`: who sent which chunk (user, payload hash, ciphertexts); locked (`flock`) while a request works on
///   it, so a process that died leaves an unlocked claim that the next copy of the chunk takes over;
/// - `.counted`: the user's and the key's counts were raised for it;
/// - `.response`: the response chunk, complete (renamed into place); it is what the service sends, so no flooded
///   value leaves the owner before it is on disk;
/// - `.expired`: the response was removed after the keep time; the chunk is refused from then on.
///
/// The claims stay for the key's life: each stands for at least one of the key's t decryptions, so there are at
/// most t of them. Responses are kept for a while only (`prune(keyDirectory:keep:now:)`).
public enum ServedChunks {
    /// What a copy of a chunk gets.
    enum Arrival {
        /// The chunk is new (or its earlier attempt died before its response was written): decrypt it into
        /// `slot.response`; `slot.counted` says whether the counts were already raised for it.
        case claimed(Slot)
        /// It was decrypted already, for this user: the stored response, open for reading.
        case replay(FileHandle)
    }

    /// A claimed chunk: its claim stays locked until ``release()``.
    final class Slot {
        /// Where the response is written (atomically).
        let response: URL
        /// Whether both counts were already raised for this chunk (an earlier attempt died after counting).
        private(set) var counted: Bool
        private let claim: URL
        private let countedMarker: URL
        private var lock: Int32

        fileprivate init(base: URL, lock: Int32, counted: Bool) {
            claim = base.appendingPathExtension("claim")
            countedMarker = base.appendingPathExtension("counted")
            response = base.appendingPathExtension("response")
            self.lock = lock
            self.counted = counted
        }

        /// Records, durably, that the counts were raised for the chunk: an attempt that takes it over after a
        /// crash decrypts it without counting it again.
        func markCounted() throws {
            try AtomicWrite.write([], to: countedMarker, mode: 0o600)
            counted = true
        }

        /// Gives the chunk up when it failed before anything was counted: the claim goes, so that the chunk is as if it
        /// never arrived (a later copy is judged afresh).
        ///
        /// Once counted, the claim stays.
        func abandon() {
            if !counted { try? FileManager.default.removeItem(at: claim) }
            release()
        }

        /// Unlocks the claim.
        func release() {
            guard lock >= 0 else { return }
            close(lock)
            lock = -1
        }

        deinit { release() }
    }

    /// Why a copy of a chunk was refused; the service answers 409 with the description.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// Another request is decrypting the same chunk right now.
        case inProgress(chunk: Int)
        /// The chunk was decrypted before, but for another user or with other content under the same request id
        /// and index, or its response is no longer kept.
        case alreadyDecrypted(chunk: Int, reason: String)

        /// One line naming the chunk (never the user or the request id).
        public var description: String {
            switch self {
            case .inProgress(let chunk):
                "chunk \(chunk) of this request is being decrypted by another request now; retry when it is done"
            case .alreadyDecrypted(let chunk, let reason):
                "chunk \(chunk) of this request was decrypted already (\(reason)); make a new request"
            }
        }
    }

    /// The one record of a claim.
    private struct Claim: Codable, Equatable {
        var user: String
        var chunkHash: String
        var ciphertexts: Int
    }

    /// The ledger's directory in a key's directory.
    static func directory(_ keyDirectory: URL) -> URL { keyDirectory.appendingPathComponent("served") }

    /// Records the arrival of chunk `identity` (payload hash `chunkHash`, `ciphertexts` ciphertexts) from `user`
    /// under the key in `keyDirectory`.
    /// - Returns: the claimed slot, or the stored response to send again.
    /// - Throws: ``Refusal`` (409) for a chunk being decrypted now, decrypted for another user or content, or
    ///   whose response expired; ``InferenceError/badFile(path:reason:)`` when the ledger cannot be written.
    static func arrive(
        keyDirectory: URL, identity: ChunkDirectory.Identity, chunkHash: String, ciphertexts: Int, user: String
    ) throws -> Arrival {
        let ledger = directory(keyDirectory)
        // The request id is 32 hex digits and the index an integer (checked by Identity): one path component each.
        let requestDir = ledger.appendingPathComponent(identity.requestID)
        do { try FileManager.default.createDirectory(at: requestDir, withIntermediateDirectories: true) } catch {
            throw InferenceError.badFile(path: requestDir.path, reason: "cannot create the served-chunk record")
        }
        let base = requestDir.appendingPathComponent(ChunkDirectory.name(identity.index))
        let claimURL = base.appendingPathExtension("claim")
        let mine = Claim(user: user, chunkHash: chunkHash, ciphertexts: ciphertexts)
        // Claims are made, checked and locked under the ledger's lock, so that two copies of a chunk never both see
        // it unclaimed, and a claim is never seen half written.
        let ledgerLock = try FileLock(keyDirectory.appendingPathComponent("served.lock"))
        defer { ledgerLock.unlock() }
        guard FileManager.default.fileExists(atPath: claimURL.path) else {
            try AtomicWrite.write([Array(try JSONEncoder().encode(mine))], to: claimURL, mode: 0o600)
            guard let lock = tryLock(claimURL) else {
                throw InferenceError.badFile(path: claimURL.path, reason: "cannot lock the new claim")
            }
            return .claimed(Slot(base: base, lock: lock, counted: false))
        }
        guard let data = FileManager.default.contents(atPath: claimURL.path),
            let stored = try? JSONDecoder().decode(Claim.self, from: data)
        else { throw InferenceError.badFile(path: claimURL.path, reason: "unreadable served-chunk claim") }
        guard stored == mine else {
            throw Refusal.alreadyDecrypted(
                chunk: identity.index,
                reason: stored.user == user ? "with other content under the same request id" : "for another user")
        }
        guard let lock = tryLock(claimURL) else { throw Refusal.inProgress(chunk: identity.index) }
        let response = base.appendingPathExtension("response")
        if let handle = FileHandle(forReadingAtPath: response.path) {
            close(lock)
            return .replay(handle)
        }
        guard !FileManager.default.fileExists(atPath: base.appendingPathExtension("expired").path) else {
            close(lock)
            throw Refusal.alreadyDecrypted(chunk: identity.index, reason: "its response is no longer kept")
        }
        // An unlocked claim without a response: the attempt that made it died before answering, so no flooded
        // value of it left the owner; this copy takes it over.
        let counted = FileManager.default.fileExists(atPath: base.appendingPathExtension("counted").path)
        return .claimed(Slot(base: base, lock: lock, counted: counted))
    }

    /// Removes the responses older than `keep` seconds under the key in `keyDirectory`, marking their chunks
    /// expired (refused from then on); at most once a minute per key, since it lists every request.
    static func prune(keyDirectory: URL, keep: TimeInterval, now: Date = Date()) {
        let ledger = directory(keyDirectory)
        let stamp = ledger.appendingPathComponent(".pruned")
        if let last = (try? FileManager.default.attributesOfItem(atPath: stamp.path))?[.modificationDate] as? Date,
            now.timeIntervalSince(last) < min(60, keep)
        {
            return
        }
        guard let ledgerLock = try? FileLock(keyDirectory.appendingPathComponent("served.lock")) else { return }
        defer { ledgerLock.unlock() }
        _ = FileManager.default.createFile(atPath: stamp.path, contents: nil)
        let fm = FileManager.default
        for request in (try? fm.contentsOfDirectory(atPath: ledger.path)) ?? [] where !request.hasPrefix(".") {
            let dir = ledger.appendingPathComponent(request)
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".response") {
                let response = dir.appendingPathComponent(name)
                guard let written = (try? fm.attributesOfItem(atPath: response.path))?[.modificationDate] as? Date,
                    now.timeIntervalSince(written) >= keep
                else { continue }
                let base = response.deletingPathExtension()
                // A claim locked by a request in flight is left alone (it may be sending this response).
                guard let lock = tryLock(base.appendingPathExtension("claim")) else { continue }
                defer { close(lock) }
                // Marked first: a crash in between leaves an expired chunk with its response, never a chunk that
                // looks as if it died before answering (which would be decrypted again).
                guard (try? AtomicWrite.write([], to: base.appendingPathExtension("expired"), mode: 0o600)) != nil
                else { continue }
                try? fm.removeItem(at: response)
            }
        }
    }

    /// Opens `url` and takes its exclusive lock without waiting; nil when another holds it (or it cannot be opened).
    private static func tryLock(_ url: URL) -> Int32? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }
}
