import NTT

/// The kinds of SEAL object this package reads.
public enum SEALObjectType: String, Sendable, CaseIterable {
    /// `EncryptionParameters`.
    case encryptionParameters = "EncryptionParameters"
    /// `Plaintext` (data level).
    case plaintext = "Plaintext"
    /// `SecretKey` (a plaintext at the key level).
    case secretKey = "SecretKey"
    /// `Ciphertext` (data level).
    case ciphertext = "Ciphertext"
    /// `PublicKey` (a size-2 ciphertext at the key level).
    case publicKey = "PublicKey"
    /// `RelinKeys`.
    case relinKeys = "RelinKeys"
    /// `GaloisKeys`.
    case galoisKeys = "GaloisKeys"
}

/// What a SEAL file holds: its header and the metadata of the object after it (never key material).
public struct SEALObjectSummary: Sendable, Equatable {
    /// The object's header.
    public var header: SEALHeader
    /// The object kind.
    ///
    /// Without a context, plaintexts and secret keys (and ciphertexts and public keys) share a layout;
    /// ``candidates`` then lists both and this is the data-level kind.
    public var type: SEALObjectType
    /// Every kind the layout fits (one entry when a context decided it).
    public var candidates: [SEALObjectType]
    /// Whether a context validated the object completely (levels, sizes, reduced words).
    public var validated: Bool
    /// The parms_id (absent for parameters, which carry none).
    public var parmsID: ParmsID?
    /// The level's chain index, when a context is known.
    public var chainIndex: Int?
    /// The scale of a plaintext or ciphertext.
    public var scale: Double?
    /// Number of polynomials of a ciphertext, or of non-empty key lists of key-switching keys.
    public var size: Int?
    /// N.
    public var polyModulusDegree: Int?
    /// Number of primes of the object's level (for parameters: of the key level).
    public var coeffModulusSize: Int?
    /// The primes, for parameters.
    public var coeffModulus: [UInt64]?
    /// Whether ciphertext data (or any key inside) is stored in seeded form.
    public var seeded: Bool?
    /// The Galois elements with keys, for Galois keys.
    public var galoisElements: [UInt64]?
}

/// Identifies a SEAL file's object from its layout, or — given a context — by loading it as each kind in turn
/// and keeping the one that validates.
public enum SEALObjectInspector {
    /// Summarizes the object at the start of `bytes`.
    /// - Parameters:
    ///   - bytes: a serialized SEAL object (any compression).
    ///   - context: the parameters it belongs to, if known; then the object is fully validated.
    /// - Returns: The header and object metadata.
    /// - Throws: ``CKKSError`` if the header is bad or no kind fits.
    public static func inspect(_ bytes: [UInt8], context: CKKSContext? = nil) throws -> SEALObjectSummary {
        var headerReader = ByteReader(bytes, object: "SEAL object")
        let header = try SEALHeader.parse(&headerReader)
        let payloadCount = try SEALSerialization.payloadCount(header, object: "SEAL object")
        try headerReader.require(payloadCount)
        let parameters: EncryptionParameters
        do {
            parameters = try EncryptionParameters(serialized: bytes)
        } catch let error as CKKSError {
            let payload = bytes[SEALHeader.byteCount..<SEALHeader.byteCount + payloadCount]
            do {
                if let context { return try inspect(bytes, header: header, context: context) }
                return try SEALSerialization.load(
                    bytes, object: "SEAL object", maxMemberBytes: try memberBound(payload, header: header)
                ) { reader, header in
                    try layout(&reader, header: header)
                }
            } catch let other as CKKSError {
                // An object that starts as CKKS parameters do is reported as parameters.
                let first = try SEALCompression.inflatedPrefix(
                    payload, mode: header.comprMode, object: "SEAL object", count: 1)
                if first.first == EncryptionParameters.ckksSchemeByte && !error.description.contains("not CKKS") {
                    throw error
                }
                throw other
            }
        }
        var s = SEALObjectSummary(
            header: header, type: .encryptionParameters, candidates: [.encryptionParameters], validated: true)
        s.polyModulusDegree = parameters.polyModulusDegree
        s.coeffModulusSize = parameters.coeffModulus.count
        s.coeffModulus = parameters.coeffModulus.map(\.value)
        s.parmsID = parameters.parmsID
        return s
    }

