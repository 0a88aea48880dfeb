import CKKS
import NTT
import Testing

@Test func ciphertextLayoutAndSeedBookkeeping() throws {
    let context = try CKKSContext(try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [27]))
    let ct3 = Ciphertext(zeroAt: context.firstContextData, size: 3, scale: 4)
    #expect(ct3.data.count == 3 * 1024 && ct3.polynomialWordCount == 1024)
    #expect(ct3.polynomialRange(2) == 2048..<3072 && ct3.limbRange(polynomial: 1, limb: 0) == 1024..<2048)
    let encryptor = try Encryptor(context: context, secretKey: KeyGenerator(context: context).secretKey)
    var ct = try encryptor.encryptZeroSymmetric(seeded: true)
    #expect(ct.isSeeded)
    ct.data[5] ^= 1  // any change to the words drops the seed (package code can still write them)
    #expect(ct.seed == nil && !ct.isSeeded)
    let pt = Plaintext(zeroAt: context.firstContextData, scale: 2)
    #expect(pt.isNTTForm && pt.coeffCount == 1024)
    #expect(!Plaintext(parmsID: .zero, scale: 1, data: [1]).isNTTForm)
}

@Test func keyIndicesAreSEALs() throws {
    #expect(try RelinKeys.index(keyPower: 2) == 0)
    #expect(throws: CKKSError.self) { try RelinKeys.index(keyPower: 1) }
    // N = 8192: step 1 -> g = 3 at index 1; step -1 -> g = 10923 at 5461; conjugation 16383 at 8191.
    #expect(try GaloisKeys.index(galoisElement: 3) == 1)
    #expect(try GaloisKeys.index(galoisElement: 10923) == 5461)
    #expect(try GaloisKeys.index(galoisElement: 16383) == 8191)
    #expect(throws: CKKSError.self) { try GaloisKeys.index(galoisElement: 4) }
    let key = PublicKey(
        data: try Ciphertext(
            parmsID: .zero, size: 2, polyModulusDegree: 1, coeffModulusSize: 1, scale: 1, data: [0, 0]))
    var outer = [[PublicKey]](repeating: [], count: 8)
    outer[1] = [key]
    outer[7] = [key]
    let gk = GaloisKeys(keys: KSwitchKeys(parmsID: .zero, data: outer))
    #expect(gk.galoisElements == [3, 15] && gk.keys.size == 2)
    #expect(gk.hasKey(galoisElement: 15) && !gk.hasKey(galoisElement: 5) && !gk.hasKey(galoisElement: 99))
    #expect(throws: CKKSError.self) { try gk.key(galoisElement: 5) }
    let rk = RelinKeys(keys: KSwitchKeys(parmsID: .zero, data: [[key]]))
    #expect(try rk.key(keyPower: 2) == [key] && !rk.hasKey(keyPower: 3))
}

/// The public initialisers refuse parts that disagree, above all a seed that is not c1's: the seeded form
/// writes the seed in place of c1, so a wrong one would silently change the ciphertext in the file.
@Test func ciphertextInitialisersRefuseInconsistentParts() throws {
    // A toy ring with a special prime (so the key level differs from the data level), fast and not secure.
    let context = try CKKSContext(
        try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [27, 27]), securityLevel: .none)
    let level = context.firstContextData
    let id = level.parmsID
    func make(size: Int = 2, n: Int = 1024, k: Int = 1, scale: Double = 1, words: Int? = nil) throws -> Ciphertext {
        try Ciphertext(
            parmsID: id, size: size, polyModulusDegree: n, coeffModulusSize: k, scale: scale,
            data: [UInt64](repeating: 0, count: words ?? size * n * k))
    }
    #expect(try make().data.count == 2048)
    #expect(try make(size: 0).data.isEmpty)
    #expect(throws: CKKSError.self) { try make(words: 2047) }
    #expect(throws: CKKSError.self) { try make(size: 1) }
    #expect(throws: CKKSError.self) { try make(size: -2, words: 0) }
    #expect(throws: CKKSError.self) { try make(n: 0, words: 0) }
    #expect(throws: CKKSError.self) { try make(scale: 0) }
    #expect(throws: CKKSError.self) { try make(scale: .nan) }
    #expect(throws: CKKSError.self) {
        try Ciphertext(
            parmsID: id, size: 2, polyModulusDegree: 1024, coeffModulusSize: 1, scale: 1, isNTTForm: false,
            data: [UInt64](repeating: 0, count: 2048))
    }

    // A real seeded encryption: its seed is accepted with its own words, and the result saves exactly as the
    // encryptor's ciphertext does.
    let encryptor = try Encryptor(context: context, secretKey: KeyGenerator(context: context).secretKey)
    let seeded = try encryptor.encryptZeroSymmetric(seeded: true)
    let seed = try #require(seeded.seed)
    func withSeed(_ data: [UInt64], _ seed: UniformRandomGeneratorInfo, size: Int = 2) throws -> Ciphertext {
        try Ciphertext(
            parmsID: id, size: size, polyModulusDegree: 1024, coeffModulusSize: 1, scale: 1, data: data, seed: seed,
            context: context)
    }
    let rebuilt = try withSeed(seeded.data, seed)
    #expect(rebuilt.isSeeded)
    #expect(try rebuilt.serialized() == seeded.serialized())

    // Another seed, a changed c1 word, a changed kind of PRNG: all refused, so none can reach a file.
    let other = UniformRandomGeneratorInfo(type: .blake2xb, seed: .random())
    #expect(throws: CKKSError.self) { try withSeed(seeded.data, other) }
    var tampered = seeded.data
    tampered[1024 + 7] ^= 1
    #expect(throws: CKKSError.self) { try withSeed(tampered, seed) }
    let otherKind = UniformRandomGeneratorInfo(type: .shake256, seed: seed.seed)
    #expect(throws: CKKSError.self) { try withSeed(seeded.data, otherKind) }
    // c0 is free (a plaintext may have been added to it); c1 is what the seed stands for.
    var c0Changed = seeded.data
    c0Changed[3] ^= 1
    #expect(try withSeed(c0Changed, seed).isSeeded)
    // Only a two-polynomial ciphertext can carry a seed.
    #expect(throws: CKKSError.self) { try withSeed(seeded.data + [UInt64](repeating: 0, count: 1024), seed, size: 3) }
}

/// Nothing Swift prints or reflects shows a secret key's words.
@Test func secretKeysAreNeverPrinted() throws {
    // A toy ring with a special prime (so the key level differs from the data level), fast and not secure.
    let context = try CKKSContext(
        try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [27, 27]), securityLevel: .none)
    let key = KeyGenerator(context: context).secretKey
    // Ternary coefficients in NTT form are residues spread over [0, q): any printed one would show up as one of
    // these decimal strings. The key level's first words are checked (a printer would start there).
    let words = Set(key.data.data.prefix(64).map(String.init))
    var dumped = ""
    dump(key, to: &dumped)
    for text in [String(describing: key), String(reflecting: key), "\(key)", dumped, String(describing: [key])] {
        #expect(text.contains("redacted"), "\(text)")
        let leaked = words.filter { $0.count >= 7 && text.contains($0) }
        #expect(leaked.isEmpty, "\(text) shows key words \(leaked.sorted().prefix(3))")
    }
    // The package's comparison sees every word.
    var changed = key.data
    changed.data[1000] = (changed.data[1000] + 1) % context.keyContextData.coeffModulus[0].value
    #expect(key.hasSameCoefficients(as: key) && !key.hasSameCoefficients(as: SecretKey(data: changed)))
}
