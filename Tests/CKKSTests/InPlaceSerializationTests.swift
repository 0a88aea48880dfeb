import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// Serializing into and loading from a shared buffer (containers of many ciphertexts) against SEAL's own files.
@Suite struct InPlaceSerializationTests {
    let context: CKKSContext

    init() throws {
        context = try CKKSContext(EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]))
    }

    func file(_ name: String) throws -> [UInt8] { [UInt8](try RepositoryPaths.vector("seal-4.1.2-seeded/" + name)) }

    @Test func appendedObjectsAreSEALsBytesAfterAnyPrefix() throws {
        let seeded = try Ciphertext(serialized: try file("ct_sym_seeded.bin"), context: context)
        let full = try Ciphertext(serialized: try file("ct_sym_full.bin"), context: context)
        #expect(seeded.isSeeded)
        var writer = ByteWriter()
        writer.write(bytes: [1, 2, 3])
        try seeded.append(to: &writer)
        let middle = writer.bytes.count
        try full.append(to: &writer)
        #expect(Array(writer.bytes[0..<3]) == [1, 2, 3])
        #expect(Array(writer.bytes[3..<middle]) == (try file("ct_sym_seeded.bin")))
        #expect(Array(writer.bytes[middle...]) == (try file("ct_sym_full.bin")))
        // A compressed save still goes through its own buffer and stays loadable.
        let zstd = try seeded.serialized(comprMode: .zstd)
        #expect(try Ciphertext(serialized: zstd, context: context) == seeded)
    }

    @Test func objectsLoadInPlaceFromTheMiddleOfABuffer() throws {
        let seededBytes = try file("ct_sym_seeded.bin"), fullBytes = try file("ct_sym_full.bin")
        let buffer = [0xAA] + seededBytes + fullBytes + [0xBB]
        let seededRange = 1..<(1 + seededBytes.count)
        let fullRange = seededRange.upperBound..<(seededRange.upperBound + fullBytes.count)
        let seeded = try Ciphertext(serialized: buffer, range: seededRange, context: context)
        let full = try Ciphertext(serialized: buffer, range: fullRange, context: context)
        // The seeded c1 expands (BLAKE2Xb) to SEAL's full ciphertext, word for word.
        #expect(seeded.isSeeded && seeded.data == full.data)
        #expect(full == (try Ciphertext(serialized: fullBytes, context: context)))
        // A range cut short reads as truncated data instead of running into the next object.
        let short = seededRange.lowerBound..<(seededRange.upperBound - 1)
        #expect(throws: CKKSError.self) { try Ciphertext(serialized: buffer, range: short, context: context) }
        // A range outside the buffer is clamped, so it is truncated data too, never a crash.
        #expect(throws: CKKSError.self) {
            try Ciphertext(serialized: buffer, range: (buffer.count - 10)..<(buffer.count + 100), context: context)
        }
    }
}
