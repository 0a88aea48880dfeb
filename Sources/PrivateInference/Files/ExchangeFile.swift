import Foundation

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
    init(kind: Kind, parmsID: String, fields: [String: String] = [:], payload: [UInt8]) {
        header = Header(
            kind: kind, version: Self.version, parmsID: parmsID, payloadBytes: payload.count,
            payloadHash: ContentHasher.hash(payload), fields: fields)
        self.payload = payload
    }

    /// The serialized bytes.
    func bytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(header))
        var out = Self.magic
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        out += payload
        return out
    }

    /// Writes atomically (temporary file in the same directory, then rename).
    func write(to url: URL) throws {
        try AtomicWrite.write(try bytes(), to: url)
    }

    /// Reads and verifies a file.
    /// - Parameters:
    ///   - url: the file.
    ///   - kind: the expected kind.
    ///   - parmsID: the expected parms_id (hex), if known.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` or ``InferenceError/mismatch(path:reason:)``.
    static func read(_ url: URL, kind: Kind, parmsID: String? = nil) throws -> ExchangeFile {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InferenceError.badFile(path: path, reason: "cannot read the file")
        }
        let file = try parse([UInt8](data), path: path)
        guard file.header.kind == kind else {
            throw InferenceError.badFile(path: path, reason: "holds a \(file.header.kind.rawValue), expected a \(kind.rawValue)")
        }
        if let parmsID, parmsID != file.header.parmsID {
            throw InferenceError.mismatch(
                path: path, reason: "parms_id \(file.header.parmsID) does not match the parameters' \(parmsID)")
        }
        return file
    }

    /// Parses bytes, checking magic, version, length and (unless the caller already checked the whole file's
    /// hash against a manifest) the payload hash.
    static func parse(_ bytes: [UInt8], path: String, verifyHash: Bool = true) throws -> ExchangeFile {
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else {
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
            throw InferenceError.badFile(path: path, reason: "format version \(header.version), this build reads \(version)")
        }
        let payload = Array(bytes[(12 + length)...])
        guard payload.count == header.payloadBytes else {
            throw InferenceError.badFile(
                path: path, reason: "payload has \(payload.count) bytes, header says \(header.payloadBytes) (truncated?)")
        }
        guard !verifyHash || ContentHasher.hash(payload) == header.payloadHash else {
            throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
        }
        return ExchangeFile(header: header, payload: payload)
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
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[0..<(count * 8)])) }
        }
        return out.map { UInt64(littleEndian: $0) }
    }

    /// Reads `count` words at `offset`, checking bounds.
    static func read(_ bytes: [UInt8], offset: inout Int, count: Int, path: String) throws -> [UInt64] {
        let end = offset + count * 8
        guard count >= 0, end <= bytes.count else { throw InferenceError.badFile(path: path, reason: "payload too short") }
        defer { offset = end }
        return words(bytes[offset..<end])
    }
}

/// Atomic file and directory writes: write beside the target, then rename over it.
enum AtomicWrite {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try Data(bytes).write(to: temporary)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw InferenceError.badFile(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// A fresh temporary sibling directory of `url` for building a directory that is renamed into place.
    static func temporaryDirectory(beside url: URL) throws -> URL {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw InferenceError.badFile(path: url.path, reason: "cannot create a directory beside it")
        }
        return temporary
    }

    /// Replaces `url` by the finished directory `temporary`.
    static func commitDirectory(_ temporary: URL, to url: URL) throws {
        do {
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw InferenceError.badFile(path: url.path, reason: "cannot move the finished directory into place")
        }
    }
}
