import CKKS
import Foundation
import Testing

/// Every kind of bad input gives a ``CKKSError`` naming the problem, never a crash.
struct SerializationErrorTests {
    let context = SEALVectors.context
    let ctBytes = try! SEALVectors.bytes("ct_pk.bin")

    func loadCt(_ bytes: [UInt8]) throws -> Ciphertext { try Ciphertext(serialized: bytes, context: context) }

    func setWord(_ bytes: inout [UInt8], at offset: Int, _ value: UInt64) {
        for b in 0..<8 { bytes[offset + b] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(b))) }
    }

    @Test func wrongMagic() {
        var bytes = ctBytes
        bytes[0] = 0x5F
        #expect(throws: CKKSError.wrongMagic(found: 0xA15F)) { try loadCt(bytes) }
        #expect(throws: CKKSError.wrongMagic(found: 0x4b50)) { try loadCt(Array("PK\u{3}\u{4}zip file header".utf8)) }
    }

    @Test func truncated() {
        #expect(
            throws: CKKSError.truncated(
                object: "ciphertext", needed: ctBytes.count - 16, available: ctBytes.count - 116)
        ) {
            try loadCt(Array(ctBytes.dropLast(100)))
        }
        #expect(throws: CKKSError.truncated(object: "ciphertext", needed: 16, available: 5)) {
            try loadCt(Array(ctBytes.prefix(5)))
        }
        #expect(throws: CKKSError.self) { try loadCt([]) }
    }

    @Test func unsupportedVersionAndCompression() {
        var v = ctBytes
        v[3] = 5
        #expect(throws: CKKSError.unsupportedVersion(major: 5, minor: 1)) { try loadCt(v) }
        var nested = ctBytes
        nested[89 + 4] = 9  // the DynArray's own header
        #expect(throws: CKKSError.unsupportedVersion(major: 4, minor: 9)) { try loadCt(nested) }
        var c = ctBytes
        c[5] = 7
        #expect(throws: CKKSError.unsupportedCompression(7)) { try loadCt(c) }
    }

    @Test func sizeMismatches() throws {
        // The header promises more bytes than the members use.
        var padded = ctBytes + [0, 0, 0, 0]
        setWord(&padded, at: 8, UInt64(padded.count))
        #expect(
            throws: CKKSError.sizeMismatch(
                object: "ciphertext", field: "header size", expected: ctBytes.count, found: padded.count)
        ) {
            try loadCt(padded)
        }
        // k that does not match the level.
        var k = ctBytes
        setWord(&k, at: 65, 2)
        #expect(
            throws: CKKSError.sizeMismatch(object: "ciphertext", field: "coeff_modulus_size", expected: 3, found: 2)
        ) {
            try loadCt(k)
        }
        // A plaintext whose coeff_count is not N k.
        var pt = try SEALVectors.bytes("pt1.bin")
        setWord(&pt, at: 48, 8192)
        #expect(
            throws: CKKSError.sizeMismatch(object: "plaintext", field: "coeff_count", expected: 3 * 8192, found: 8192)
        ) {
            try Plaintext(serialized: pt, context: context)
        }
        // A ciphertext size that its data does not fill (size 3, data of 2).
        var size = ctBytes
        setWord(&size, at: 49, 3)
        #expect(
            throws: CKKSError.sizeMismatch(
                object: "ciphertext", field: "word count", expected: 3 * 3 * 8192, found: 2 * 3 * 8192)
        ) {
            try loadCt(size)
        }
        var bad = ctBytes
        setWord(&bad, at: 49, 17)
        #expect(throws: CKKSError.self) { try loadCt(bad) }
    }

    @Test func parmsIDNotInContext() {
        var bytes = ctBytes
        bytes[16] ^= 1
        #expect {
            try loadCt(bytes)
        } throws: { error in
            guard case CKKSError.unknownParmsID(let object, _) = error else { return false }
            return object == "ciphertext" && "\(error)".contains("not in the context")
        }
    }

    @Test func keysAndDataAtTheWrongLevelOrSize() throws {
        // A public key is at the key level: not a ciphertext; a secret key is not a plaintext.
        #expect(throws: CKKSError.self) { try loadCt(SEALVectors.bytes("pk_full.bin")) }
        #expect(throws: CKKSError.self) { try Plaintext(serialized: SEALVectors.bytes("sk.bin"), context: context) }
        // And a data-level ciphertext is not a public key.
        #expect(throws: CKKSError.invalidData(object: "public key", reason: "parms_id is not the key level")) {
            try PublicKey(serialized: ctBytes, context: context)
        }
        // Relinearization keys with 2 keys where the decomposition needs 3.
        var rk = try RelinKeys(serialized: SEALVectors.bytes("rk_seeded.bin"), context: context)
        rk.keys.data[0].removeLast()
        #expect(
            throws: CKKSError.sizeMismatch(object: "relinearization keys", field: "key count", expected: 3, found: 2)
        ) {
            try RelinKeys(serialized: rk.serialized(), context: context)
        }
        // A public key of size 3.
        var pk = try PublicKey(serialized: SEALVectors.bytes("pk_full.bin"), context: context)
        pk.data.data += pk.data.data[pk.data.polynomialRange(1)]
        pk.data.size = 3
        #expect(throws: CKKSError.sizeMismatch(object: "public key", field: "size", expected: 2, found: 3)) {
            try PublicKey(serialized: pk.serialized(), context: context)
        }
    }

    /// A key list count whose byte size overflows is refused, not a crash (found by the seal-relin-keys fuzz
    /// harness, Fuzz/regressions/relin-keys-count-overflow.bin).
    @Test func hugeKeyListCount() throws {
        var rk = try SEALVectors.bytes("rk_seeded.bin")
        #expect(rk[5] == 0)  // compr_mode none: the count follows the header and the parms_id
        setWord(&rk, at: 16 + 32, 1 << 61)
        #expect(throws: CKKSError.self) { try RelinKeys(serialized: rk, context: context) }
        #expect(throws: CKKSError.self) { try GaloisKeys(serialized: rk, context: context) }
    }

    @Test func unreducedWordsAndBadMetadata() throws {
        var word = ctBytes
        setWord(&word, at: 113 + 8 * 5, UInt64.max)
        #expect(
            throws: CKKSError.invalidData(
                object: "ciphertext", reason: "word 5 of row 0 is not reduced modulo 1152921504606748673")
        ) {
            try loadCt(word)
        }
        var scale = ctBytes
        setWord(&scale, at: 73, 0)
        #expect(throws: CKKSError.self) { try loadCt(scale) }
        var cf = ctBytes
        setWord(&cf, at: 81, 2)
        #expect(throws: CKKSError.invalidData(object: "ciphertext", reason: "correction factor 2 is not 1")) {
            try loadCt(cf)
        }
        var ntt = ctBytes
        ntt[48] = 0
        #expect(throws: CKKSError.self) { try loadCt(ntt) }
        // A seeded file whose PRNG type is unknown.
        var seeded = try SEALVectors.bytes("ct_sym_seeded.bin")
        seeded[seeded.count - 65] = 9
        #expect(throws: CKKSError.invalidData(object: "ciphertext PRNG info", reason: "unsupported prng_type 9")) {
            try loadCt(seeded)
        }
    }

    @Test func badParameterFiles() throws {
        let parms = try SEALVectors.bytes("parms.bin")
        var bfv = parms
        bfv[16] = 1
        #expect(throws: CKKSError.invalidData(object: "encryption parameters", reason: "scheme 1 is not CKKS (2)")) {
            try EncryptionParameters(serialized: bfv)
        }
        var plain = parms
        setWord(&plain, at: parms.count - 8, 65537)
        #expect(throws: CKKSError.self) { try EncryptionParameters(serialized: plain) }
        var degree = parms
        setWord(&degree, at: 17, 1000)
        #expect(throws: CKKSError.self) { try EncryptionParameters(serialized: degree) }
        var zero = parms
        setWord(&zero, at: 16 + 17 + 16, 0)
        #expect(
            throws: CKKSError.invalidData(object: "encryption parameters", reason: "coefficient modulus 0 is not set")
        ) {
            try EncryptionParameters(serialized: zero)
        }
    }

    @Test func filesAreNamed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID()).bin").path
        #expect(throws: CKKSError.fileError(path: path, reason: "no such file")) {
            try Ciphertext(contentsOfFile: path, context: context)
        }
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).bin").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: bad))
        defer { try? FileManager.default.removeItem(atPath: bad) }
        #expect {
            try EncryptionParameters(contentsOfFile: bad)
        } throws: { error in
            "\(error)".hasPrefix(bad) && "\(error)".contains("truncated")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ct-\(UUID()).bin").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let ct = try loadCt(ctBytes)
        try ct.save(toFile: out)
        #expect(try Ciphertext(contentsOfFile: out, context: context) == ct)
    }
}

