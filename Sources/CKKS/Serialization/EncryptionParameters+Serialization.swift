import NTT

extension EncryptionParameters: SEALMembersWritable {
    /// The parameters' SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized parameters.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// "encryption parameters".
    public static var objectName: String { "encryption parameters" }

    /// Writes scheme (u8, 2 = CKKS), N (u64), k (u64), k Modulus objects and the plain modulus 0 as a Modulus
    /// object: 16 + 17 + 24k + 24 bytes in all.
    /// - Note: SEAL: encryptionparams.cpp `EncryptionParameters::save_members`.
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) {
        writer.write(Self.ckksSchemeByte)
        writer.write(UInt64(polyModulusDegree))
        writer.write(UInt64(coeffModulus.count))
        for q in coeffModulus { SEALSerialization.writeModulus(q.value, into: &writer, version: version) }
        SEALSerialization.writeModulus(0, into: &writer, version: version)
    }

    /// Loads parameters from SEAL bytes; they need no context (SEAL's `EncryptionParameters::load`).
    /// - Parameter bytes: the serialized parameters (any compression), nothing after them.
    /// - Throws: ``CKKSError`` naming the problem: not CKKS, degree or modulus count out of range, a zero or
    ///   too-wide modulus, a non-zero plain modulus.
    public init(serialized bytes: [UInt8]) throws {
        self = try SEALSerialization.load(bytes, object: Self.objectName, maxMemberBytes: Self.maxMemberByteCount) {
            reader, _ in
            try Self.loadMembers(from: &reader)
        }
    }

    /// Loads parameters from a SEAL file.
    /// - Parameter path: the file.
    /// - Throws: ``CKKSError/fileError(path:reason:)`` naming the file and the problem.
    public init(contentsOfFile path: String) throws {
        let bytes = try SEALFile.read(path)
        do {
            try self.init(serialized: bytes)
        } catch let error as CKKSError {
            throw CKKSError.fileError(path: path, reason: error.description)
        }
    }

    /// The most member bytes of parameters: scheme, N and k, then 256 coefficient moduli and the plain modulus
    /// (24 bytes each with their headers).
    static let maxMemberByteCount = 17 + 24 * (CoeffModulus.maxModulusCount + 1)

    static func loadMembers(from reader: inout ByteReader) throws -> EncryptionParameters {
        let object = reader.object
        let scheme = try reader.readUInt8()
        guard scheme == ckksSchemeByte else {
            throw CKKSError.invalidData(object: object, reason: "scheme \(scheme) is not CKKS (2)")
        }
        let degree = try reader.readCount("poly_modulus_degree")
        guard degree <= CoeffModulus.degreeRange.upperBound else {
            throw CKKSError.invalidData(object: object, reason: "poly_modulus_degree \(degree) exceeds 131072")
        }
        let count = try reader.readCount("coeff_modulus size")
        guard count <= CoeffModulus.maxModulusCount else {
            throw CKKSError.invalidData(object: object, reason: "\(count) coefficient moduli exceed 256")
        }
        var moduli: [Modulus] = []
        for _ in 0..<count {
            let value = try SEALSerialization.readModulusValue(from: &reader)
            guard let modulus = try? Modulus(value) else {
                throw CKKSError.invalidData(object: object, reason: "coefficient modulus \(value) is not set")
            }
            moduli.append(modulus)
        }
        let plain = try SEALSerialization.readModulusValue(from: &reader)
        guard plain == 0 else {
            throw CKKSError.invalidData(object: object, reason: "plain modulus \(plain) is not 0, as CKKS requires")
        }
        do {
            return try EncryptionParameters(polyModulusDegree: degree, coeffModulus: moduli)
        } catch let CKKSError.invalidParameters(why) {
            throw CKKSError.invalidData(object: object, reason: why)
        }
    }
}
