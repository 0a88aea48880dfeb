import CKKS
import NTT
import Testing

@Test func ciphertextLayoutAndSeedBookkeeping() throws {
    let context = try CKKSContext(try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [27]))
    var ct = Ciphertext(zeroAt: context.firstContextData, size: 3, scale: 4)
    #expect(ct.data.count == 3 * 1024 && ct.polynomialWordCount == 1024)
    #expect(ct.polynomialRange(2) == 2048..<3072 && ct.limbRange(polynomial: 1, limb: 0) == 1024..<2048)
    ct.size = 2
    ct.data.removeLast(1024)
    ct.seed = UniformRandomGeneratorInfo(type: .blake2xb, seed: .random())
    #expect(ct.isSeeded)
    ct.data[5] = 1  // any change to the words drops the seed
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
        data: Ciphertext(parmsID: .zero, size: 2, polyModulusDegree: 1, coeffModulusSize: 1, scale: 1, data: [0, 0]))
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
