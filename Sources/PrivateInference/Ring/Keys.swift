import CKKS
import NTT

/// The owner's secret key: a ternary polynomial in NTT form over every key-level prime (K rows).
public struct SecretKeyWords: Sendable {
    /// K·N words.
    var words: [UInt64]
}

/// The public key: a symmetric encryption of zero at the key level, `(c0, c1)` of K rows each.
public struct PublicKeyWords: Sendable {
    /// 2·K·N words.
    var words: [UInt64]
}

/// Relinearization keys: K − 1 key-level ciphertexts of 2·K rows each, stored contiguously.
public struct RelinKeyWords: Sendable {
    /// (K − 1)·2·K·N words.
    var words: [UInt64]
}

/// Key material the owner creates once per key store.
struct OwnerKeyMaterial: Sendable {
    var secret: SecretKeyWords
    var publicKey: PublicKeyWords
    var relinKeys: RelinKeyWords
}

extension HEContext {
    /// Generates a fresh secret key, public key and relinearization keys from OS randomness.
    /// - Note: SEAL: keygenerator.cpp `generate_sk`, `generate_pk`, `generate_one_kswitch_key`
    func generateKeys() -> OwnerKeyMaterial {
        let n = degree
        let bigK = keyModuli.count
        var prng = UniformRandomGeneratorFactory.default.create()
        var s = RLWESampler.ternary(degree: n, moduli: keyModuli, using: &prng)
        for j in 0..<bigK { s.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { keyTables[j].forward(p + j * n) } } }
        let pk = s.withUnsafeBufferPointer { sp -> [UInt64] in
            guard let base = sp.baseAddress else { return [] }
            return SchemeKernels.encryptZeroSymmetric(secret: base, moduli: keyModuli, tables: keyTables, degree: n).words
        }
        var relin = [UInt64]()
        relin.reserveCapacity((bigK - 1) * 2 * bigK * n)
        let p = keyModuli[bigK - 1].value
        for i in 0..<(bigK - 1) {
            var key = s.withUnsafeBufferPointer { sp -> [UInt64] in
                guard let base = sp.baseAddress else { return [] }
                return SchemeKernels.encryptZeroSymmetric(secret: base, moduli: keyModuli, tables: keyTables, degree: n)
                    .words
            }
            let q = keyModuli[i]
            let factor = q.reduce(p)
            for c in 0..<n {
                let square = q.multiplyMod(s[i * n + c], s[i * n + c])
                key[i * n + c] = q.addMod(key[i * n + c], q.multiplyMod(factor, square))
            }
            relin += key
        }
        return OwnerKeyMaterial(
            secret: SecretKeyWords(words: s), publicKey: PublicKeyWords(words: pk), relinKeys: RelinKeyWords(words: relin))
    }

    /// The NTT-form constant polynomial `round(value · scale)` at k primes.
    func constantWords(_ value: Double, scale: Double, primes k: Int) -> [UInt64] {
        let n = degree
        var out = [UInt64](repeating: 0, count: k * n)
        let c = (value * scale).rounded()
        for j in 0..<k {
            let r = SchemeKernels.reduce(c, modulus: keyModuli[j])
            for i in 0..<n { out[j * n + i] = r }
        }
        return out
    }

    /// Symmetric encryption of the constant `value` at `scale` on k primes, in SEAL's seeded form: `c0` and
    /// the seed that expands to `c1`.
    func encryptConstantSeeded(_ value: Double, scale: Double, primes k: Int, secret: SecretKeyWords) -> SeededCipher {
        let n = degree
        let (words, seed) = secret.words.withUnsafeBufferPointer { sp -> ([UInt64], PRNGSeed) in
            guard let base = sp.baseAddress else { return ([], PRNGSeed.random()) }
            return SchemeKernels.encryptZeroSymmetric(secret: base, moduli: moduli(k), tables: tables(k), degree: n)
        }
        var c0 = Array(words[0..<(k * n)])
        let message = constantWords(value, scale: scale, primes: k)
        for j in 0..<k {
            let q = keyModuli[j]
            for i in 0..<n { c0[j * n + i] = q.addMod(c0[j * n + i], message[j * n + i]) }
        }
        return SeededCipher(c0: c0, seed: seed)
    }

    /// Regenerates `c1` of a seeded ciphertext at k primes and returns the full two-component words.
    func expand(_ seeded: SeededCipher, primes k: Int) -> [UInt64] {
        var expansion = UniformRandomGeneratorFactory.default.create(seed: seeded.seed)
        let c1 = RLWESampler.uniform(degree: degree, moduli: moduli(k), using: &expansion)
        return seeded.c0 + c1
    }

    /// A fresh public-key encryption of zero, on k primes (computed at the first data level, then mod-switched).
    func encryptZero(publicKey: PublicKeyWords, primes k: Int) -> [UInt64] {
        let n = degree
        let full = publicKey.words.withUnsafeBufferPointer { pk -> [UInt64] in
            guard let base = pk.baseAddress else { return [] }
            return SchemeKernels.encryptZeroAsymmetric(publicKey: base, keyModuli: keyModuli, keyTables: keyTables, degree: n)
        }
        let top = dataPrimeCount
        return Array(full[0..<(k * n)]) + Array(full[(top * n)..<((top + k) * n)])
    }

    /// Decrypts a two-component ciphertext to the coefficient-form plaintext polynomial `c0 + c1·s` (k rows).
    /// - Note: SEAL: decryptor.cpp `dot_product_ct_sk_array`
    func decryptToCoefficients(_ ct: Cipher, secret: SecretKeyWords) -> [UInt64] {
        let k = ct.primes
        let n = degree
        var out = [UInt64](repeating: 0, count: k * n)
        for j in 0..<k {
            let q = keyModuli[j]
            for i in 0..<n {
                let product = q.multiplyMod(ct.words[(k + j) * n + i], secret.words[j * n + i])
                out[j * n + i] = q.addMod(ct.words[j * n + i], product)
            }
            out.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { keyTables[j].inverse(p + j * n) } }
        }
        return out
    }
}

/// A ciphertext in SEAL's seeded form: `c0` words and the 64-byte seed of `c1`.
struct SeededCipher: Sendable {
    /// k·N words.
    var c0: [UInt64]
    /// The BLAKE2Xb seed `c1` expands from.
    var seed: PRNGSeed
}

extension HEContext {
    /// Decodes a coefficient-form plaintext polynomial at k primes and `scale` into the real slot values.
    func decodeCoefficients(_ coefficients: [UInt64], primes k: Int, scale: Double) -> [Double] {
        var words = coefficients
        let n = degree
        words.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for j in 0..<k { keyTables[j].forward(base + j * n) }
        }
        return level(k).decode(words, scale: scale)
    }
}
