import CKKS
import Foundation
import TestSupport
import Testing

/// Byte-for-byte round trips of SEAL 4.1.2's own files (vectors/seal-4.1.2-seeded, N = 8192, {60, 40, 40, 60}).
enum SEALVectors {
    static func bytes(_ name: String) throws -> [UInt8] {
        try [UInt8](RepositoryPaths.vector("seal-4.1.2-seeded/\(name)"))
    }

    static let context: CKKSContext = {
        // parms.bin is SEAL's own file; the test below checks it loads and re-saves identically.
        let parms = try! EncryptionParameters(serialized: try! bytes("parms.bin"))
        return try! CKKSContext(parms)
    }()
}

@Test func parametersRoundTripSEALFile() throws {
    let file = try SEALVectors.bytes("parms.bin")
    let parms = try EncryptionParameters(serialized: file)
    #expect(parms.polyModulusDegree == 8192 && parms.coeffModulus.count == 4)
    #expect(try parms.serialized() == file)
    #expect(file.count == 153)
    #expect(try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]).serialized() == file)
    let v44 = try parms.serialized(version: .v4_4)
    #expect(v44[4] == 4 && v44[16 + 17 + 4] == 4 && Array(v44[5...]).count == file.count - 5)
    #expect(try EncryptionParameters(serialized: v44) == parms)
}

@Test(arguments: ["pt1.bin", "pt_bigscale.bin", "dec_rescale.bin"])
func plaintextsRoundTrip(file: String) throws {
    let bytes = try SEALVectors.bytes(file)
    let pt = try Plaintext(serialized: bytes, context: SEALVectors.context)
    #expect(pt.isNTTForm)
    #expect(try pt.serialized() == bytes)
}

@Test(arguments: ["ct_pk.bin", "ct_sym_full.bin", "ev_mul.bin", "ev_rescale.bin", "ev_rot1_level1.bin"])
func ciphertextsRoundTrip(file: String) throws {
    let bytes = try SEALVectors.bytes(file)
    let ct = try Ciphertext(serialized: bytes, context: SEALVectors.context)
    #expect(ct.seed == nil && ct.correctionFactor == 1 && ct.isNTTForm)
    #expect(try ct.serialized() == bytes)
    if file == "ev_mul.bin" { #expect(ct.size == 3) }
    if file == "ev_rescale.bin" { #expect(ct.coeffModulusSize == 2 && ct.scale < 1.1e12) }
}

@Test func keysRoundTrip() throws {
    let context = SEALVectors.context
    let skBytes = try SEALVectors.bytes("sk.bin")
    let sk = try SecretKey(serialized: skBytes, context: context)
    #expect(sk.parmsID == context.keyParmsID && sk.data.scale == 1)
    #expect(try sk.serialized() == skBytes)
    #expect(!"\(sk)".contains(String(sk.data.data[0])))

    let pkBytes = try SEALVectors.bytes("pk_full.bin")
    #expect(try PublicKey(serialized: pkBytes, context: context).serialized() == pkBytes)
    let rkBytes = try SEALVectors.bytes("rk_full.bin")
    let rk = try RelinKeys(serialized: rkBytes, context: context)
    #expect(rk.keys.data.count == 1 && rk.keys.data[0].count == 3 && rk.hasKey(keyPower: 2))
    #expect(try rk.serialized() == rkBytes)
    let gkBytes = try SEALVectors.bytes("gk_full.bin")
    let gk = try GaloisKeys(serialized: gkBytes, context: context)
    #expect(gk.keys.data.count == 8192)
    #expect(gk.galoisElements == [3, 10923, 16383])
    #expect(try gk.serialized() == gkBytes)
}

/// Seeded files expand (with BLAKE2Xb, from the seed in the file) to exactly SEAL's full objects; re-saving
/// keeps the seeded form, and dropping the seed gives SEAL's full file.
@Test func seededObjectsExpandToSEALsFullObjects() throws {
    let context = SEALVectors.context
    let seededCt = try SEALVectors.bytes("ct_sym_seeded.bin")
    var ct = try Ciphertext(serialized: seededCt, context: context)
    #expect(ct.seed?.type == .blake2xb && ct.isSeeded)
    #expect(try ct.serialized() == seededCt)
    ct.setSeedUnchecked(nil)
    #expect(try ct.serialized() == SEALVectors.bytes("ct_sym_full.bin"))

    let seededPk = try SEALVectors.bytes("pk_seeded.bin")
    var pk = try PublicKey(serialized: seededPk, context: context)
    #expect(try pk.serialized() == seededPk)
    pk.data.setSeedUnchecked(nil)
    #expect(try pk.serialized() == SEALVectors.bytes("pk_full.bin"))

    let seededRk = try SEALVectors.bytes("rk_seeded.bin")
    var rk = try RelinKeys(serialized: seededRk, context: context)
    #expect(try rk.serialized() == seededRk)
    for j in rk.keys.data[0].indices { rk.keys.data[0][j].data.setSeedUnchecked(nil) }
    #expect(try rk.serialized() == SEALVectors.bytes("rk_full.bin"))

    // gk_seeded holds only step 1 (element 3); with SEAL's fixed seed its keys equal gk_full's for element 3.
    let seededGk = try SEALVectors.bytes("gk_seeded.bin")
    let gk = try GaloisKeys(serialized: seededGk, context: context)
    #expect(try gk.serialized() == seededGk)
    let full = try GaloisKeys(serialized: SEALVectors.bytes("gk_full.bin"), context: context)
    let expanded = try gk.key(galoisElement: 3).map { key in
        var c = key.data
        c.setSeedUnchecked(nil)
        return c
    }
    #expect(expanded == (try full.key(galoisElement: 3).map(\.data)))
}

@Test(arguments: [ComprMode.zlib, .zstd])
func compressedObjectsLoadToTheSameObjects(mode: ComprMode) throws {
    let context = SEALVectors.context
    let ctBytes = try SEALVectors.bytes("ct_pk.bin")
    let ct = try Ciphertext(serialized: ctBytes, context: context)
    let packed = try ct.serialized(comprMode: mode)
    #expect(packed[5] == mode.rawValue && packed.count < ctBytes.count)
    #expect(try Ciphertext(serialized: packed, context: context) == ct)
    let gk = try GaloisKeys(serialized: SEALVectors.bytes("gk_seeded.bin"), context: context)
    #expect(try GaloisKeys(serialized: gk.serialized(version: .v4_4, comprMode: mode), context: context) == gk)
}

/// The seed inside SEAL's seeded symmetric ciphertext is the first 64 bytes of the bootstrap stream, which the
/// fixed-seed factory starts from the KAT seed: the API an encryptor calls reproduces it.
@Test func publicSeedIsDrawnFromTheBootstrapStream() throws {
    let ct = try Ciphertext(serialized: SEALVectors.bytes("ct_sym_seeded.bin"), context: SEALVectors.context)
    var bootstrap = UniformRandomGeneratorFactory(defaultSeed: katSeed).create()
    let publicSeed = PRNGSeed(drawingFrom: &bootstrap)
    let cprng = UniformRandomGeneratorFactory.default.create(seed: publicSeed)
    #expect(ct.seed == cprng.info)
}
