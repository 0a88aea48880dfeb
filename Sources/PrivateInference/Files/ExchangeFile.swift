import CKKS
import Foundation
import NTT

#if canImport(Glibc)
    import Glibc
    private let posixRead = Glibc.read
#elseif canImport(Darwin)
    import Darwin
    private let posixRead = Darwin.read
#endif

/// The container of every file the parties exchange or keep.
///
/// The container of every file the two parties exchange or keep: a magic, a JSON header (kind, format
/// version, parms_id, payload length and BLAKE2b-256 hash, kind-specific fields) and a binary payload of
/// little-endian words. Reading checks all of it and names the file in every error.
struct ExchangeFile: Sendable {
    /// File magic.
    static let magic = Array("PRIVDNN1".utf8)
    /// The format version this build writes and reads.
    static let version = 1

    /// What the file holds.
    enum Kind: String, Codable, Sendable {
        case secretKey = "secret-key"
        case publicKey = "public-key"
        case relinKeys = "relin-keys"
        case galoisKeys = "galois-keys"
        case encryptedWeights = "encrypted-weights"
        case request
        case requestPrivate = "request-private"
        case response
    }

    /// The parsed header.
    struct Header: Codable, Sendable {
        var kind: Kind
        var version: Int
        /// Hex parms_id of the level the payload lives at.
        var parmsID: String
        var payloadBytes: Int
        var payloadHash: String
        /// Kind-specific fields.
        var fields: [String: String]
    }

    var header: Header
    var payload: [UInt8]

    /// Builds a file around a payload.
    /// - Parameters:
    ///   - kind: what the file holds.
    ///   - parmsID: hex parms_id of the payload's level.
    ///   - fields: kind-specific header fields.
    ///   - payload: the bytes after the header.
    ///   - payloadHash: the payload's BLAKE2b-256 when the caller already has it (it is computed otherwise).
    init(kind: Kind, parmsID: String, fields: [String: String] = [:], payload: [UInt8], payloadHash: String? = nil) {
        header = Header(
            kind: kind, version: Self.version, parmsID: parmsID, payloadBytes: payload.count,
            payloadHash: payloadHash ?? ContentHasher.hash(payload), fields: fields)
        self.payload = payload
    }

