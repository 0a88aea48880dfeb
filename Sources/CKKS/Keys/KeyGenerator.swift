import NTT

/// Generates a secret key and the keys derived from it: the public key, relinearization keys and Galois keys.
///
/// Every random object starts with one `factory.create()`, in SEAL's order, so a factory with a fixed seed
/// reproduces SEAL's keys word for word. Derived keys can be made in SEAL's seeded form (`seeded: true`): each key
/// ciphertext then remembers the public seed its `c1` was expanded from, and saving writes only `c0` and the seed.
/// - Note: SEAL: keygenerator.cpp `KeyGenerator`
public struct KeyGenerator: Sendable {
    /// The context the keys belong to.
    public let context: CKKSContext
    /// Where randomness comes from (SEAL's `parms.random_generator()`).
    public let factory: UniformRandomGeneratorFactory
    /// The secret key: ternary s in NTT form at the key level.
    public let secretKey: SecretKey

    /// Generates a fresh secret key (`KeyGenerator(context)`).
    /// - Parameters:
    ///   - context: the CKKS context.
    ///   - factory: the random source; the default draws OS randomness.
    public init(context: CKKSContext, factory: UniformRandomGeneratorFactory = .default) {
        self.context = context
        self.factory = factory
        let keyLevel = context.keyContextData
        let n = keyLevel.polyModulusDegree
        var prng = factory.create()
        var s = RLWESampler.ternary(degree: n, moduli: keyLevel.coeffModulus, using: &prng)
        s.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for (j, table) in keyLevel.nttTables.enumerated() { table.forward(base + j * n) }
        }
        secretKey = SecretKey(data: Plaintext(parmsID: keyLevel.parmsID, scale: 1.0, data: s))
    }

    /// Continues from an existing secret key (`KeyGenerator(context, secret_key)`).
    /// - Parameters:
    ///   - context: the CKKS context.
    ///   - secretKey: a secret key of this context (NTT form, key level).
    ///   - factory: the random source.
    /// - Throws: ``CKKSError`` if the key does not belong to the context's key level.
    public init(context: CKKSContext, secretKey: SecretKey, factory: UniformRandomGeneratorFactory = .default) throws {
        let keyLevel = context.keyContextData
        guard secretKey.parmsID == keyLevel.parmsID else {
            throw CKKSError.parameterMismatch("the secret key is not at the context's key level")
        }
        let expected = keyLevel.polyModulusDegree * keyLevel.coeffModulus.count
        guard secretKey.data.data.count == expected else {
            throw CKKSError.sizeMismatch(
                object: "secret key", field: "coeff_count", expected: expected, found: secretKey.data.data.count)
        }
        self.context = context
        self.factory = factory
        self.secretKey = secretKey
    }

    /// A symmetric encryption of zero at the key level, as a ciphertext (seeded on request).
    private func keyLevelZero(seeded: Bool) -> Ciphertext {
        RLWE.symmetricZero(secretKey: secretKey, level: context.keyContextData, factory: factory, seeded: seeded)
    }

    /// The public key: a symmetric encryption of zero at the key level (`create_public_key`).
    /// - Parameter seeded: keep the public seed so the key saves in SEAL's seeded (half-size) form.
    /// - Returns: the public key.
    public func createPublicKey(seeded: Bool = false) -> PublicKey {
        PublicKey(data: keyLevelZero(seeded: seeded))
    }

    /// Key-switching keys from the secret key to `newKey` (NTT form, key-level rows): one zero encryption per
    /// first-level prime q_i, with (P mod q_i)·s′ added to row i of its c0.
    /// - Note: SEAL: keygenerator.cpp `generate_one_kswitch_key`
    private func keySwitchingKeys(to newKey: [UInt64], seeded: Bool) -> [PublicKey] {
        let keyModuli = context.keyContextData.coeffModulus
        let n = context.keyContextData.polyModulusDegree
        let special = keyModuli[keyModuli.count - 1].value
        let decompositionCount = context.firstContextData.coeffModulus.count
        return (0..<decompositionCount).map { i in
            var key = keyLevelZero(seeded: seeded)
            let seed = key.seed
            let q = keyModuli[i]
            let factor = q.reduce(special)
            for c in 0..<n {
                key.data[i * n + c] = q.addMod(key.data[i * n + c], q.multiplyMod(factor, newKey[i * n + c]))
            }
            // Only c0 changed, so c1 is still the seed's expansion.
            key.setSeedUnchecked(seed)
            return PublicKey(data: key)
        }
    }

    /// The largest key power ``createRelinKeys(maxPower:seeded:)`` makes: s^15 relinearizes the largest ciphertext
    /// (size 16) a multiplication may produce.
    /// - Note: SEAL: keygenerator.cpp `create_relin_keys` (count ≤ SEAL_CIPHERTEXT_SIZE_MAX − 2).
    public static let maxRelinKeyPower = 15

    /// Relinearization keys for s², s³, …, s^maxPower, the key for s^p at index p − 2.
    ///
    /// This is SEAL's internal `create_relin_keys(count)` with count = maxPower − 1. The keys are made in
    /// ascending power, each power's decomposition keys in prime order, so the default (s² only) is word for word
    /// SEAL's public `create_relin_keys()`. A ciphertext of size m needs powers up to m − 1: maxPower 3
    /// relinearizes the size-4 product of a size-3 and a size-2 ciphertext.
    /// - Parameters:
    ///   - maxPower: the highest power of the secret key, 2 ... ``maxRelinKeyPower``.
    ///   - seeded: keep public seeds so the keys save in SEAL's seeded form.
    /// - Returns: the relinearization keys.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for maxPower outside 2 ... 15;
    ///   ``CKKSError/invalidParameters(_:)`` if the context does not use key switching (one prime only).
    /// - Note: SEAL: keygenerator.cpp `create_relin_keys`, `compute_secret_key_array`, `generate_kswitch_keys`.
    public func createRelinKeys(maxPower: Int = 2, seeded: Bool = false) throws -> RelinKeys {
        guard (2...Self.maxRelinKeyPower).contains(maxPower) else {
            throw CKKSError.invalidArgument(
                "relinearization key power \(maxPower) is outside 2...\(Self.maxRelinKeyPower)")
        }
        guard context.usingKeySwitching else {
            throw CKKSError.invalidParameters("key switching is not supported by a context with one prime")
        }
        let keyLevel = context.keyContextData
        let n = keyLevel.polyModulusDegree
        let s = secretKey.data.data
        // s^p = s^(p−1) ⊙ s in NTT form, as SEAL's secret key array.
        var power = s
        var data: [[PublicKey]] = []
        for _ in 2...maxPower {
            for (j, q) in keyLevel.coeffModulus.enumerated() {
                for c in (j * n)..<((j + 1) * n) { power[c] = q.multiplyMod(power[c], s[c]) }
            }
            data.append(keySwitchingKeys(to: power, seeded: seeded))
        }
        return RelinKeys(keys: KSwitchKeys(parmsID: keyLevel.parmsID, data: data))
    }

    /// Galois keys for explicit Galois elements (`create_galois_keys(galois_elts)`), made in the order given;
    /// repeated elements are made once.
    /// - Parameters:
    ///   - elements: odd elements below 2N.
    ///   - seeded: keep public seeds so the keys save in SEAL's seeded form.
    /// - Returns: Galois keys with N slots, the key for g at index (g − 1)/2.
    /// - Throws: ``CKKSError`` for an invalid element or a context without key switching.
    public func createGaloisKeys(elements: [UInt64], seeded: Bool = false) throws -> GaloisKeys {
        guard context.usingKeySwitching else {
            throw CKKSError.invalidParameters("key switching is not supported by a context with one prime")
        }
        let keyLevel = context.keyContextData
        let n = keyLevel.polyModulusDegree
        var data = [[PublicKey]](repeating: [], count: n)
        var rotated = [UInt64](repeating: 0, count: secretKey.data.data.count)
        for element in elements {
            guard element & 1 == 1, element < UInt64(2 * n) else {
                throw CKKSError.invalidArgument("Galois element \(element) must be odd and below 2N = \(2 * n)")
            }
            let index = Int((element - 1) >> 1)
            if !data[index].isEmpty { continue }
            let permutation = GaloisTool.nttPermutation(element: element, degree: n)
            secretKey.data.data.withUnsafeBufferPointer { s in
                rotated.withUnsafeMutableBufferPointer { r in
                    guard let source = s.baseAddress, let destination = r.baseAddress else { return }
                    for j in 0..<keyLevel.coeffModulus.count {
                        GaloisTool.applyGaloisNTT(source + j * n, permutation: permutation, into: destination + j * n)
                    }
                }
            }
            data[index] = keySwitchingKeys(to: rotated, seeded: seeded)
        }
        return GaloisKeys(keys: KSwitchKeys(parmsID: keyLevel.parmsID, data: data))
    }

    /// Galois keys for rotation steps (`create_galois_keys(steps)`); step 0 means complex conjugation.
    /// - Parameters:
    ///   - steps: rotation steps with |step| < N/2 (negative rotates right).
    ///   - seeded: keep public seeds so the keys save in SEAL's seeded form.
    /// - Returns: the Galois keys.
    /// - Throws: ``CKKSError`` for a step out of range.
    public func createGaloisKeys(steps: [Int], seeded: Bool = false) throws -> GaloisKeys {
        let n = context.keyContextData.polyModulusDegree
        let elements = try steps.map { step in
            do { return try GaloisTool.galoisElement(step: step, degree: n) } catch {
                throw CKKSError.invalidArgument(
                    "rotation step \(step) is out of range for N = \(n) (|step| < \(n / 2))")
            }
        }
        return try createGaloisKeys(elements: elements, seeded: seeded)
    }

    /// Galois keys for every power-of-two rotation in both directions and conjugation (`create_galois_keys()`).
    /// - Parameter seeded: keep public seeds so the keys save in SEAL's seeded form.
    /// - Returns: the Galois keys.
    /// - Throws: ``CKKSError`` for a context without key switching.
    public func createGaloisKeys(seeded: Bool = false) throws -> GaloisKeys {
        let n = context.keyContextData.polyModulusDegree
        let m = UInt64(2 * n)
        var elements: [UInt64] = [m - 1]
        var positive: UInt64 = 3
        // 3^(-1) mod 2N = 3^(N/2 - 1): the group generated by 3 has order N/2.
        var negative: UInt64 = 1
        for _ in 0..<(n / 2 - 1) { negative = (negative &* 3) & (m - 1) }
        for _ in 0..<(Word(n).log2 - 1) {
            elements.append(positive)
            positive = (positive &* positive) & (m - 1)
            elements.append(negative)
            negative = (negative &* negative) & (m - 1)
        }
        return try createGaloisKeys(elements: elements, seeded: seeded)
    }
}
