import CKKS
import NTT

/// Key material the owner creates once per key store (SEAL's key types).
package struct OwnerKeyMaterial: Sendable {
    package var secret: SecretKey
    package var publicKey: PublicKey
    package var relinKeys: RelinKeys
}

extension HEContext {
    /// Generates a fresh secret key, public key and relinearization keys (s² and s³: the user relinearizes
    /// four-component conv2 sums) from OS randomness.
    package func generateKeys() throws -> OwnerKeyMaterial { try generateKeys(KeyGenerator(context: ckks)) }

    /// The key material of `generator`'s secret key: it and the public and relinearization keys made from it.
    func generateKeys(_ generator: KeyGenerator) throws -> OwnerKeyMaterial {
        OwnerKeyMaterial(
            secret: generator.secretKey, publicKey: generator.createPublicKey(),
            relinKeys: try generator.createRelinKeys(maxPower: Self.relinKeyPower))
    }

    /// The highest power of s the pipeline's relinearization keys cover.
    static let relinKeyPower = 3

    /// Relinearization keys up to ``relinKeyPower`` for an existing secret key (key stores made before the
    /// pipeline needed s³).
    func relinKeys(for secret: SecretKey) throws -> RelinKeys {
        try KeyGenerator(context: ckks, secretKey: secret).createRelinKeys(maxPower: Self.relinKeyPower)
    }

    /// Symmetric encryption of the constant `value` at `scale` on k primes, keeping the seed so that it saves
    /// in SEAL's seeded (half-size) form.
    package func encryptConstant(_ value: Double, scale: Double, primes k: Int, encryptor: Encryptor) throws
        -> Ciphertext
    {
        try encryptor.encryptSymmetric(encoder.encode(value, scale: scale, parmsID: parmsIDs[k]), seeded: true)
    }

    /// Decrypts to the coefficient-form plaintext polynomial `c0 + c1·s` (k rows).
    func decryptToCoefficients(_ ct: Ciphertext, decryptor: Decryptor) throws -> [UInt64] {
        var words = try decryptor.decrypt(ct).data
        let n = degree
        words.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for j in 0..<ct.coeffModulusSize { keyTables[j].inverse(base + j * n) }
        }
        return words
    }
}
