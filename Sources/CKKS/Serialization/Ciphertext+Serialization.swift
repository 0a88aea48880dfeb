extension Ciphertext: SEALMembersLoadable {
    /// The ciphertext's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized ciphertext.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads ciphertext from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "ciphertext".
    public static var objectName: String { "ciphertext" }

    /// Writes parms_id (32), is_ntt_form (u8), size, N, k (u64 each), scale (f64), correction_factor (u64,
    /// SEAL 4.x) and the words as a DynArray: 113 + 8 size N k bytes.
    ///
    /// When ``isSeeded``, the DynArray holds only c0 and the 81-byte PRNG info follows (113 + 8Nk + 81 bytes), as
    /// SEAL writes seeded ciphertexts.
    /// - Note: SEAL: ciphertext.cpp `Ciphertext::save_members`.
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) {
        writer.write(words: parmsID.words)
        writer.write(UInt8(isNTTForm ? 1 : 0))
        writer.write(UInt64(size))
        writer.write(UInt64(polyModulusDegree))
        writer.write(UInt64(coeffModulusSize))
        writer.write(scale)
        writer.write(correctionFactor)
        if isSeeded, let seed {
            SEALSerialization.writeDynArray(data[polynomialRange(0)], into: &writer, version: version)
            SEALSerialization.writePRNGInfo(seed, into: &writer, version: version)
        } else {
            SEALSerialization.writeDynArray(data[...], into: &writer, version: version)
        }
    }

    /// Parses a ciphertext at a data level (the key level is refused), expanding a seeded c1 with the PRNG the
    /// file names, as SEAL's `Ciphertext::load`.
    /// - Throws: ``CKKSError`` for an unknown parms_id, N or k not those of the level, a size outside
    ///   {0, 2...16}, coefficient form, a bad scale, a correction factor other than 1, a word count that is
    ///   neither full nor seeded, an unknown PRNG type, or an unreduced word.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> Ciphertext
    {
        try load(from: &reader, header: header, context: context, object: objectName, keyLevel: false)
    }

    /// A ciphertext of up to 16 polynomials at the first data level.
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        SEALSerialization.ciphertextMemberBound(
            degree: context.parameters.polyModulusDegree, limbs: context.firstContextData.coeffModulus.count,
            size: 16)
    }

    /// Shared by ciphertexts (data levels) and public keys (the key level only).
    static func load(
        from reader: inout ByteReader, header: SEALHeader, context: CKKSContext, object: String, keyLevel: Bool
    ) throws -> Ciphertext {
        let parmsID = try SEALValidation.parmsID(&reader)
        let isNTTForm = try reader.readUInt8() != 0
        let size = try reader.readCount("size")
        let degree = try reader.readCount("poly_modulus_degree")
        let limbs = try reader.readCount("coeff_modulus_size")
        let scale = try reader.readDouble()
        let correctionFactor = header.versionMajor == 4 ? try reader.readUInt64() : 1

        let level = try SEALValidation.level(parmsID, context: context, object: object, allowKeyLevel: keyLevel)
        if keyLevel && parmsID != context.keyParmsID {
            throw CKKSError.invalidData(object: object, reason: "parms_id is not the key level")
        }
        guard degree == level.polyModulusDegree else {
            throw CKKSError.sizeMismatch(
                object: object, field: "poly_modulus_degree", expected: level.polyModulusDegree, found: degree)
        }
        guard limbs == level.coeffModulus.count else {
            throw CKKSError.sizeMismatch(
                object: object, field: "coeff_modulus_size", expected: level.coeffModulus.count, found: limbs)
        }
        guard size == 0 || (2...16).contains(size) else {
            throw CKKSError.invalidData(object: object, reason: "size \(size) is not 0 or 2...16")
        }
        guard isNTTForm else { throw CKKSError.invalidData(object: object, reason: "CKKS data must be in NTT form") }
        try SEALValidation.scale(scale, object: object)
        guard correctionFactor == 1 else {
            throw CKKSError.invalidData(object: object, reason: "correction factor \(correctionFactor) is not 1")
        }

        let polyWords = degree * limbs
        let total = size * polyWords
        var data = try SEALSerialization.readDynArray(from: &reader, maxCount: total, capacity: total)
        var seed: UniformRandomGeneratorInfo?
        if data.count != total {
            guard data.count == polyWords, size == 2 else {
                throw CKKSError.sizeMismatch(object: object, field: "word count", expected: total, found: data.count)
            }
            let info = try SEALSerialization.readPRNGInfo(from: &reader, header: header)
            // c1 is expanded straight into the array's reserved tail.
            data.append(contentsOf: repeatElement(0, count: polyWords))
            try data.withUnsafeMutableBufferPointer { words in
                try expandSeed(
                    info, level: level, header: header, into: UnsafeMutableBufferPointer(rebasing: words[polyWords...]))
            }
            seed = info
        }
        try SEALValidation.reduced(data, degree: degree, moduli: level.coeffModulus.map(\.value), object: object)
        // Every field was validated above and c1 was expanded from `seed` right here.
        var ciphertext = Ciphertext(
            unchecked: parmsID, size: size, polyModulusDegree: degree, coeffModulusSize: limbs, scale: scale,
            data: data)
        ciphertext.setSeedUnchecked(seed)
        return ciphertext
    }

    /// c1 regenerated from a seed with the sampler of the file's version (`Ciphertext::expand_seed`): SEAL 4.x
    /// and 3.6+ use today's uniform sampler, 3.5 and 3.4 their own.
    /// - Parameters:
    ///   - info: the PRNG kind and seed.
    ///   - level: the ciphertext's level (N and its k primes).
    ///   - header: the file's header, whose version picks the sampler.
    ///   - c1: `N·k` words to overwrite.
    /// - Throws: ``CKKSError/invalidData(object:reason:)`` for an unknown PRNG type.
    /// - Note: SEAL: ciphertext.cpp `Ciphertext::expand_seed`.
    static func expandSeed(
        _ info: UniformRandomGeneratorInfo, level: ContextData, header: SEALHeader,
        into c1: UnsafeMutableBufferPointer<UInt64>
    ) throws {
        var rng = try info.makeGenerator()
        let n = level.polyModulusDegree
        let moduli = level.coeffModulus
        switch (header.versionMajor, header.versionMinor) {
        case (3, 4): RLWESampler.sampleUniformSEAL34(into: c1, degree: n, moduli: moduli, using: &rng)
        case (3, 5): RLWESampler.sampleUniformSEAL35(into: c1, degree: n, moduli: moduli, using: &rng)
        default: RLWESampler.sampleUniform(into: c1, degree: n, moduli: moduli, using: &rng)
        }
    }
}

