/// Reads little-endian fields from bytes with bounds checks; every failure is a ``CKKSError`` naming the
/// object being read, never a crash.
///
/// Fields need no alignment (SEAL writes them packed).
package struct ByteReader: Sendable {
    /// The bytes being read.
    package let bytes: [UInt8]
    /// The next byte to read.
    package private(set) var offset: Int
    /// One past the last readable byte.
    package let end: Int
    /// What is being read, for error messages ("ciphertext", "secret key", ...).
    package var object: String

    /// A reader over `bytes[start..<end]`.
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - object: what is being read, for error messages.
    ///   - start: the first byte (default 0).
    ///   - end: one past the last byte (default the buffer's end).
    package init(_ bytes: [UInt8], object: String, start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.object = object
        self.offset = max(0, min(start, bytes.count))
        self.end = max(offset, min(end ?? bytes.count, bytes.count))
    }

    /// Bytes left to read.
    package var remaining: Int { end - offset }

    /// Throws ``CKKSError/truncated(object:needed:available:)`` unless `count` more bytes are available.
    package func require(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw CKKSError.truncated(object: object, needed: count, available: remaining)
        }
    }

    /// Reads one byte.
    package mutating func readUInt8() throws -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a little-endian 16-bit word.
    package mutating func readUInt16() throws -> UInt16 {
        try require(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    /// Reads a little-endian 32-bit word.
    package mutating func readUInt32() throws -> UInt32 {
        try require(4)
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        offset += 4
        return UInt32(littleEndian: value)
    }

    /// Reads a little-endian 64-bit word.
    package mutating func readUInt64() throws -> UInt64 {
        try require(8)
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        offset += 8
        return UInt64(littleEndian: value)
    }

    /// Reads a 64-bit size field and checks that it fits in `Int`.
    package mutating func readCount(_ field: String) throws -> Int {
        let value = try readUInt64()
        guard let count = Int(exactly: value) else {
            throw CKKSError.invalidData(object: object, reason: "\(field) \(value) is too large")
        }
        return count
    }

    /// Reads an IEEE double from its little-endian bit pattern.
    package mutating func readDouble() throws -> Double { Double(bitPattern: try readUInt64()) }

    /// Reads `count` little-endian words, checking first that they are all there (so a corrupt count cannot
    /// cause a huge allocation).
    package mutating func readWords(_ count: Int) throws -> [UInt64] {
        try readWords(count, reservingCapacity: count)
    }

    /// ``readWords(_:)`` into an array with room for `capacity` words, so that a caller appending more (a
    /// seeded ciphertext's expanded c1) does not reallocate.
    mutating func readWords(_ count: Int, reservingCapacity capacity: Int) throws -> [UInt64] {
        guard count <= remaining / 8 else {
            throw CKKSError.truncated(
                object: object, needed: count.multipliedReportingOverflow(by: 8).partialValue,
                available: remaining)
        }
        let start = offset
        let words = [UInt64](unsafeUninitializedCapacity: max(count, capacity)) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[start..<start + 8 * count]))
            }
            #if !_endian(little)
                for i in 0..<count { buffer[i] = UInt64(littleEndian: buffer[i]) }
            #endif
            initialized = count
        }
        offset += 8 * count
        return words
    }

    /// Reads `count` raw bytes.
    package mutating func readBytes(_ count: Int) throws -> [UInt8] {
        try require(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Skips `count` bytes.
    package mutating func skip(_ count: Int) throws {
        try require(count)
        offset += count
    }
}
