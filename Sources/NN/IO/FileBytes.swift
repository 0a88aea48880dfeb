import CKKS
import Foundation

/// Whole-file reads that turn I/O failures into ``DataFileError``.
enum FileBytes {
    /// Reads `url` whole, throwing ``DataFileError`` (naming the file) if it is missing or unreadable.
    static func read(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw DataFileError(file: url.path, problem: exists ? "cannot be read" : "no such file")
        }
    }

    /// Reads `url` whole and gunzips it when it starts with the gzip magic bytes `1f 8b`.
    static func readMaybeGzipped(_ url: URL) throws -> [UInt8] {
        let bytes = try read(url)
        guard Gzip.isGzip(bytes) else { return bytes }
        return try Gzip.decompress(bytes, file: url.path)
    }

    /// Writes `bytes` to `url` atomically and durably (``AtomicFile``), throwing ``DataFileError`` on failure:
    /// "<path>: is a directory" or "<path>: cannot write: <reason>".
    static func write(_ bytes: [UInt8], to url: URL) throws {
        do {
            try AtomicFile.write([bytes], to: url.path)
        } catch CKKSError.fileError(let path, let reason) {
            throw DataFileError(file: path, problem: reason)
        }
    }
}

/// A bounds-checked big- or little-endian reader over a byte array, throwing ``DataFileError`` on truncation.
struct ByteCursor {
    let bytes: [UInt8]
    let file: String
    private(set) var offset: Int = 0

    init(_ bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    /// Reads a big-endian `UInt32` (IDX headers).
    mutating func readUInt32BigEndian(_ what: String) throws -> UInt32 {
        try require(4, what)
        var value: UInt32 = 0
        for k in 0..<4 { value = value << 8 | UInt32(bytes[offset + k]) }
        offset += 4
        return value
    }

    /// Reads a little-endian `UInt64` (safetensors header length).
    mutating func readUInt64LittleEndian(_ what: String) throws -> UInt64 {
        try require(8, what)
        var value: UInt64 = 0
        for k in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + k]) }
        offset += 8
        return value
    }

    /// Returns the next `count` bytes as a slice and advances.
    mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try require(count, what)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private func require(_ count: Int, _ what: String) throws {
        guard count >= 0, remaining >= count else {
            throw DataFileError(
                file: file,
                problem: "truncated: \(what) needs \(count) bytes at offset \(offset), \(max(remaining, 0)) left")
        }
    }
}