extension PublicKey: SEALMembersLoadable {
    /// The public key's SEAL bytes (``SEALSerializable/serialized(version:comprMode:)``).
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default).
    ///   - comprMode: compression (none by default).
    /// - Returns: The serialized public key.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    public func serialized(version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none) throws
        -> [UInt8]
    {
        try sealBytes(version: version, comprMode: comprMode)
    }

    /// Loads public key from SEAL bytes (``SEALLoadable/init(serialized:range:context:)``).
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws {
        self = try Self.sealLoad(bytes, range: range, context: context)
    }

    /// "public key".
    public static var objectName: String { "public key" }

    /// Writes the key exactly as its ``Ciphertext`` (seeded when the ciphertext carries its seed).
    /// - Note: SEAL: publickey.h `PublicKey::save_members`.
    package func saveMembers(into writer: inout ByteWriter, version: SEALVersion) {
        data.saveMembers(into: &writer, version: version)
    }

    /// Parses a public key: a size-2 NTT-form ciphertext at the key parms_id.
    /// - Throws: ``CKKSError`` as for a ciphertext, or for another level or size.
    package static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws
        -> PublicKey
    {
        let ciphertext = try Ciphertext.load(
            from: &reader, header: header, context: context, object: objectName, keyLevel: true)
        guard ciphertext.size == 2 else {
            throw CKKSError.sizeMismatch(object: objectName, field: "size", expected: 2, found: ciphertext.size)
        }
        return PublicKey(data: ciphertext)
    }

    /// A size-2 ciphertext at the key level.
    package static func maxMemberByteCount(context: CKKSContext) -> Int {
        SEALSerialization.ciphertextMemberBound(
            degree: context.parameters.polyModulusDegree, limbs: context.keyContextData.coeffModulus.count, size: 2)
    }
}
