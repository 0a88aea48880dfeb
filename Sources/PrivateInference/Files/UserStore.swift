import Foundation

/// The users of the owner's decryption service (`users.json` in the key store, beside `keys/`): a name, an API
/// token (stored as its BLAKE2b-256 hash only), a decryption budget, the count against it, and the packages the
/// user may decrypt for.
///
/// Every operation reads, changes and writes the file under an exclusive lock (`users.lock`, `FileLock`), so that
/// `owner user add` or `revoke` in one process and the service's requests in another see one order of events, and
/// a revocation takes effect on the service's next request without a restart. Writes are atomic and fsync'd
/// (`AtomicWrite`): a crash leaves the old or the new file, never a part.
public enum UserStore {
    /// One user as stored (no token: only its hash).
    public struct User: Codable, Sendable, Equatable {
        /// The user's name (``validName(_:)``).
        public var name: String
        /// Hex BLAKE2b-256 of the token.
        ///
        /// Tokens carry 256 bits from the system CSPRNG, so an unsalted fast hash is enough: nobody can search that
        /// space, and the stored hash is useless to an attacker who reads the file.
        public var tokenHash: String
        /// The most ciphertexts this user may have decrypted, on top of each package key's own bound t.
        public var budget: Int
        /// Ciphertexts decrypted for this user so far (counted before each response leaves the owner).
        public var decrypted: Int
        /// A revoked user's token is refused (403) from the next request on.
        public var revoked: Bool
        /// The package IDs (folder names under the service's `--packages`) this user may decrypt for; `nil`: all.
        public var packages: [String]?
    }

    /// The file's top level.
    struct Record: Codable {
        static let format = "privdnn-users"
        var format: String
        var version: Int
        var users: [User]
    }

    /// Why the store refused a token or a decryption (the service maps each to an HTTP status).
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// No user holds this token (401).
        case unknownToken
        /// The user was revoked (403).
        case revoked(name: String)
        /// The user may not decrypt for this package (403).
        case otherPackage(name: String, package: String)
        /// The user's budget does not cover the request (403).
        case budgetExhausted(name: String, decrypted: Int, budget: Int, requested: Int)

