/// The framing every SEAL object shares: a ``SEALHeader``, then the members, possibly compressed as one stream.
///
/// Nested objects (moduli, arrays, PRNG info, the package keys inside key-switching keys) carry their own uncompressed
/// headers with the same version bytes.
/// - Note: SEAL: serialization.cpp `Serialization::Save`, `Serialization::Load`.
package enum SEALSerialization {
    /// The most member bytes a compressed object may inflate to when its kind and parameters give nothing
    /// tighter (SEAL's largest objects, every Galois key at N = 32768 with a 881-bit modulus, about 3.5 GiB, stay
    /// below it).
    package static let maxInflatedByteCount = 1 << 34

    /// Writes one object: header, then `members` (compressed as a whole if `comprMode` asks).
    /// - Parameters:
    ///   - writer: where the object goes.
    ///   - version: the header version, also passed to `members` for nested headers.
    ///   - comprMode: the compression mode of this object (nested objects are always `.none`).
    ///   - members: writes the members into a fresh writer.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    package static func saveObject(
        into writer: inout ByteWriter, version: SEALVersion, comprMode: ComprMode = .none,
        members: (inout ByteWriter) throws -> Void
    ) throws {
        guard comprMode == .none else {
            var body = ByteWriter()
            try members(&body)
            let payload = try SEALCompression.compress(body.bytes, mode: comprMode)
            let header = SEALHeader(
                version: version, comprMode: comprMode, size: UInt64(SEALHeader.byteCount + payload.count))
            writer.write(bytes: header.bytes)
            writer.write(bytes: payload)
            return
        }
        try saveInPlace(into: &writer, version: version, members: members)
    }

    /// Writes an uncompressed object whose members never fail, such as a nested one.
    static func saveNested(into writer: inout ByteWriter, version: SEALVersion, members: (inout ByteWriter) -> Void) {
        saveInPlace(into: &writer, version: version, members: members)
    }

    /// An uncompressed object written straight into `writer`: a header with a placeholder size, the members,
    /// then the size filled in (no intermediate copy of the members, which for ciphertexts are megabytes).
    private static func saveInPlace(
        into writer: inout ByteWriter, version: SEALVersion, members: (inout ByteWriter) throws -> Void
    ) rethrows {
        let start = writer.bytes.count
        writer.write(bytes: SEALHeader(version: version, comprMode: .none, size: 0).bytes)
        try members(&writer)
        let size = UInt64(writer.bytes.count - start)
        writer.overwrite(SEALHeader(version: version, comprMode: .none, size: size).bytes, at: start)
    }

    /// Reads one object at the reader's position: checks the header, inflates if needed, hands `members` a
    /// reader over exactly the member bytes, and checks that `members` consumed them all (SEAL's "invalid data
    /// size"; for a compressed object, data after the members inside the compressed stream).
    /// - Parameters:
    ///   - reader: positioned at the object's header; advanced past the object.
    ///   - object: what is being read, for error messages.
    ///   - maxMemberBytes: the most member bytes an object of this kind can have; a compressed stream is
    ///     inflated no further than that (the guard against decompression bombs).
    ///   - members: parses the members; gets the header for its version bytes.
    /// - Returns: What `members` returns.
    /// - Throws: ``CKKSError`` for a bad header, a truncated stream, corrupt compressed data, a stream that
    ///   inflates past `maxMemberBytes`, or a size mismatch.
    package static func loadObject<T>(
        from reader: inout ByteReader, object: String, maxMemberBytes: Int = maxInflatedByteCount,
        members: (inout ByteReader, SEALHeader) throws -> T
    ) throws -> T {
        let saved = reader.object
        reader.object = object
        defer { reader.object = saved }
        let start = reader.offset
        let header = try SEALHeader.parse(&reader)
        let payloadCount = try Self.payloadCount(header, object: object)
        try reader.require(payloadCount)
        let payloadStart = reader.offset
        try reader.skip(payloadCount)
        switch header.comprMode {
        case .none:
            var body = ByteReader(reader.bytes, object: object, start: payloadStart, end: payloadStart + payloadCount)
            let value = try members(&body, header)
            guard body.remaining == 0 else {
                throw CKKSError.sizeMismatch(
                    object: object, field: "header size", expected: body.offset - start, found: payloadCount + 16)
            }
            return value
        case .zlib, .zstd:
            let inflated = try SEALCompression.decompress(
                reader.bytes[payloadStart..<payloadStart + payloadCount], mode: header.comprMode, object: object,
                limit: maxMemberBytes)
            var body = ByteReader(inflated, object: object)
            let value = try members(&body, header)
            guard body.remaining == 0 else {
                throw CKKSError.invalidData(
                    object: object,
                    reason: "\(body.remaining) bytes of \(header.comprMode) data follow the \(object)'s members")
            }
            return value
        }
    }

    /// The bytes after the header that `header` claims, checked to be at least the header and at most the
    /// largest SEAL object (whether they are there is the caller's check, as a truncation).
    static func payloadCount(_ header: SEALHeader, object: String) throws -> Int {
        guard header.size >= UInt64(SEALHeader.byteCount) else {
            throw CKKSError.invalidData(object: object, reason: "header size \(header.size) is smaller than the header")
        }
        guard header.size - UInt64(SEALHeader.byteCount) <= UInt64(maxInflatedByteCount) else {
            throw CKKSError.invalidData(
                object: object, reason: "header size \(header.size) is implausibly large for a SEAL object")
        }
        return Int(header.size) - SEALHeader.byteCount
    }

    /// Reads one object filling all of `bytes`.
    /// - Parameters:
    ///   - bytes: the serialized object.
    ///   - object: what is being read, for error messages.
    ///   - maxMemberBytes: the most member bytes an object of this kind can have.
    ///   - members: parses the members.
    /// - Returns: What `members` returns.
    /// - Throws: As ``loadObject(from:object:maxMemberBytes:members:)``, and for bytes after the object.
    package static func load<T>(
        _ bytes: [UInt8], object: String, maxMemberBytes: Int = maxInflatedByteCount,
        members: (inout ByteReader, SEALHeader) throws -> T
    ) throws -> T {
        try load(bytes, range: 0..<bytes.count, object: object, maxMemberBytes: maxMemberBytes, members: members)
    }

    /// Reads one object filling `bytes[range]`, without copying the range out of `bytes`.
    /// - Parameters:
    ///   - bytes: a buffer holding the serialized object.
    ///   - range: where the object lies; clamped to the buffer.
    ///   - object: what is being read, for error messages.
    ///   - maxMemberBytes: the most member bytes an object of this kind can have.
    ///   - members: parses the members.
    /// - Returns: What `members` returns.
    /// - Throws: As ``loadObject(from:object:maxMemberBytes:members:)``, and for bytes after the object in
    ///   the range.
    package static func load<T>(
        _ bytes: [UInt8], range: Range<Int>, object: String,
        maxMemberBytes: Int = maxInflatedByteCount,
        members: (inout ByteReader, SEALHeader) throws -> T
    ) throws -> T {
        var reader = ByteReader(bytes, object: object, start: range.lowerBound, end: range.upperBound)
        let value = try loadObject(from: &reader, object: object, maxMemberBytes: maxMemberBytes, members: members)
        guard reader.remaining == 0 else {
            throw CKKSError.invalidData(object: object, reason: "\(reader.remaining) bytes follow the object")
        }
        return value
    }

    /// The most member bytes of a ciphertext of `size` polynomials of `degree`·`limbs` words, seeded or not:
    /// 73 bytes of fields, the word array's header and count, the words, and the 81-byte PRNG info of the
    /// seeded form.
    static func ciphertextMemberBound(degree: Int, limbs: Int, size: Int) -> Int {
        73 + 24 + 8 * size * degree * limbs + 81
    }

    /// The most member bytes of a plaintext of `degree`·`limbs` words.
    static func plaintextMemberBound(degree: Int, limbs: Int) -> Int { 48 + 24 + 8 * degree * limbs }

    /// Saves one object into new bytes.
    /// - Parameters:
    ///   - version: header version.
    ///   - comprMode: compression mode.
    ///   - members: writes the members.
    /// - Returns: The serialized object.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    package static func save(
        version: SEALVersion, comprMode: ComprMode, members: (inout ByteWriter) throws -> Void
    ) throws -> [UInt8] {
        var writer = ByteWriter()
        try saveObject(into: &writer, version: version, comprMode: comprMode, members: members)
        return writer.bytes
    }

    // MARK: nested objects shared by several types

    /// A `Modulus` object: one u64 value (`Modulus::save_members`).
    static func writeModulus(_ value: UInt64, into writer: inout ByteWriter, version: SEALVersion) {
        saveNested(into: &writer, version: version) { $0.write(value) }
    }

    /// Reads a `Modulus` object's value; SEAL accepts 0 (unset) or 2 through 2^61 - 1.
    static func readModulusValue(from reader: inout ByteReader) throws -> UInt64 {
        let object = reader.object
        return try loadObject(from: &reader, object: "\(object) modulus") { body, _ in
            let value = try body.readUInt64()
            guard value == 0 || (value >= 2 && value >> 61 == 0) else {
                throw CKKSError.invalidData(object: body.object, reason: "value \(value) is not 0 or 2...2^61-1")
            }
            return value
        }
    }

    /// A `DynArray<uint64_t>` object: u64 count, then the words.
    static func writeDynArray(_ words: ArraySlice<UInt64>, into writer: inout ByteWriter, version: SEALVersion) {
        saveNested(into: &writer, version: version) { body in
            body.write(UInt64(words.count))
            body.write(words: words)
        }
    }

    /// Reads a `DynArray<uint64_t>` whose count may not exceed `maxCount` (SEAL's guard against huge
    /// allocations from corrupt counts).
    /// - Parameters:
    ///   - reader: positioned at the array's header; advanced past it.
    ///   - maxCount: the largest word count accepted.
    ///   - capacity: words to reserve in the result (for appending after it).
    /// - Returns: the words.
    /// - Throws: ``CKKSError`` for a bad header, a count above `maxCount` or truncated words.
    static func readDynArray(from reader: inout ByteReader, maxCount: Int, capacity: Int = 0) throws -> [UInt64] {
        let object = reader.object
        return try loadObject(from: &reader, object: "\(object) data") { body, _ in
            let count = try body.readCount("word count")
            guard count <= maxCount else {
                throw CKKSError.sizeMismatch(object: body.object, field: "word count", expected: maxCount, found: count)
            }
            return try body.readWords(count, reservingCapacity: capacity)
        }
    }

    /// A `UniformRandomGeneratorInfo` object: u8 `prng_type`, then the 64-byte seed (81 bytes in all).
    static func writePRNGInfo(_ info: UniformRandomGeneratorInfo, into writer: inout ByteWriter, version: SEALVersion) {
        saveNested(into: &writer, version: version) { body in
            body.write(info.type.rawValue)
            body.write(words: info.seed.words)
        }
    }

    /// Reads a `UniformRandomGeneratorInfo` object (SEAL 3.6 and later); a 3.4/3.5 file stores only the raw
    /// 64-byte seed of a BLAKE2Xb stream.
    static func readPRNGInfo(from reader: inout ByteReader, header: SEALHeader) throws -> UniformRandomGeneratorInfo {
        if header.versionMajor == 3 && header.versionMinor < 6 {
            return UniformRandomGeneratorInfo(type: .blake2xb, seed: PRNGSeed(unchecked: try reader.readWords(8)))
        }
        let object = reader.object
        return try loadObject(from: &reader, object: "\(object) PRNG info") { body, _ in
            let rawType = try body.readUInt8()
            guard let type = PRNGType(rawValue: rawType), type != .unknown else {
                throw CKKSError.invalidData(object: body.object, reason: "unsupported prng_type \(rawType)")
            }
            return UniformRandomGeneratorInfo(type: type, seed: PRNGSeed(unchecked: try body.readWords(8)))
        }
    }
}