    /// How far a compressed object of unknown parameters may inflate: the largest size its first fields give
    /// for any layout (a ciphertext's size, N and k; a plaintext's coefficient count; key-switching keys' list
    /// count and the size in the first key's header), within SEAL's limits (N ≤ 131072, k ≤ 256).
    private static func memberBound(_ payload: ArraySlice<UInt8>, header: SEALHeader) throws -> Int {
        guard header.comprMode != .none else { return payload.count }
        let prefix = try SEALCompression.inflatedPrefix(
            payload, mode: header.comprMode, object: "SEAL object", count: 1 << 12)
        var bound = EncryptionParameters.maxMemberByteCount
        func word(_ offset: Int) -> Int? {
            guard offset + 8 <= prefix.count else { return nil }
            var value: UInt64 = 0
            for k in (0..<8).reversed() { value = value << 8 | UInt64(prefix[offset + k]) }
            return Int(exactly: value)
        }
        let maxDegree = 131_072
        let maxLimbs = CoeffModulus.maxModulusCount
        // Ciphertext: parms_id, NTT flag, then size, N, k.
        if let size = word(33), let degree = word(41), let limbs = word(49), size <= 16, degree <= maxDegree,
            limbs <= maxLimbs
        {
            bound = max(bound, SEALSerialization.ciphertextMemberBound(degree: degree, limbs: limbs, size: size))
        }
        // Plaintext: parms_id, then the coefficient count.
        if let count = word(32), count <= maxDegree * maxLimbs {
            bound = max(bound, SEALSerialization.plaintextMemberBound(degree: count, limbs: 1))
        }
        // Key-switching keys: parms_id, the list count, then per list a count and that many keys, each with a
        // header; the first non-empty list's first key sizes them all.
        if let lists = word(32), lists <= maxDegree {
            var offset = 40
            var seen = 0
            while seen < lists {
                guard let count = word(offset) else {
                    bound = SEALSerialization.maxInflatedByteCount  // beyond the prefix: unknown
                    break
                }
                guard count > 0 else {
                    offset += 8
                    seen += 1
                    continue
                }
                if count <= maxLimbs, offset + 10 <= prefix.count, prefix[offset + 8] == 0x5E,
                    prefix[offset + 9] == 0xA1, let size = word(offset + 16)
                {
                    let (all, overflow) = lists.multipliedReportingOverflow(by: 8 + count * min(size, 1 << 40))
                    bound = max(bound, overflow ? SEALSerialization.maxInflatedByteCount : 40 + all)
                }
                break
            }
            if seen == lists { bound = max(bound, 40 + 8 * lists) }
        }
        return min(bound, SEALSerialization.maxInflatedByteCount)
    }

