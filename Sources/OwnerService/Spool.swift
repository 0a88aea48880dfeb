import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// Where request chunks wait on disk while they arrive and are decrypted: the service never holds a request body
/// in memory, and a client that goes away mid-upload leaves only a file that is removed. (Responses go to the key
/// store's record of decrypted chunks, ``ServedChunks``.)
final class Spool: Sendable {
    /// The directory (mode 0700: chunks are the users' data).
    let directory: URL
    /// Whether the service made it (and removes it when it stops).
    private let owned: Bool

    /// Uses `directory`, or makes a fresh private one in the system's temporary directory.
    /// - Throws: ``OwnerServiceStartError`` when it cannot be made.
    init(_ directory: URL?) throws {
        let temporary = FileManager.default.temporaryDirectory
        if directory == nil { Self.removeStale(in: temporary) }
        let dir = directory ?? temporary.appendingPathComponent("\(Self.prefix)\(getpid())-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(
                at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw OwnerServiceStartError(reason: "\(dir.path): cannot make the spool directory")
        }
        self.directory = dir
        owned = directory == nil
    }

    /// The default spools' name prefix; the process id follows it.
    static let prefix = "privdnn-owner-spool-"

    /// Removes the default spools of services that were killed (their process no longer runs), with whatever
    /// partial chunks they held.
    static func removeStale(in temporary: URL) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0,
                kill(pid, 0) != 0 && errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
    }

    /// A fresh file name in the spool.
    func file(_ kind: String) -> URL { directory.appendingPathComponent("\(kind)-\(UUID().uuidString)") }

    /// Removes the spool if the service made it.
    func remove() {
        if owned { try? FileManager.default.removeItem(at: directory) }
    }
}

/// A file being written from a request body, piece by piece.
struct SpoolWriter: ~Copyable {
    private let descriptor: Int32
    /// Bytes written so far.
    private(set) var count = 0

    /// Creates `url` (which must not exist), readable by the owner only.
    init?(_ url: URL) {
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 { return nil }
    }

    /// Appends `bytes`; false when the disk refuses them.
    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = systemWrite(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        count += bytes.count
        return true
    }

    deinit { close(descriptor) }
}
