extension KSwitchKeys: SEALMembersLoadable {
    /// The key-switching keys's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized key-switching keys.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads key-switching keys from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "key-switching keys".
    public static var objectName: String { "key-switching keys" }

    /// Writes parms_id (32), the outer count (u64), then per entry its key count (u64) and that many complete
    /// ``PublicKey`` objects, each with its own uncompressed header.
    /// - Note: SEAL: kswitchkeys.cpp `KSwitchKeys::save_members`.
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) throws {
        writer.write(words: parmsID.words)
        writer.write(UInt64(data.count))
        for keys in data {
            writer.write(UInt64(keys.count))
            for key in keys { try key.saveNested(into: &writer, version: version) }
        }
    }

    /// Parses key-switching keys at the key level; each non-empty entry must hold one public key per prime of
    /// the first data level.
    /// - Throws: ``CKKSError`` for another parms_id, a wrong key count, or an invalid public key.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> KSwitchKeys
    {
        try load(from: &reader, context: context, object: objectName)
    }

    /// Up to N key lists (as many as Galois elements), each of one public key per prime of the first data level.
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        memberBound(lists: context.parameters.polyModulusDegree, context: context)
    }

    /// parms_id and the list count, then per list its count and its public keys (header included), capped at
    /// ``SEALSerialization/maxInflatedByteCount``.
    static func memberBound(lists: Int, context: CKKSContext) -> Int {
        let key = SEALHeader.byteCount + PublicKey.maxMemberByteCount(context: context)
        let list = 8 + context.firstContextData.coeffModulus.count * key
        let (all, overflow) = lists.multipliedReportingOverflow(by: list)
        return overflow ? SEALSerialization.maxInflatedByteCount : min(40 + all, SEALSerialization.maxInflatedByteCount)
    }

    static func load(from reader: inout ByteReader, context: CKKSContext, object: String) throws -> KSwitchKeys {
        let parmsID = try SEALValidation.parmsID(&reader)
        guard context.contextData(for: parmsID) != nil else {
            throw CKKSError.unknownParmsID(object: object, parmsID: parmsID)
        }
        guard parmsID == context.keyParmsID else {
            throw CKKSError.invalidData(object: object, reason: "parms_id is not the key level")
        }
        let decompositionCount = context.firstContextData.coeffModulus.count
        let outer = try reader.readCount("key list count")
        // Each entry takes at least its 8-byte count, which bounds the allocation by the input size.
        guard outer <= reader.remaining / 8 else {
            throw CKKSError.truncated(
                object: object, needed: outer > Int.max / 8 ? Int.max : 8 * outer, available: reader.remaining)
        }
        var data: [[PublicKey]] = []
        data.reserveCapacity(outer)
        for _ in 0..<outer {
            let count = try reader.readCount("key count")
            guard count == 0 || count == decompositionCount else {
                throw CKKSError.sizeMismatch(
                    object: object, field: "key count", expected: decompositionCount, found: count)
            }
            var keys: [PublicKey] = []
            for _ in 0..<count { keys.append(try PublicKey.loadNested(from: &reader, context: context)) }
            data.append(keys)
        }
        return KSwitchKeys(parmsID: parmsID, data: data)
    }
}

extension RelinKeys: SEALMembersLoadable {
    /// The relinearization keys's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized relinearization keys.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads relinearization keys from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "relinearization keys".
    public static var objectName: String { "relinearization keys" }

    /// Writes the underlying ``KSwitchKeys`` (RelinKeys adds no fields).
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) throws {
        try keys.saveMembers(into: &writer, version: version)
    }

    /// Parses relinearization keys as ``KSwitchKeys``.
    /// - Throws: ``CKKSError`` as for key-switching keys.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> RelinKeys
    {
        RelinKeys(keys: try KSwitchKeys.load(from: &reader, context: context, object: objectName))
    }

    /// Keys for s² through s^15 (``KeyGenerator/maxRelinKeyPower``).
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        KSwitchKeys.memberBound(lists: KeyGenerator.maxRelinKeyPower - 1, context: context)
    }
}

extension GaloisKeys: SEALMembersLoadable {
    /// The Galois keys's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized Galois keys.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads Galois keys from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "Galois keys".
    public static var objectName: String { "Galois keys" }

    /// Writes the underlying ``KSwitchKeys`` (GaloisKeys adds no fields).
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) throws {
        try keys.saveMembers(into: &writer, version: version)
    }

    /// Parses Galois keys as ``KSwitchKeys``; the outer list may be at most N long (elements are below 2N).
    /// - Throws: ``CKKSError`` as for key-switching keys, or for an outer list longer than N.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> GaloisKeys
    {
        let keys = try KSwitchKeys.load(from: &reader, context: context, object: objectName)
        let n = context.parameters.polyModulusDegree
        guard keys.data.count <= n else {
            throw CKKSError.sizeMismatch(
                object: objectName, field: "key list count", expected: n, found: keys.data.count)
        }
        return GaloisKeys(keys: keys)
    }

    /// Up to N key lists.
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        KSwitchKeys.maxMemberByteCount(context: context)
    }
}