    private static func inspect(_ bytes: [UInt8], header: SEALHeader, context: CKKSContext) throws
        -> SEALObjectSummary
    {
        func summary(_ type: SEALObjectType, _ parmsID: ParmsID) -> SEALObjectSummary {
            var s = SEALObjectSummary(header: header, type: type, candidates: [type], validated: true)
            s.parmsID = parmsID
            s.chainIndex = context.contextData(for: parmsID)?.chainIndex
            return s
        }
        func fromCiphertext(_ ct: Ciphertext, _ type: SEALObjectType) -> SEALObjectSummary {
            var s = summary(type, ct.parmsID)
            s.scale = ct.scale
            s.size = ct.size
            s.polyModulusDegree = ct.polyModulusDegree
            s.coeffModulusSize = ct.coeffModulusSize
            s.seeded = ct.isSeeded
            return s
        }
        func fromPlaintext(_ pt: Plaintext, _ type: SEALObjectType) -> SEALObjectSummary {
            var s = summary(type, pt.parmsID)
            s.scale = pt.scale
            s.polyModulusDegree = context.parameters.polyModulusDegree
            s.coeffModulusSize = pt.coeffCount / context.parameters.polyModulusDegree
            return s
        }
        func fromKeys(_ keys: KSwitchKeys, _ type: SEALObjectType) -> SEALObjectSummary {
            var s = summary(type, keys.parmsID)
            s.size = keys.size
            s.polyModulusDegree = context.parameters.polyModulusDegree
            s.coeffModulusSize = context.keyContextData.coeffModulus.count
            s.seeded = keys.data.contains { $0.contains { $0.data.isSeeded } }
            return s
        }
        var firstError: CKKSError?
        func attempt<T>(_ load: () throws -> T) -> T? {
            do { return try load() } catch let error as CKKSError {
                if firstError == nil { firstError = error }
                return nil
            } catch { return nil }
        }
        if let ct = attempt({ try Ciphertext(serialized: bytes, context: context) }) {
            return fromCiphertext(ct, .ciphertext)
        }
        if let pk = attempt({ try PublicKey(serialized: bytes, context: context) }) {
            return fromCiphertext(pk.data, .publicKey)
        }
        if let pt = attempt({ try Plaintext(serialized: bytes, context: context) }) {
            return fromPlaintext(pt, .plaintext)
        }
        if let sk = attempt({ try SecretKey(serialized: bytes, context: context) }) {
            return fromPlaintext(sk.data, .secretKey)
        }
        if let keys = attempt({ try KSwitchKeys(serialized: bytes, context: context) }) {
            if SEALObjectInspector.looksLikeRelinKeys(keys.data.map(\.count)) { return fromKeys(keys, .relinKeys) }
            var s = fromKeys(keys, .galoisKeys)
            s.galoisElements = GaloisKeys(keys: keys).galoisElements
            return s
        }
        // Report why the likeliest kind failed: the layout tells which kind it is.
        if let layoutSummary = try? inspect(bytes, context: nil) {
            let loaders: [SEALObjectType: () throws -> Void] = [
                .ciphertext: { _ = try Ciphertext(serialized: bytes, context: context) },
                .plaintext: { _ = try Plaintext(serialized: bytes, context: context) },
                .relinKeys: { _ = try RelinKeys(serialized: bytes, context: context) },
                .galoisKeys: { _ = try GaloisKeys(serialized: bytes, context: context) },
            ]
            try loaders[layoutSummary.type]?()
        }
        throw firstError ?? CKKSError.invalidData(object: "SEAL object", reason: "no known object layout fits")
    }

    /// Whether key-switching keys with these per-entry key counts are relinearization keys: SEAL's generator
    /// makes one entry (s²), ours s² … s^p with every entry filled (at most 14); Galois keys have N entries,
    /// mostly empty.
    static func looksLikeRelinKeys(_ counts: [Int]) -> Bool {
        counts.count == 1 || (counts.count < KeyGenerator.maxRelinKeyPower && !counts.contains(0))
    }

    /// Context-free recognition: walks the members as each layout and keeps the one that consumes them exactly.
    private static func layout(_ reader: inout ByteReader, header: SEALHeader) throws -> SEALObjectSummary {
        let start = reader
        if var r = Optional(start), let s = try? ciphertextLayout(&r, header: header), r.remaining == 0 {
            var summary = SEALObjectSummary(
                header: header, type: .ciphertext, candidates: [.ciphertext, .publicKey], validated: false)
            summary.parmsID = s.parmsID
            summary.scale = s.scale
            summary.size = s.size
            summary.polyModulusDegree = s.degree
            summary.coeffModulusSize = s.limbs
            summary.seeded = s.seeded
            reader = r
            return summary
        }
        if var r = Optional(start), let s = try? plaintextLayout(&r), r.remaining == 0 {
            var summary = SEALObjectSummary(
                header: header, type: .plaintext, candidates: [.plaintext, .secretKey], validated: false)
            summary.parmsID = s.parmsID
            summary.scale = s.scale
            reader = r
            return summary
        }
        if var r = Optional(start), let s = try? keysLayout(&r), r.remaining == 0 {
            let type: SEALObjectType = looksLikeRelinKeys(s.lists) ? .relinKeys : .galoisKeys
            var summary = SEALObjectSummary(header: header, type: type, candidates: [type], validated: false)
            summary.parmsID = s.parmsID
            summary.size = s.lists.filter { $0 > 0 }.count
            summary.polyModulusDegree = s.degree
            summary.coeffModulusSize = s.limbs
            summary.seeded = s.seeded
            if type == .galoisKeys {
                summary.galoisElements = s.lists.indices.filter { s.lists[$0] > 0 }.map { UInt64(2 * $0 + 1) }
            }
            reader = r
            return summary
        }
        throw CKKSError.invalidData(object: "SEAL object", reason: "no known object layout fits")
    }

