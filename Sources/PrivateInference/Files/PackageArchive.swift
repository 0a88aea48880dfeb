import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A model package as one stream: a POSIX ustar archive of its files, `manifest.json` first, so that the owner's
/// service can send it with a known length while reading one block of a file at a time, and `tar x` can unpack it too.
///
/// Packages are flat directories of regular files; nothing else is archived or unpacked.
public enum PackageArchive {
    /// One file of a package.
    public struct Entry: Sendable, Equatable {
        /// Its name in the package (one path component).
        public var name: String
        /// Its size in bytes when listed.
        public var size: Int
        /// Where it is.
        public var url: URL
    }

    /// The size of a tar block.
    public static let block = 512
    /// The bytes the service and the client move at a time.
    public static let readSize = 1 << 20
    /// The largest file a package may hold: ustar's 11 octal digits (8 GiB − 1); a package's largest file is a
    /// conv2 part of a few hundred MB.
    public static let maxFileBytes = (1 << 33) - 1
    /// The most files a package may hold.
    public static let maxFiles = 1 << 16

    /// The files of package directory `dir`, `manifest.json` first, then by name.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a directory without a manifest, or holding
    ///   something that is not a plain file with a safe name.
    public static func entries(_ dir: URL) throws -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            throw InferenceError.badFile(path: dir.path, reason: "no package here")
        }
        var entries: [Entry] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = dir.appendingPathComponent(name)
            var status = stat()
            guard UserStore.safeName(name, maxBytes: 100), stat(url.path, &status) == 0,
                (status.st_mode & S_IFMT) == S_IFREG, Int(status.st_size) <= maxFileBytes
            else { throw InferenceError.badFile(path: url.path, reason: "is not a package file") }
            entries.append(Entry(name: name, size: Int(status.st_size), url: url))
        }
        guard let manifest = entries.firstIndex(where: { $0.name == PackageFiles.manifest }) else {
            throw InferenceError.badFile(
                path: dir.appendingPathComponent(PackageFiles.manifest).path, reason: "missing")
        }
        entries.insert(entries.remove(at: manifest), at: 0)
        return entries
    }

    /// The archive's length: each file's header and padded bytes, and the two-block trailer.
    public static func length(_ entries: [Entry]) -> Int {
        entries.reduce(2 * block) { $0 + block + padded($1.size) }
    }

    /// `size` rounded up to whole blocks.
    public static func padded(_ size: Int) -> Int { (size + block - 1) / block * block }

    /// The ustar header of a regular file.
    public static func header(name: String, size: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at offset: Int) {
            for (i, b) in text.utf8.enumerated() { h[offset + i] = b }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(String(name.prefix(100)), at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        put("        ", at: 148)  // the checksum counts its own field as spaces
        h[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        let sum = h.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        return h
    }

    /// Unpacks an archive read from `input` into a new package directory `out`, replacing it atomically (built
    /// beside it, renamed into place only when complete and with a manifest).
    /// - Parameters:
    ///   - source: where the archive comes from (a file path, or a description such as "standard input"), named
    ///     in errors.
    ///   - out: the package directory.
    ///   - input: reads up to `count` bytes into the buffer and returns how many (0 at the end).
    /// - Returns: the BLAKE2b-256 of the manifest (the package's content hash).
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a truncated or malformed archive (a bad checksum,
    ///   a name with a path in it, a file that is not regular, too large or repeated), naming `source`.
    public static func unpack(
        source: String, out: URL, input: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> String {
        func bad(_ reason: String) -> InferenceError { .badFile(path: source, reason: reason) }
        var buffer = [UInt8](repeating: 0, count: readSize)
        /// Reads exactly `count` bytes into the buffer's start.
        func fill(_ count: Int) throws {
            var got = 0
            while got < count {
                let n = try buffer.withUnsafeMutableBytes {
                    try input(UnsafeMutableRawBufferPointer(rebasing: $0[got..<count]))
                }
                guard n > 0 else { throw bad("the package archive ends early (truncated download)") }
                got += n
            }
        }
        let temporary = try AtomicWrite.temporaryDirectory(beside: out)
        var committed = false
        defer { if !committed { try? FileManager.default.removeItem(at: temporary) } }
        var names = Set<String>()
        var manifestHash: String?
        while true {
            try fill(block)
            let header = Array(buffer[0..<block])
            if header.allSatisfy({ $0 == 0 }) {
                try fill(block)  // the trailer's second block
                break
            }
            guard names.count < maxFiles else { throw bad("the package archive holds too many files") }
            func field(_ range: Range<Int>) -> String {
                String(decoding: header[range].prefix { $0 != 0 }, as: UTF8.self)
            }
            func octal(_ range: Range<Int>) -> Int? {
                let text = field(range).trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty, text.utf8.count <= 11 else { return nil }
                return Int(text, radix: 8)
            }
            var check = header
            for i in 148..<156 { check[i] = UInt8(ascii: " ") }
            guard octal(148..<156) == check.reduce(0, { $0 + Int($1) }) else {
                throw bad("a package archive header fails its checksum")
            }
            let name = field(0..<100)
            guard UserStore.safeName(name, maxBytes: 100), field(345..<500).isEmpty, !names.contains(name) else {
                throw bad("the package archive names a file that is not one new plain name")
            }
            guard header[156] == UInt8(ascii: "0") || header[156] == 0 else {
                throw bad("the package archive holds \(name), which is not a regular file")
            }
            guard let size = octal(124..<136), (0...maxFileBytes).contains(size) else {
                throw bad("the package archive's \(name) has no valid size")
            }
            names.insert(name)
            let url = temporary.appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: url.path, contents: nil),
                let handle = FileHandle(forWritingAtPath: url.path)
            else { throw InferenceError.badFile(path: url.path, reason: "cannot write") }
            defer { try? handle.close() }
            var hasher = ContentHasher()
            var left = padded(size), data = size
            while left > 0 {
                let step = min(left, readSize)
                try fill(step)
                let keep = min(step, data)
                if keep > 0 {
                    try buffer.withUnsafeBytes { raw in
                        let part = UnsafeRawBufferPointer(rebasing: raw[0..<keep])
                        if name == PackageFiles.manifest { hasher.update(part) }
                        do { try handle.write(contentsOf: part) } catch {
                            throw InferenceError.badFile(path: url.path, reason: "cannot write")
                        }
                    }
                }
                left -= step
                data -= keep
            }
            if name == PackageFiles.manifest { manifestHash = hasher.finalize() }
        }
        guard let manifestHash else { throw bad("the package archive has no manifest.json") }
        try AtomicWrite.commitDirectory(temporary, to: out)
        committed = true
        return manifestHash
    }
}
