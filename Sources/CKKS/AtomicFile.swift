import Foundation

#if canImport(Glibc)
    import Glibc
    private let posixWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let posixWrite = Darwin.write
#endif

/// Durable, atomic whole-file writes, the one writer every target uses for its output files.
///
/// The bytes go to a temporary sibling (`.<name>.tmp-<pid>-<random>`, so a directory listing skips it), which is
/// flushed to disk (`fsync`) before it is renamed over the target; then the directory is flushed, so the new
/// name survives a power loss. A reader therefore sees either the old file (or none) or the complete new one,
/// never a part, even if the process is killed at any point; a kill leaves at most a hidden temporary file,
/// which the next write of the same target removes.
package enum AtomicFile {
    /// Writes the concatenation of `pieces` to `path`, straight from their buffers (no joined copy).
    /// - Parameters:
    ///   - pieces: the file's bytes, in order.
    ///   - path: the file to create or replace.
    ///   - mode: the new file's permission bits (before the umask).
    ///   - durable: `false` skips the two flushes, for scratch files removed within the same run: the write stays
    ///     atomic (a reader never sees a part) but may not survive a power loss.
    /// - Throws: ``CKKSError/fileError(path:reason:)`` with a one-line reason: "is a directory", or
    ///   "cannot write: <system reason>".
    package static func write(_ pieces: [[UInt8]], to path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        var status = stat()
        if stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw CKKSError.fileError(path: path, reason: "is a directory")
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        removeStaleTemporaries(of: url)
        let temporary = temporaryPath(for: url)
        func fail(_ reason: String) -> CKKSError {
            unlink(temporary)
            return CKKSError.fileError(path: path, reason: "cannot write: \(reason)")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        var failure: String?
        for piece in pieces where failure == nil {
            piece.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count, let base = raw.baseAddress {
                    let written = posixWrite(fd, base + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        failure = String(cString: strerror(errno))
                        return
                    }
                    offset += written
                }
            }
        }
        if durable && failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if let failure { throw fail(failure) }
        guard rename(temporary, path) == 0 else { throw fail(String(cString: strerror(errno))) }
        if durable { syncDirectory(folder) }
    }

    /// Flushes a directory's entries (a rename into it) to disk; best effort, as some file systems refuse it.
    /// - Parameter path: the directory.
    package static func syncDirectory(_ path: String) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// A fresh temporary sibling of `url`: `.<name>.tmp-<pid>-<random>`.
    /// - Parameter url: the file or directory being written.
    /// - Returns: the temporary's path.
    package static func temporaryPath(for url: URL) -> String {
        url.deletingLastPathComponent().appendingPathComponent(
            "\(temporaryPrefix(of: url))\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
    }

    /// Removes the temporaries that killed writers of `url` left (those whose process no longer runs).
    /// - Parameter url: the file or directory being written.
    package static func removeStaleTemporaries(of url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = temporaryPrefix(of: url)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0,
                kill(pid, 0) != 0 && errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    private static func temporaryPrefix(of url: URL) -> String { ".\(url.lastPathComponent).tmp-" }
}