        /// One line naming the user, never the token.
        public var description: String {
            switch self {
            case .unknownToken: "unknown API token"
            case .revoked(let name): "user \(name) is revoked"
            case .otherPackage(let name, let package): "user \(name) may not decrypt for package \(package)"
            case .budgetExhausted(let name, let decrypted, let budget, let requested):
                "user \(name) has decrypted \(decrypted) of a budget of \(budget) ciphertexts; the request needs "
                    + "\(requested) more"
            }
        }
    }

    /// The default per-user budget: 2^16 ciphertexts, a sixteenth of a key's default t = 2^20, so that one user
    /// cannot use up a package's key alone.
    public static let defaultBudget = 1 << 16

    /// The store file in key store `keys`.
    public static func url(_ keys: URL) -> URL { keys.appendingPathComponent("users.json") }

    static func lockURL(_ keys: URL) -> URL { keys.appendingPathComponent("users.lock") }

    /// Whether `name` can name a user: 1–64 of `A–Z a–z 0–9 . _ -`, not starting with a dot (it is printed and
    /// logged, so nothing that could forge a log line).
    public static func validName(_ name: String) -> Bool { safeName(name, maxBytes: 64) }

    /// 1…`maxBytes` of `A–Z a–z 0–9 . _ -`, not starting with a dot: one path component, never `..`, nothing
    /// that could forge a log line.
    static func safeName(_ name: String, maxBytes: Int) -> Bool {
        (1...maxBytes).contains(name.utf8.count) && !name.hasPrefix(".")
            && name.utf8.allSatisfy { b in
                (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b == 46 || b == 95
                    || b == 45
            }
    }

    /// A fresh API token: `pdt_` and 64 hex digits (256 bits) from the system CSPRNG.
    public static func freshToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
        return "pdt_" + words.joined()
    }

    /// The stored form of a token.
    public static func hash(token: String) -> String { ContentHasher.hash(Array(token.utf8)) }

    /// Adds a user and returns the new token (shown once: only its hash is kept).
    /// - Parameters:
    ///   - keys: the owner's key store (created if missing).
    ///   - name: a new user's name.
    ///   - budget: ciphertexts the user may have decrypted (≥ 0).
    ///   - packages: the package IDs the user may decrypt for, or `nil` for all.
    /// - Throws: ``InferenceError/invalidArgument(_:)`` for a bad or taken name or a negative budget;
    ///   ``InferenceError/badFile(path:reason:)`` for an unreadable store.
    /// - Returns: the new user's API token.
    public static func add(keys: URL, name: String, budget: Int = defaultBudget, packages: [String]? = nil) throws
        -> String
    {
        guard validName(name) else {
            throw InferenceError.invalidArgument(
                "user name must be 1-64 of A-Z a-z 0-9 . _ - (not starting with a dot)")
        }
        guard budget >= 0 else {
            throw InferenceError.invalidArgument("a budget is a count of ciphertexts, at least 0")
        }
        if let bad = packages?.first(where: { !PackageID.isValid($0) }) {
            throw InferenceError.invalidArgument("\(bad) is not a package ID (a folder name under --packages)")
        }
        let token = freshToken()
        try update(keys, create: true) { record in
            guard !record.users.contains(where: { $0.name == name }) else {
                throw InferenceError.invalidArgument("user \(name) exists already (names are never reused)")
            }
            record.users.append(
                User(
                    name: name, tokenHash: hash(token: token), budget: budget, decrypted: 0, revoked: false,
                    packages: packages.map { Array(Set($0)).sorted() }))
        }
        return token
    }

    /// Revokes a user: their token is refused from now on (the entry stays, so the name is never reused).
    /// - Throws: ``InferenceError/invalidArgument(_:)`` for an unknown user.
    public static func revoke(keys: URL, name: String) throws {
        try update(keys, create: false) { record in
            guard let i = record.users.firstIndex(where: { $0.name == name }) else {
                throw InferenceError.invalidArgument("no user \(name) in \(url(keys).path)")
            }
            record.users[i].revoked = true
        }
    }

    /// The users, in the order they were added (none if the store has no users file yet).
    public static func list(keys: URL) throws -> [User] {
        guard FileManager.default.fileExists(atPath: url(keys).path) else { return [] }
        let lock = try FileLock(lockURL(keys))
        defer { lock.unlock() }
        return try read(keys)?.users ?? []
    }

    /// The user holding `token`, checked for revocation (not for a package or budget).
    /// - Throws: ``Refusal`` for an unknown token or a revoked user.
    public static func authenticate(keys: URL, token: String) throws -> User {
        guard FileManager.default.fileExists(atPath: url(keys).path) else { throw Refusal.unknownToken }
        let lock = try FileLock(lockURL(keys))
        defer { lock.unlock() }
        return try find(token: token, in: try read(keys))
    }

    /// Counts `count` ciphertexts against the user holding `token`, durably, if the user may decrypt them for
    /// `package`; called before anything is decrypted, so a crash can only over-count.
    ///
    /// Requests of one user are serialized by the lock: concurrent ones stay within the budget exactly.
    /// - Returns: the user after the count.
    /// - Throws: ``Refusal`` (nothing counted) for an unknown token, a revoked user, another package or a budget
    ///   that does not cover `count`.
    public static func reserve(keys: URL, token: String, package: String, count: Int) throws -> User {
        var result: User?
        try update(keys, create: false) { record in
            let user = try find(token: token, in: record)
            guard let i = record.users.firstIndex(where: { $0.name == user.name }) else { throw Refusal.unknownToken }
            if let allowed = user.packages, !allowed.contains(package) {
                throw Refusal.otherPackage(name: user.name, package: package)
            }
            guard count >= 0, count <= user.budget - user.decrypted else {
                throw Refusal.budgetExhausted(
                    name: user.name, decrypted: user.decrypted, budget: user.budget, requested: count)
            }
            record.users[i].decrypted += count
            result = record.users[i]
        }
        guard let result else { throw Refusal.unknownToken }
        return result
    }

    /// Gives back `count` ciphertexts reserved for the user holding `token` when nothing was decrypted after all (the
    /// package key's own bound refused the request after the user's count was raised).
    ///
    /// Best effort: on a failure the user stays over-counted, never under-counted.
    public static func refund(keys: URL, token: String, count: Int) {
        try? update(keys, create: false) { record in
            guard let i = record.users.firstIndex(where: { $0.tokenHash == hash(token: token) }) else { return }
            record.users[i].decrypted = max(0, record.users[i].decrypted - max(0, count))
        }
    }

    /// The user holding `token` in `record`.
    private static func find(token: String, in record: Record?) throws -> User {
        let hashed = hash(token: token)
        guard let user = record?.users.first(where: { $0.tokenHash == hashed }) else { throw Refusal.unknownToken }
        guard !user.revoked else { throw Refusal.revoked(name: user.name) }
        return user
    }

    /// Reads the store (nil when there is no users file).
    private static func read(_ keys: URL) throws -> Record? {
        let url = url(keys)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let record = try? JSONDecoder().decode(Record.self, from: data), record.format == Record.format,
            record.version == 1,
            // Names are logged and printed: one written by hand that could forge a line is refused with the rest.
            record.users.allSatisfy({
                $0.budget >= 0 && $0.decrypted >= 0 && $0.decrypted <= $0.budget && validName($0.name)
            })
        else { throw InferenceError.badFile(path: url.path, reason: "unreadable or out-of-range user store") }
        return record
    }

    /// Reads, changes and writes the store under its lock; nothing is written when `change` throws.
    private static func update(_ keys: URL, create: Bool, _ change: (inout Record) throws -> Void) throws {
        if create {
            do { try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true) } catch {
                throw InferenceError.badFile(path: keys.path, reason: "cannot create the key store")
            }
        }
        guard create || FileManager.default.fileExists(atPath: url(keys).path) else {
            throw InferenceError.badFile(path: url(keys).path, reason: "no user store here (owner user add makes one)")
        }
        let lock = try FileLock(lockURL(keys))
        defer { lock.unlock() }
        var record = try read(keys) ?? Record(format: Record.format, version: 1, users: [])
        try change(&record)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // 0600: the token hashes are not secrets, but the budgets and names are the owner's business.
        try AtomicWrite.write([Array(try encoder.encode(record))], to: url(keys), mode: 0o600)
    }
}

/// Package IDs: the folder names under the service's `--packages`, which requests and URLs name.
public enum PackageID {
    /// 1–128 of `A–Z a–z 0–9 . _ -`, not starting with a dot: a single path component, never `..`.
    public static func isValid(_ id: String) -> Bool { UserStore.safeName(id, maxBytes: 128) }
}
