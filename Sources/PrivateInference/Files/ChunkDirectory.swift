import Foundation

/// A request, its private side or a response as a directory of chunk files `chunk-00000`, `chunk-00001`, …, one per
/// ``OutputTile`` of the user's ``TilePlan``, so that both parties hold one chunk at a time whatever the selection.
///
/// Every chunk's header carries its index, the number of chunks, the request id (random, shared by the chunks of
/// one request), the package hash and its payload's BLAKE2b-256; a response or private chunk names the payload
/// hash of the request chunk it belongs to. A missing, repeated, reordered or foreign chunk is an error naming it.
enum ChunkDirectory {
    /// The most chunks a request may have (one per conv2 filter and output row of the largest network is 256 × 64).
    static let maxChunks = 1 << 16

    /// The file name of chunk `index`.
    static func name(_ index: Int) -> String {
        let digits = String(index)
        return "chunk-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Chunk `index`'s file in `dir`.
    static func url(_ dir: URL, _ index: Int) -> URL { dir.appendingPathComponent(name(index)) }

    /// The user's private side of request directory `request` (`REQ.private`): one chunk of masks per request
    /// chunk, and the images.
    static func privateDirectory(_ request: URL) -> URL {
        request.deletingLastPathComponent().appendingPathComponent(request.lastPathComponent + ".private")
    }

    /// The images file in a private directory (the plaintext part is recomputed from them when finishing).
    static func imagesURL(_ privateDirectory: URL) -> URL { privateDirectory.appendingPathComponent("images") }

    /// The plaintext filters' conv2 outputs in a private directory, when small enough to keep
    /// (``RequestWriter/keptPlainBytes``).
    static func plainURL(_ privateDirectory: URL) -> URL { privateDirectory.appendingPathComponent("plain") }

    /// Makes `dir` an empty chunk directory: creates it, or removes the chunk files of an earlier run from it.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` when `dir` is a file or cannot be created.
    static func prepare(_ dir: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw InferenceError.badFile(
                    path: dir.path, reason: "is a file; requests and responses are directories of chunks")
            }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            where name.hasPrefix("chunk-") || name == "images" || name == "plain" {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            }
            return
        }
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw InferenceError.badFile(path: dir.path, reason: "cannot create the directory")
        }
    }

    /// The chunk files of a directory in index order: exactly `chunk-00000` … `chunk-<n−1>`.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a missing directory, no chunk, a gap (naming the
    ///   missing chunk) or a file that is not a chunk.
    static func list(_ dir: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory) else {
            throw InferenceError.badFile(path: dir.path, reason: "does not exist")
        }
        guard isDirectory.boolValue else {
            throw InferenceError.badFile(
                path: dir.path, reason: "is a file; requests and responses are directories of chunks")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter {
            !$0.hasPrefix(".") && $0 != "images" && $0 != "plain"
        }
        var indexes = Set<Int>()
        for name in names {
            guard name.hasPrefix("chunk-"), let i = Int(name.dropFirst(6)), i >= 0, i < maxChunks, self.name(i) == name
            else {
                throw InferenceError.badFile(path: dir.appendingPathComponent(name).path, reason: "is not a chunk file")
            }
            indexes.insert(i)
        }
        guard !indexes.isEmpty else { throw InferenceError.badFile(path: dir.path, reason: "holds no chunk") }
        if let missing = (0..<indexes.count).first(where: { !indexes.contains($0) }) {
            throw InferenceError.badFile(path: url(dir, missing).path, reason: "chunk \(missing) is missing")
        }
        return (0..<indexes.count).map { url(dir, $0) }
    }

    /// Header fields every chunk of a request carries.
    struct Identity: Equatable {
        var index: Int
        var count: Int
        var requestID: String

        var fields: [String: String] { ["chunk": String(index), "chunks": String(count), "requestID": requestID] }

        /// A fresh request id: 128 bits from the system CSPRNG, hex.
        static func freshRequestID() -> String {
            var generator = SystemRandomNumberGenerator()
            return (0..<2).map { _ in
                let hex = String(generator.next() as UInt64, radix: 16)
                return String(repeating: "0", count: 16 - hex.count) + hex
            }.joined()
        }

        /// The identity a chunk file states.
        /// - Throws: ``InferenceError/badFile(path:reason:)`` for missing or malformed fields.
        init(_ file: ExchangeFile, path: String) throws {
            index = try file.intField("chunk", path: path)
            count = try file.intField("chunks", path: path)
            requestID = try file.field("requestID", path: path)
            guard (1...ChunkDirectory.maxChunks).contains(count), (0..<count).contains(index),
                requestID.utf8.count == 32,
                requestID.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
            else { throw InferenceError.badFile(path: path, reason: "malformed chunk index, count or request id") }
        }

        init(index: Int, count: Int, requestID: String) {
            self.index = index
            self.count = count
            self.requestID = requestID
        }

        /// Checks that a chunk found as file `position` of a directory of `files` belongs there and to the request
        /// of `first` (the identity of the directory's first chunk).
        /// - Throws: ``InferenceError/mismatch(path:reason:)`` for a foreign (other request), repeated or
        ///   reordered chunk, or a directory whose chunk count differs from the chunks' own.
        func check(position: Int, files: Int, first: Identity?, path: String) throws {
            if let first, first.requestID != requestID {
                throw InferenceError.mismatch(path: path, reason: "belongs to another request (foreign chunk)")
            }
            guard index == position else {
                throw InferenceError.mismatch(
                    path: path, reason: "holds chunk \(index), not \(position) (repeated or reordered chunk)")
            }
            guard count == files else {
                throw InferenceError.mismatch(
                    path: path, reason: "is one of \(count) chunks, the directory holds \(files)")
            }
        }
    }
}
