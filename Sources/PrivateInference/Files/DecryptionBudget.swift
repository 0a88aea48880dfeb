import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The owner's count of decrypted ciphertexts under one key (`decryptions.json` in the key store).
struct DecryptionBudget: Codable {
    /// The key id the count belongs to.
    var keyID: String
    /// Ciphertexts decrypted so far.
    var decrypted: Int

    static func url(_ dir: URL) -> URL { dir.appendingPathComponent("decryptions.json") }

    /// Records `count` more decryptions (0: only reads the count), or throws if that would exceed
    /// `flooding.maxDecryptions`.
    ///
    /// The count is written before any flooded value leaves the owner, so a crash can only over-count.
    /// - Returns: the new total.
    static func reserve(_ count: Int, dir: URL, keyID: String, flooding: FloodingParameters) throws -> Int {
        // Concurrent `owner decrypt` runs on one key store read, check and write the count one at a time.
        let lock = try FileLock(dir.appendingPathComponent("decryptions.lock"))
        defer { lock.unlock() }
        let url = url(dir)
        // The count is created with the key (``start(dir:keyID:)``): a missing count is not a fresh budget.
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InferenceError.badFile(
                path: url.path, reason: "the key's decryption count is missing; refusing to decrypt without it")
        }
        guard let budget = try? JSONDecoder().decode(DecryptionBudget.self, from: data), budget.keyID == keyID else {
            throw InferenceError.badFile(path: url.path, reason: "unreadable or for another key")
        }
        guard budget.decrypted >= 0, budget.decrypted <= flooding.maxDecryptions else {
            throw InferenceError.badFile(
                path: url.path, reason: "decrypted count \(budget.decrypted) is outside 0...\(flooding.maxDecryptions)")
        }
        guard count >= 0 else { throw InferenceError.invalidArgument("a request cannot decrypt \(count) ciphertexts") }
        let limit = flooding.maxDecryptions
        guard count <= limit - budget.decrypted else {
            throw InferenceError.invalidArgument(
                "\(url.path): this key has decrypted \(budget.decrypted) of its t = \(limit) ciphertexts and the "
                    + "request needs \(count) more; flooding's s = \(flooding.statisticalBits) bits hold only up to t, "
                    + "so make a new key store and package (owner package --keys NEW_DIR)")
        }
        guard count > 0 else { return budget.decrypted }  // a query: nothing to record
        var raised = budget
        raised.decrypted += count
        try AtomicWrite.write(Array(try JSONEncoder().encode(raised)), to: url)
        return raised.decrypted
    }

    /// Writes a new key's count (zero), before the key store's record marks the key as present.
    static func start(dir: URL, keyID: String) throws {
        try AtomicWrite.write(
            Array(try JSONEncoder().encode(DecryptionBudget(keyID: keyID, decrypted: 0))), to: url(dir))
    }
}

/// An exclusive advisory lock (`flock`) on a file, held from creation until ``unlock()``; it orders processes
/// and threads alike, each holding its own open file description.
final class FileLock {
    private var descriptor: Int32

    /// Opens (creating if needed) `url` and waits for the exclusive lock.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` if the file cannot be opened or locked.
    init(_ url: URL) throws {
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw InferenceError.badFile(path: url.path, reason: "cannot open the lock file") }
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX) } while result != 0 && errno == EINTR
        guard result == 0 else {
            close(descriptor)
            descriptor = -1
            throw InferenceError.badFile(path: url.path, reason: "cannot lock the decryption count")
        }
    }

    /// Releases the lock (closing the file releases it too).
    func unlock() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