    private struct CiphertextLayout {
        var parmsID: ParmsID, size: Int, degree: Int, limbs: Int, scale: Double, seeded: Bool
    }

    private static func ciphertextLayout(_ reader: inout ByteReader, header: SEALHeader) throws -> CiphertextLayout {
        let parmsID = try SEALValidation.parmsID(&reader)
        let ntt = try reader.readUInt8()
        guard ntt <= 1 else { throw CKKSError.invalidData(object: "layout", reason: "not a flag") }
        let size = try reader.readCount("size")
        let degree = try reader.readCount("degree")
        let limbs = try reader.readCount("limbs")
        let scale = try reader.readDouble()
        if header.versionMajor == 4 { _ = try reader.readUInt64() }
        let (polyWords, o1) = degree.multipliedReportingOverflow(by: limbs)
        let (total, o2) = polyWords.multipliedReportingOverflow(by: size)
        guard !o1, !o2, size <= 16 else { throw CKKSError.invalidData(object: "layout", reason: "sizes overflow") }
        let words = try SEALSerialization.readDynArray(from: &reader, maxCount: total)
        var seeded = false
        if words.count != total {
            guard words.count == polyWords, size == 2 else {
                throw CKKSError.invalidData(object: "layout", reason: "word count")
            }
            _ = try SEALSerialization.readPRNGInfo(from: &reader, header: header)
            seeded = true
        }
        return CiphertextLayout(
            parmsID: parmsID, size: size, degree: degree, limbs: limbs, scale: scale, seeded: seeded)
    }

    private static func plaintextLayout(_ reader: inout ByteReader) throws -> (parmsID: ParmsID, scale: Double) {
        let parmsID = try SEALValidation.parmsID(&reader)
        let count = try reader.readCount("coeff_count")
        let scale = try reader.readDouble()
        let words = try SEALSerialization.readDynArray(from: &reader, maxCount: count)
        guard words.count == count else { throw CKKSError.invalidData(object: "layout", reason: "word count") }
        return (parmsID, scale)
    }

    private static func keysLayout(_ reader: inout ByteReader) throws
        -> (parmsID: ParmsID, lists: [Int], degree: Int?, limbs: Int?, seeded: Bool)
    {
        let parmsID = try SEALValidation.parmsID(&reader)
        let outer = try reader.readCount("outer")
        guard outer <= reader.remaining / 8 else { throw CKKSError.invalidData(object: "layout", reason: "outer") }
        var lists: [Int] = []
        var degree: Int?
        var limbs: Int?
        var seeded = false
        for _ in 0..<outer {
            let count = try reader.readCount("count")
            guard count <= reader.remaining / 16 else { throw CKKSError.invalidData(object: "layout", reason: "count") }
            for _ in 0..<count {
                let key = try SEALSerialization.loadObject(from: &reader, object: "key") { body, header in
                    try ciphertextLayout(&body, header: header)
                }
                degree = key.degree
                limbs = key.limbs
                seeded = seeded || key.seeded
            }
            lists.append(count)
        }
        return (parmsID, lists, degree, limbs, seeded)
    }
}
