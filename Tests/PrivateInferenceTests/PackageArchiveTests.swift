import Foundation
import Testing

@testable import PrivateInference

/// Packages as ustar streams: a round trip, and malformed archives refused by name without writing a package.
@Suite struct PackageArchiveTests {
    /// The archive of a directory, as the service sends it.
    static func archive(_ dir: URL) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for entry in try PackageArchive.entries(dir) {
            bytes += PackageArchive.header(name: entry.name, size: entry.size)
            bytes += try #require(FileManager.default.contents(atPath: entry.url.path))
            bytes += [UInt8](repeating: 0, count: PackageArchive.padded(entry.size) - entry.size)
        }
        return bytes + [UInt8](repeating: 0, count: 2 * PackageArchive.block)
    }

    static func unpack(_ bytes: [UInt8], to out: URL) throws -> String {
        var offset = 0
        return try PackageArchive.unpack(source: "test", out: out) { buffer in
            let n = min(buffer.count, bytes.count - offset)
            bytes[offset..<(offset + n)].withUnsafeBytes { buffer.copyMemory(from: $0) }
            offset += n
            return n
        }
    }

    @Test func roundTripAndRefusals() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let manifest = Array("{\"x\": 1}".utf8)
        try Data(manifest).write(to: source.appendingPathComponent("manifest.json"))
        try Data((0..<3000).map { UInt8($0 & 255) }).write(to: source.appendingPathComponent("b.enc"))
        try Data().write(to: source.appendingPathComponent("a.empty"))
        let bytes = try Self.archive(source)
        #expect(bytes.count == PackageArchive.length(try PackageArchive.entries(source)))
        #expect(try PackageArchive.entries(source).first?.name == "manifest.json")
        let out = dir.appendingPathComponent("out")
        #expect(try Self.unpack(bytes, to: out) == ContentHasher.hash(manifest))
        for name in ["manifest.json", "b.enc", "a.empty"] {
            #expect(
                FileManager.default.contents(atPath: out.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: source.appendingPathComponent(name).path))
        }

        func refused(_ bytes: [UInt8], _ text: String) {
            let target = dir.appendingPathComponent("bad-\(UUID().uuidString)")
            #expect(throws: InferenceError.self, "\(text)") { try Self.unpack(bytes, to: target) }
            #expect(!FileManager.default.fileExists(atPath: target.path), "\(text): no package is left")
        }
        refused(Array(bytes.prefix(bytes.count - 700)), "truncated")
        refused([], "empty")
        var checksum = bytes
        checksum[0] ^= 1
        refused(checksum, "bad checksum")
        var traversal = bytes
        let evil = PackageArchive.header(name: "../evil", size: 0)
        traversal.replaceSubrange(0..<512, with: evil)
        refused(traversal, "a path in a name")
        var link = PackageArchive.header(name: "manifest.json", size: manifest.count)
        link[156] = UInt8(ascii: "2")
        var sum = link
        for i in 148..<156 { sum[i] = 32 }
        let digits = String(sum.reduce(0) { $0 + Int($1) }, radix: 8)
        for (i, b) in (String(repeating: "0", count: 6 - digits.count) + digits).utf8.enumerated() { link[148 + i] = b }
        link[154] = 0
        var symlink = bytes
        symlink.replaceSubrange(0..<512, with: link)
        refused(symlink, "a symbolic link")
        var huge = bytes
        huge.replaceSubrange(0..<512, with: PackageArchive.header(name: "manifest.json", size: 1 << 40))
        refused(huge, "a size beyond the limit")
        // A directory that is not a package is not archived.
        #expect(throws: InferenceError.self) { try PackageArchive.entries(dir.appendingPathComponent("none")) }
        try FileManager.default.removeItem(at: source.appendingPathComponent("manifest.json"))
        #expect(throws: InferenceError.self) { try PackageArchive.entries(source) }
    }
}