/// SEAL 3.x files: no correction factor, and seeded data expanded with that version's sampler and a raw seed.
@Test func seal3CiphertextsLoad() throws {
    let context = SEALVectors.context
    let full = try Ciphertext(serialized: SEALVectors.bytes("ct_sym_full.bin"), context: context)
    func header(_ size: Int) -> [UInt8] {
        SEALHeader(versionMajor: 3, versionMinor: 6, comprMode: .none, size: UInt64(size)).bytes
    }
    var members = ByteWriter()
    members.write(words: full.parmsID.words)
    members.write(UInt8(1))
    for field in [UInt64(2), 8192, 3] { members.write(field) }
    members.write(full.scale)
    members.write(bytes: header(24 + 8 * full.data.count))
    members.write(UInt64(full.data.count))
    members.write(words: full.data)
    let file = header(16 + members.bytes.count) + members.bytes
    #expect(try Ciphertext(serialized: file, context: context) == full)

    // A 3.5 seeded ciphertext: c0, then the raw 64-byte BLAKE2Xb seed; c1 from SEAL 3.5's sampler.
    let seed = try PRNGSeed(words: (1...8).map { UInt64($0) * 0x1111 })
    var seeded = ByteWriter()
    seeded.write(words: full.parmsID.words)
    seeded.write(UInt8(1))
    for field in [UInt64(2), 8192, 3] { seeded.write(field) }
    seeded.write(full.scale)
    let c0 = Array(full.data[full.polynomialRange(0)])
    seeded.write(
        bytes: SEALHeader(versionMajor: 3, versionMinor: 5, comprMode: .none, size: UInt64(24 + 8 * c0.count)).bytes)
    seeded.write(UInt64(c0.count))
    seeded.write(words: c0)
    seeded.write(words: seed.words)
    let file35 =
        SEALHeader(versionMajor: 3, versionMinor: 5, comprMode: .none, size: UInt64(16 + seeded.bytes.count)).bytes
        + seeded.bytes
    let loaded = try Ciphertext(serialized: file35, context: context)
    var rng = SEALPRNG(type: .blake2xb, seed: seed)
    var c1 = [UInt64](repeating: 0, count: c0.count)
    c1.withUnsafeMutableBufferPointer {
        RLWESampler.sampleUniformSEAL35(
            into: $0, degree: 8192, moduli: context.firstContextData.coeffModulus, using: &rng)
    }
    #expect(Array(loaded.data[loaded.polynomialRange(1)]) == c1)
    #expect(Array(loaded.data[loaded.polynomialRange(0)]) == c0)
}