    /// The bytes before the payload: magic, the header's JSON length (u32) and the JSON.
    func headerBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(header))
        var out = Self.magic
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        return out
    }

    /// The serialized bytes.
    func bytes() throws -> [UInt8] { try headerBytes() + payload }

    /// Writes atomically (temporary file in the same directory, then rename), header and payload straight from
    /// memory.
    /// - Returns: the file's content hash (``contentHash(header:)``).
    @discardableResult
    func write(to url: URL, durable: Bool = true) throws -> String {
        let head = try headerBytes()
        // A secret key is readable by its owner only.
        try AtomicWrite.write(
            [head, payload], to: url, mode: header.kind == .secretKey ? 0o600 : 0o644, durable: durable)
        return Self.contentHash(header: head[...])
    }

    /// A file's content hash: the BLAKE2b-256 of its header bytes (magic, length, JSON).
    ///
    /// The header records the payload's length and BLAKE2b-256, and reading checks the payload against them, so
    /// this one hash pins the whole file while every byte is hashed only once.
    static func contentHash(header: ArraySlice<UInt8>) -> String {
        var hasher = ContentHasher()
        header.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// Reads and verifies a file.
    /// - Parameters:
    ///   - url: the file.
    ///   - kind: the expected kind.
    ///   - parmsID: the expected parms_id (hex), if known.
    /// - Returns: the verified file.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` or ``InferenceError/mismatch(path:reason:)``.
    static func read(_ url: URL, kind: Kind, parmsID: String? = nil) throws -> ExchangeFile {
        let path = url.path
        guard let bytes = try FileBytes.read(url) else {
            throw InferenceError.badFile(path: path, reason: "cannot read the file")
        }
        let file = try parse(bytes, path: path)
        guard file.header.kind == kind else {
            throw InferenceError.badFile(
                path: path, reason: "holds a \(file.header.kind.rawValue), expected a \(kind.rawValue)")
        }
        if let parmsID, parmsID != file.header.parmsID {
            throw InferenceError.mismatch(
                path: path, reason: "parms_id \(file.header.parmsID) does not match the parameters' \(parmsID)")
        }
        return file
    }

    /// Reads only a file's header (magic, version, kind, parms_id, fields), checking that the payload has the length
    /// the header states, without reading or hashing the payload: for a file whose payload the reader does not use
    /// (the user's own request chunk, of which only the header binds the response to it).
    /// - Throws: ``InferenceError/badFile(path:reason:)`` or ``InferenceError/mismatch(path:reason:)``.
    static func readHeader(_ url: URL, kind: Kind, parmsID: String) throws -> Header {
        let path = url.path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InferenceError.badFile(path: path, reason: "cannot read the file")
        }
        defer { try? handle.close() }
        let prefix = [UInt8]((try? handle.read(upToCount: 12)) ?? Data())
        guard prefix.count == 12, prefix[0..<8].elementsEqual(magic) else {
            throw InferenceError.badFile(path: path, reason: "not a privdnn file (bad magic)")
        }
        let length = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
        guard length <= 1 << 20 else { throw InferenceError.badFile(path: path, reason: "implausibly large header") }
        let json = [UInt8]((try? handle.read(upToCount: length)) ?? Data())
        let size = (try? handle.seekToEnd()).map { Int($0) } ?? -1
        guard json.count == length else { throw InferenceError.badFile(path: path, reason: "truncated header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(json)) } catch {
            throw InferenceError.badFile(path: path, reason: "unreadable header")
        }
        guard header.version == version else {
            throw InferenceError.badFile(
                path: path, reason: "format version \(header.version), this build reads \(version)")
        }
        guard size - 12 - length == header.payloadBytes else {
            throw InferenceError.badFile(
                path: path,
                reason: "payload has \(size - 12 - length) bytes, header says \(header.payloadBytes) (truncated?)")
        }
        guard header.kind == kind else {
            throw InferenceError.badFile(
                path: path, reason: "holds a \(header.kind.rawValue), expected a \(kind.rawValue)")
        }
        guard header.parmsID == parmsID else {
            throw InferenceError.mismatch(
                path: path, reason: "parms_id \(header.parmsID) does not match the parameters' \(parmsID)")
        }
        return header
    }

    /// Parses bytes, checking magic, version, length and (unless the caller already checked the whole file's
    /// hash against a manifest) the payload hash.
    static func parse(_ bytes: [UInt8], path: String, verifyHash: Bool = true) throws -> ExchangeFile {
        let (header, payloadStart) = try parseHeader(bytes, path: path)
        let payload = Array(bytes[payloadStart...])
        guard !verifyHash || ContentHasher.hash(payload) == header.payloadHash else {
            throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
        }
        return ExchangeFile(header: header, payload: payload)
    }

    /// Checks magic, version and payload length and decodes the header, without touching the payload.
    /// - Returns: the header and the offset where the payload starts (the length of the header bytes).
    static func parseHeader(_ bytes: [UInt8], path: String) throws -> (header: Header, payloadStart: Int) {
        guard bytes.count >= 12, bytes[0..<8].elementsEqual(magic) else {
            throw InferenceError.badFile(path: path, reason: "not a privdnn file (bad magic)")
        }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard length <= bytes.count - 12 else { throw InferenceError.badFile(path: path, reason: "truncated header") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[12..<(12 + length)]))
        } catch {
            throw InferenceError.badFile(path: path, reason: "unreadable header")
        }
        guard header.version == version else {
            throw InferenceError.badFile(
                path: path, reason: "format version \(header.version), this build reads \(version)")
        }
        let payloadCount = bytes.count - 12 - length
        guard payloadCount == header.payloadBytes else {
            throw InferenceError.badFile(
                path: path,
                reason: "payload has \(payloadCount) bytes, header says \(header.payloadBytes) (truncated?)")
        }
        return (header, 12 + length)
    }

    init(header: Header, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }

    /// A required header field.
    func field(_ name: String, path: String) throws -> String {
        guard let value = header.fields[name] else {
            throw InferenceError.badFile(path: path, reason: "header lacks \(name)")
        }
        return value
    }

    /// A required integer header field.
    func intField(_ name: String, path: String) throws -> Int {
        guard let value = Int(try field(name, path: path)) else {
            throw InferenceError.badFile(path: path, reason: "header field \(name) is not an integer")
        }
        return value
    }
}

/// Little-endian word payloads.
enum WordCoding {
    static func append(_ words: [UInt64], to out: inout [UInt8]) {
        words.withUnsafeBufferPointer { w in
            out.append(contentsOf: UnsafeRawBufferPointer(w))  // little-endian host (x86_64, arm64)
        }
    }

