/// Appends little-endian fields to a byte buffer, field by field with no padding, as SEAL's `save_members`.
package struct ByteWriter: Sendable {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8] = []

    /// An empty writer.
    /// - Parameter capacity: bytes to reserve up front.
    package init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends one byte.
    package mutating func write(_ value: UInt8) { bytes.append(value) }

    /// Appends a little-endian 16-bit word.
    package mutating func write(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

    /// Appends a little-endian 32-bit word.
    package mutating func write(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

    /// Appends a little-endian 64-bit word.
    package mutating func write(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

    /// Appends an IEEE double as its little-endian bit pattern.
    package mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Appends words in order, each little-endian.
    package mutating func write(words: some Collection<UInt64>) {
        bytes.reserveCapacity(bytes.count + 8 * words.count)
        for word in words { write(word) }
    }

    /// Appends words from a contiguous array (one copy on little-endian hosts).
    package mutating func write(words: [UInt64]) {
        #if _endian(little)
            words.withUnsafeBytes { bytes += $0 }
        #else
            for word in words { write(word) }
        #endif
    }

    /// Appends words from a contiguous slice (one copy on little-endian hosts).
    package mutating func write(words: ArraySlice<UInt64>) {
        #if _endian(little)
            words.withUnsafeBytes { bytes += $0 }
        #else
            for word in words { write(word) }
        #endif
    }

    /// Appends raw bytes.
    package mutating func write(bytes more: some Sequence<UInt8>) { bytes += more }

    /// Replaces already written bytes starting at `offset` (a size field filled in once its object is written).
    /// - Parameters:
    ///   - replacement: the new bytes; `offset + replacement.count` must not exceed the bytes written.
    ///   - offset: where they go.
    package mutating func overwrite(_ replacement: [UInt8], at offset: Int) {
        bytes.replaceSubrange(offset..<(offset + replacement.count), with: replacement)
    }
}
