extension Plaintext: SEALMembersLoadable {
    /// The plaintext's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized plaintext.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads plaintext from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "plaintext".
    public static var objectName: String { "plaintext" }

    /// Writes parms_id (32 bytes), coeff_count (u64), scale (f64) and the words as a DynArray: 88 + 8Nk bytes.
    /// - Note: SEAL: plaintext.cpp `Plaintext::save_members`.
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) {
        writer.write(words: parmsID.words)
        writer.write(UInt64(data.count))
        writer.write(scale)
        SEALSerialization.writeDynArray(data[...], into: &writer, version: version)
    }

    /// Parses a plaintext at a data level (the key level is refused), as SEAL's `Plaintext::load`.
    /// - Throws: ``CKKSError`` for an unknown parms_id, a coefficient count that is not N k, a bad scale,
    ///   or a word not reduced modulo its prime.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> Plaintext
    {
        try load(from: &reader, context: context, object: objectName, keyLevel: false)
    }

    /// N·k words at the first data level.
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        SEALSerialization.plaintextMemberBound(
            degree: context.parameters.polyModulusDegree, limbs: context.firstContextData.coeffModulus.count)
    }

    /// Shared by plaintexts (data levels) and secret keys (the key level only).
    static func load(from reader: inout ByteReader, context: CKKSContext, object: String, keyLevel: Bool) throws
        -> Plaintext
    {
        let parmsID = try SEALValidation.parmsID(&reader)
        let coeffCount = try reader.readCount("coeff_count")
        let scale = try reader.readDouble()
        guard !parmsID.isZero else {
            throw CKKSError.invalidData(
                object: object, reason: "parms_id is zero (coefficient form), CKKS needs NTT form")
        }
        let level = try SEALValidation.level(parmsID, context: context, object: object, allowKeyLevel: keyLevel)
        if keyLevel && parmsID != context.keyParmsID {
            throw CKKSError.invalidData(object: object, reason: "parms_id is not the key level")
        }
        let expected = level.polyModulusDegree * level.coeffModulus.count
        guard coeffCount == expected else {
            throw CKKSError.sizeMismatch(object: object, field: "coeff_count", expected: expected, found: coeffCount)
        }
        try SEALValidation.scale(scale, object: object)
        let data = try SEALSerialization.readDynArray(from: &reader, maxCount: coeffCount)
        guard data.count == coeffCount else {
            throw CKKSError.sizeMismatch(object: object, field: "word count", expected: coeffCount, found: data.count)
        }
        try SEALValidation.reduced(
            data, degree: level.polyModulusDegree, moduli: level.coeffModulus.map(\.value), object: object)
        return Plaintext(parmsID: parmsID, scale: scale, data: data)
    }
}

extension SecretKey: SEALMembersLoadable {
    /// The secret key's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized secret key.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads secret key from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "secret key".
    public static var objectName: String { "secret key" }

    /// Writes the key exactly as its ``Plaintext``.
    /// - Note: SEAL: secretkey.h `SecretKey::save_members`.
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) {
        data.saveMembers(into: &writer, version: version)
    }

    /// Parses a secret key: a plaintext at the key parms_id.
    /// - Throws: ``CKKSError`` as for a plaintext, or if the parms_id is not the key level.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> SecretKey
    {
        SecretKey(data: try Plaintext.load(from: &reader, context: context, object: objectName, keyLevel: true))
    }

    /// N·k words at the key level.
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        SEALSerialization.plaintextMemberBound(
            degree: context.parameters.polyModulusDegree, limbs: context.keyContextData.coeffModulus.count)
    }
}
