import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// The public API against vectors/seal-4.1.2-seeded: fixed-seed key generation and encryption, and every
/// evaluator operation, word for word.
@Suite struct SEALSeededTests {
    let context: CKKSContext
    let factory: UniformRandomGeneratorFactory

    init() throws {
        context = try CKKSContext(EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]))
        let seed = try PRNGSeed(words: (1...8).map { 0x0101_0101_0101_0101 &* UInt64($0) })
        factory = UniformRandomGeneratorFactory(type: .blake2xb, defaultSeed: seed)
    }

    var files: SEALFiles { SEALFiles(context: context, folder: "seal-4.1.2-seeded/") }
    func ciphertext(_ file: String) throws -> Ciphertext { try files.ciphertext(file) }
    func plaintext(_ file: String) throws -> Plaintext { try files.plaintext(file) }
    func keys(_ file: String) throws -> KSwitchKeys { try files.keys(file) }

    @Test func keyGenerationAndEncryptionReproduceSEAL() throws {
        let keygen = KeyGenerator(context: context, factory: factory)
        #expect(keygen.secretKey.data == (try plaintext("sk.bin")))
        let pk = keygen.createPublicKey()
        #expect(pk.data == (try ciphertext("pk_full.bin")))
        let seededPK = keygen.createPublicKey(seeded: true)
        #expect(seededPK.data.isSeeded && seededPK.data.data == pk.data.data)
        #expect(try keygen.createRelinKeys().keys == keys("rk_full.bin"))
        #expect(try keygen.createGaloisKeys(steps: [1, -1, 0]).keys == keys("gk_full.bin"))

        let encryptor = try Encryptor(context: context, publicKey: pk, secretKey: keygen.secretKey, factory: factory)
        #expect(try encryptor.encrypt(plaintext("pt1.bin")) == ciphertext("ct_pk.bin"))
        let symmetric = try encryptor.encryptSymmetric(plaintext("pt2.bin"))
        #expect(symmetric == (try ciphertext("ct_sym_full.bin")))
        let seeded = try encryptor.encryptSymmetric(plaintext("pt2.bin"), seeded: true)
        #expect(seeded.isSeeded && seeded.data == symmetric.data)
    }

    @Test func savedKeysAndCiphertextsAreSEALsFilesByteForByte() throws {
        func file(_ name: String) throws -> [UInt8] { [UInt8](try RepositoryPaths.vector("seal-4.1.2-seeded/" + name)) }
        let keygen = KeyGenerator(context: context, factory: factory)
        #expect(try keygen.secretKey.serialized() == file("sk.bin"))
        #expect(try keygen.createPublicKey().serialized() == file("pk_full.bin"))
        #expect(try keygen.createPublicKey(seeded: true).serialized() == file("pk_seeded.bin"))
        #expect(try keygen.createRelinKeys().serialized() == file("rk_full.bin"))
        #expect(try keygen.createRelinKeys(seeded: true).serialized() == file("rk_seeded.bin"))
        #expect(try keygen.createGaloisKeys(steps: [1, -1, 0]).serialized() == file("gk_full.bin"))
        #expect(try keygen.createGaloisKeys(steps: [1], seeded: true).serialized() == file("gk_seeded.bin"))
        let encryptor = try Encryptor(context: context, secretKey: keygen.secretKey, factory: factory)
        let pt2 = try plaintext("pt2.bin")
        #expect(try encryptor.encryptSymmetric(pt2, seeded: true).serialized() == file("ct_sym_seeded.bin"))
        #expect(try encryptor.encryptSymmetric(pt2).serialized() == file("ct_sym_full.bin"))
    }

    @Test func encoderMatchesSEAL() throws {
        let encoder = CKKSEncoder(context: context)
        let (v1, v2) = sealSeededInputs()
        #expect(try encoder.encode(v1, scale: 0x1p40) == plaintext("pt1.bin"))
        #expect(try encoder.encode(v2, scale: 0x1p40) == plaintext("pt2.bin"))
        #expect(try encoder.encode(3.14159, scale: 0x1p40) == plaintext("pt_const.bin"))
        #expect(try encoder.encode([1.0, -2.0, 3.5], scale: 0x1p100) == plaintext("pt_bigscale.bin"))
        #expect(try encoder.encode(Complex64(0.25, -0.75), scale: 0x1p40) == plaintext("pt_cconst.bin"))
    }

    @Test func evaluatorMatchesSEAL() throws {
        let evaluator = Evaluator(context: context)
        let c1 = try ciphertext("ct_pk.bin")
        let c2 = try ciphertext("ct_sym_full.bin")
        let relinKeys = RelinKeys(keys: try keys("rk_full.bin"))
        let galoisKeys = GaloisKeys(keys: try keys("gk_full.bin"))
        let product = try evaluator.multiply(c1, c2)
        #expect(product == (try ciphertext("ev_mul.bin")))
        let relinearized = try evaluator.relinearize(product, relinKeys: relinKeys)
        #expect(relinearized == (try ciphertext("ev_relin.bin")))
        let rescaled = try evaluator.rescaleToNext(relinearized)
        #expect(rescaled == (try ciphertext("ev_rescale.bin")))
        #expect(try evaluator.rotateVector(c1, steps: 1, galoisKeys: galoisKeys) == ciphertext("ev_rot1.bin"))
        #expect(try evaluator.rotateVector(c1, steps: -1, galoisKeys: galoisKeys) == ciphertext("ev_rotm1.bin"))
        #expect(try evaluator.complexConjugate(c1, galoisKeys: galoisKeys) == ciphertext("ev_conj.bin"))
        #expect(try evaluator.square(c1) == ciphertext("ev_square.bin"))
        #expect(try evaluator.multiplyPlain(c1, plaintext("pt2.bin")) == ciphertext("ev_mulplain.bin"))
        let switched = try evaluator.modSwitchToNext(c1)
        #expect(switched == (try ciphertext("ev_modswitch.bin")))
        #expect(
            try evaluator.rotateVector(switched, steps: 1, galoisKeys: galoisKeys) == ciphertext("ev_rot1_level1.bin"))

        let keygenSecret = SecretKey(data: try plaintext("sk.bin"))
        let decryptor = try Decryptor(context: context, secretKey: keygenSecret)
        let decrypted = try decryptor.decrypt(rescaled)
        #expect(decrypted == (try plaintext("dec_rescale.bin")))
        // The decoded product approximates v1·v2 slot-wise.
        let decoded = try CKKSEncoder(context: context).decodeComplex(decrypted)
        let (v1, v2) = sealSeededInputs()
        let worst =
            zip(decoded, zip(v1, v2)).map { (z, pair) in
                let expected = pair.0 * pair.1
                return max((z.real - expected.real).magnitude, (z.imaginary - expected.imaginary).magnitude)
            }.max() ?? 1
        #expect(worst < 1e-4)
    }
}
