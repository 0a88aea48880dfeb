import CKKS
import Foundation
import TestSupport
import Testing

/// Compressed SEAL objects inflate no further than their kind and parameters allow, and nothing may follow an
/// object: not inside the compressed stream, not after it, not after the object in the file.
struct DecompressionBombTests {
    let parameters = try! EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39])

    /// A SEAL object whose compressed member stream is `members` followed by `padding` zero bytes.
    static func bomb(mode: ComprMode, padding: Int, members: (inout ByteWriter) throws -> Void) throws -> [UInt8] {
        try SEALSerialization.save(version: .v4_1, comprMode: mode) { writer in
            try members(&writer)
            writer.write(bytes: [UInt8](repeating: 0, count: padding))
        }
    }

    func reason(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: [ComprMode.zlib, .zstd])
    func parametersBombStopsAtTheLargestParameters(mode: ComprMode) throws {
        let bomb = try Self.bomb(mode: mode, padding: 4 << 20) { parameters.saveMembers(into: &$0, version: .v4_1) }
        #expect(bomb.count < 64 << 10)
        let message = reason { _ = try EncryptionParameters(serialized: bomb) }
        #expect(message.contains("inflates beyond 6185 bytes"), "\(message)")
        // Context-free inspection reports the same, and does not inflate the rest either.
        let inspected = reason { _ = try SEALObjectInspector.inspect(bomb) }
        #expect(inspected.contains("inflates beyond"), "\(inspected)")
        // A few bytes more than the members, inside the bound, are still refused.
        let padded = try Self.bomb(mode: mode, padding: 3) { parameters.saveMembers(into: &$0, version: .v4_1) }
        let trailing = reason { _ = try EncryptionParameters(serialized: padded) }
        #expect(trailing.contains("3 bytes of \(mode) data follow"), "\(trailing)")
        // The same members without padding load.
        let exact = try parameters.serialized(comprMode: mode)
        #expect(try EncryptionParameters(serialized: exact) == parameters)
    }

    @Test(arguments: [ComprMode.zlib, .zstd])
    func ciphertextBombStopsAtTheLargestCiphertext(mode: ComprMode) throws {
        let context = try CKKSContext(EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]))
        let bound = Ciphertext.maxMemberByteCount(context: context)
        #expect(bound < 4 << 20)  // 16 polynomials of 8192 × 3 words
        let ct = try Ciphertext(
            serialized: [UInt8](RepositoryPaths.vector("seal-4.1.2-seeded/ct_sym_seeded.bin")), context: context)
        let bomb = try Self.bomb(mode: mode, padding: 8 << 20) { ct.saveMembers(into: &$0, version: .v4_1) }
        let message = reason { _ = try Ciphertext(serialized: bomb, context: context) }
        #expect(message.contains("inflates beyond \(bound) bytes"), "\(message)")
        let inspected = reason { _ = try SEALObjectInspector.inspect(bomb, context: context) }
        #expect(inspected.contains("inflates beyond"), "\(inspected)")
        let contextFree = reason { _ = try SEALObjectInspector.inspect(bomb) }
        #expect(contextFree.contains("inflates beyond"), "\(contextFree)")
        // The same object without padding loads.
        #expect(try Ciphertext(serialized: ct.serialized(comprMode: mode), context: context) == ct)
    }

    @Test(arguments: [ComprMode.zlib, .zstd])
    func bytesAfterTheCompressedStreamAreRefused(mode: ComprMode) throws {
        let exact = try parameters.serialized(comprMode: mode)
        // Garbage appended inside the object (the header's size covers it) follows the stream's end.
        var inside = exact + [1, 2, 3, 4]
        let size = UInt64(inside.count)
        for b in 0..<8 { inside[8 + b] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(b))) }
        let message = reason { _ = try EncryptionParameters(serialized: inside) }
        #expect(message.contains("4 bytes follow the end of the \(mode)"), "\(message)")
    }

    @Test(arguments: ComprMode.allCases)
    func bytesAfterTheObjectAreRefused(mode: ComprMode) throws {
        let exact = try parameters.serialized(comprMode: mode)
        let message = reason { _ = try EncryptionParameters(serialized: exact + [0, 0]) }
        #expect(message.contains("2 bytes follow the object"), "\(message)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-trailing-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(exact + [7]).write(to: URL(fileURLWithPath: file))
        let fromFile = reason { _ = try EncryptionParameters(contentsOfFile: file) }
        #expect(fromFile.hasPrefix("\(file): ") && fromFile.contains("1 bytes follow the object"), "\(fromFile)")
    }

    @Test func implausibleHeaderSizeIsCalledTooLarge() throws {
        var bytes = try parameters.serialized()
        for b in 0..<8 { bytes[8 + b] = UInt8(truncatingIfNeeded: (UInt64(1) << 63) >> (8 * UInt64(b))) }
        let message = reason { _ = try EncryptionParameters(serialized: bytes) }
        #expect(message.contains("9223372036854775808 is implausibly large"), "\(message)")
        #expect(!message.contains("smaller"))
        let inspected = reason { _ = try SEALObjectInspector.inspect(bytes) }
        #expect(inspected.contains("implausibly large"), "\(inspected)")
    }
}