    static func words(_ bytes: ArraySlice<UInt8>) -> [UInt64] {
        let count = bytes.count / 8
        var out = [UInt64](repeating: 0, count: count)
        out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[0..<(count * 8)]))
            }
        }
        return out.map { UInt64(littleEndian: $0) }
    }

    /// Reads `count` words at `offset`, checking bounds.
    static func read(_ bytes: [UInt8], offset: inout Int, count: Int, path: String) throws -> [UInt64] {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 8)
        guard count >= 0, !overflow, offset >= 0, byteCount <= bytes.count - offset else {
            throw InferenceError.badFile(path: path, reason: "payload too short")
        }
        let end = offset + byteCount
        defer { offset = end }
        return words(bytes[offset..<end])
    }

    /// Reads `count` words of polynomials at `offset` (rows of `degree` words, cycling through `moduli`), each of
    /// which must be below its row's prime: a response or mask word that is not is a corrupt file, not a value.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a short payload or an unreduced word (its position
    ///   only, never its value).
    static func read(
        _ bytes: [UInt8], offset: inout Int, count: Int, reducedModulo moduli: [Modulus], degree: Int, path: String
    ) throws -> [UInt64] {
        let start = offset
        let words = try read(bytes, offset: &offset, count: count, path: path)
        guard degree > 0, !moduli.isEmpty else { return words }
        for (i, word) in words.enumerated() where word >= moduli[(i / degree) % moduli.count].value {
            throw InferenceError.badFile(
                path: path, reason: "word \(i) of the polynomials at byte \(start) is not reduced modulo its prime")
        }
        return words
    }
}

/// Whole-file reads straight into a byte array (no intermediate `Data`).
enum FileBytes {
    /// The file's bytes, or `nil` when it does not exist or cannot be opened.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` when an opened file cannot be read to its end.
    static func read(_ url: URL) throws -> [UInt8]? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(status.st_size)
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size, let base = buffer.baseAddress {
                let got = posixRead(fd, base + initialized, size - initialized)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    failure = got < 0 ? String(cString: strerror(errno)) : "the file shrank while being read"
                    return
                }
                initialized += got
            }
        }
        if let failure { throw InferenceError.badFile(path: url.path, reason: "cannot read: \(failure)") }
        return bytes
    }
}

/// Atomic, durable file and directory writes (``AtomicFile``): write beside the target, flush, rename over it.
enum AtomicWrite {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        try write([bytes], to: url)
    }

    /// Writes the concatenation of `pieces` to a temporary sibling, flushes it and renames it over `url`.
    /// - Parameters:
    ///   - pieces: the file's bytes, in order.
    ///   - url: the file.
    ///   - mode: the new file's permission bits (before the umask).
    ///   - durable: `false` for scratch files removed within the same run (``AtomicFile/write(_:to:mode:durable:)``).
    /// - Throws: ``InferenceError/badFile(path:reason:)``: "is a directory" or "cannot write: <reason>".
    static func write(_ pieces: [[UInt8]], to url: URL, mode: mode_t = 0o644, durable: Bool = true) throws {
        do {
            try AtomicFile.write(pieces, to: url.path, mode: mode, durable: durable)
        } catch CKKSError.fileError(let path, let reason) {
            throw InferenceError.badFile(path: path, reason: reason)
        }
    }

    /// A fresh temporary sibling directory of `url` for building a directory that is renamed into place
    /// (hidden; those of killed runs are removed first).
    static func temporaryDirectory(beside url: URL) throws -> URL {
        AtomicFile.removeStaleTemporaries(of: url)
        let temporary = URL(fileURLWithPath: AtomicFile.temporaryPath(for: url))
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw InferenceError.badFile(path: url.path, reason: "cannot create a directory beside it")
        }
        return temporary
    }

    /// Replaces `url` by the finished directory `temporary` and flushes the parent directory.
    ///
    /// The files in `temporary` were each written durably; a kill in between leaves no directory at `url`, never
    /// a partial one.
    static func commitDirectory(_ temporary: URL, to url: URL) throws {
        do {
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            AtomicFile.syncDirectory(temporary.path)
            try FileManager.default.moveItem(at: temporary, to: url)
            AtomicFile.syncDirectory(url.deletingLastPathComponent().path)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw InferenceError.badFile(path: url.path, reason: "cannot move the finished directory into place")
        }
    }
}
