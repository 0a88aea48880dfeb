import CKKS
import Foundation

/// BLAKE2b-256 content hashes (hex), for file integrity, cache keys and key ids.
package struct ContentHasher: Sendable {
    private var state: Blake2b

    /// A fresh 32-byte BLAKE2b state.
    package init() {
        // A 32-byte unkeyed digest is always a valid BLAKE2b configuration; the init only throws for bad sizes.
        guard let fresh = try? Blake2b(digestByteCount: 32) else { preconditionFailure("BLAKE2b-256 is valid") }
        state = fresh
    }

    /// Absorbs bytes.
    package mutating func update(_ bytes: [UInt8]) { state.update(bytes) }

    /// Absorbs bytes from raw memory.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bytes) }

    /// Absorbs a string's UTF-8 bytes followed by a separator byte.
    package mutating func update(_ text: String) {
        state.update(Array(text.utf8) + [0])
    }

    /// The hex digest.
    package mutating func finalize() -> String { ContentHasher.hex(state.finalize()) }

    /// The hex BLAKE2b-256 of `bytes`.
    package static func hash(_ bytes: [UInt8]) -> String { hash(bytes, range: bytes.indices) }

    /// The hex BLAKE2b-256 of `bytes[range]`, read in place.
    package static func hash(_ bytes: [UInt8], range: Range<Int>) -> String {
        var h = ContentHasher()
        bytes.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[range])) }
        return h.finalize()
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return out
    }
}
