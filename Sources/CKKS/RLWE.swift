import NTT

/// SEAL's RLWE encryptions of zero on bare word arrays (NTT form, prime-major rows), with SEAL's exact
/// consumption of the random streams, so that a fixed seed reproduces SEAL's keys and ciphertexts word for word.
/// - Note: SEAL: util/rlwe.cpp `encrypt_zero_symmetric`, `encrypt_zero_asymmetric`
enum RLWE {
    /// A symmetric encryption of zero under `secret` at a level: `(c0, c1) = (−(a·s + e), a)`.
    ///
    /// Consumes one `factory.create()` (the bootstrap stream): its first 64 bytes are the public seed from
    /// which a BLAKE2Xb stream expands `a`, and the noise `e` continues the bootstrap stream.
    /// - Parameters:
    ///   - secret: at least `moduli.count` NTT-form rows of the secret key (only the first `k` are read).
    ///   - moduli: the level's primes q_0..q_{k-1}.
    ///   - tables: their NTT tables.
    ///   - degree: N.
    ///   - factory: the parameters' random generator factory.
    /// - Returns: `2·k·N` words (c0 rows, then c1 rows) and the public seed `a` was expanded from.
    static func encryptZeroSymmetric(
        secret: UnsafePointer<UInt64>, moduli: [Modulus], tables: [NTTTables], degree: Int,
        factory: UniformRandomGeneratorFactory
    ) -> (words: [UInt64], seed: PRNGSeed) {
        let n = degree
        let k = moduli.count
        var bootstrap = factory.create()
        var seedWords = [UInt64](repeating: 0, count: PRNGSeed.wordCount)
        seedWords.withUnsafeMutableBytes { bootstrap.generate(into: $0) }
        let seed = PRNGSeed(unchecked: seedWords.map { UInt64(littleEndian: $0) })
        var expansion = UniformRandomGeneratorFactory.default.create(seed: seed)
        var words = [UInt64](repeating: 0, count: 2 * k * n)
        var noise = [UInt64](repeating: 0, count: k * n)
        words.withUnsafeMutableBufferPointer { w in
            guard let c0 = w.baseAddress else { return }
            let c1 = c0 + k * n
            RLWESampler.sampleUniform(
                into: UnsafeMutableBufferPointer(start: c1, count: k * n), degree: n, moduli: moduli, using: &expansion)
            noise.withUnsafeMutableBufferPointer { e in
                guard let noiseBase = e.baseAddress else { return }
                RLWESampler.sampleCenteredBinomial(into: e, degree: n, moduli: moduli, using: &bootstrap)
                for j in 0..<k {
                    let q = moduli[j]
                    let value = q.value
                    let row = noiseBase + j * n
                    tables[j].forward(row)
                    for i in 0..<n {
                        // −(a·s + e) mod q. The sum's reduction is a coin flip on random data, so it is done with
                        // a mask instead of a branch; a zero sum (probability 1/q) is the only branch left.
                        let sum = q.multiplyMod(secret[j * n + i], c1[j * n + i]) &+ row[i]
                        let over = sum &- value
                        let reduced = over &+ (value & UInt64(bitPattern: Int64(bitPattern: over) >> 63))
                        c0[j * n + i] = reduced == 0 ? 0 : value &- reduced
                    }
                }
            }
        }
        return (words, seed)
    }

    /// ``encryptZeroSymmetric(secret:moduli:tables:degree:factory:)`` at a chain level, as a size-2 ciphertext with
    /// scale 1 that remembers its public seed when `seeded`.
    /// - Parameters:
    ///   - secretKey: the secret key (key level; its first rows serve lower levels).
    ///   - level: the level to encrypt at.
    ///   - factory: the random source.
    ///   - seeded: whether to keep the seed for SEAL's seeded form.
    /// - Returns: the ciphertext.
    static func symmetricZero(
        secretKey: SecretKey, level: ContextData, factory: UniformRandomGeneratorFactory, seeded: Bool
    ) -> Ciphertext {
        let n = level.polyModulusDegree
        let (words, seed) = secretKey.data.data.withUnsafeBufferPointer { s in
            encryptZeroSymmetric(
                secret: s.baseAddress.unsafelyUnwrapped, moduli: level.coeffModulus, tables: level.nttTables, degree: n,
                factory: factory)
        }
        var ciphertext = Ciphertext(
            unchecked: level.parmsID, size: 2, polyModulusDegree: n, coeffModulusSize: level.coeffModulus.count,
            scale: 1.0, data: words)
        // c1 was just sampled from this seed.
        if seeded { ciphertext.setSeedUnchecked(UniformRandomGeneratorInfo(type: .blake2xb, seed: seed)) }
        return ciphertext
    }

    /// A public-key encryption of zero: `(u·pk0 + e0, u·pk1 + e1)`.
    ///
    /// Computed over `moduli` (the level above the target, or the target itself at the key level), then, if `modDown`
    /// is given, divided by its last prime with rounding. The stream order is u (ternary), e0, e1.
    /// - Parameters:
    ///   - publicKey: the key-level public key words (two polynomials of `publicKeyRows` rows each).
    ///   - publicKeyRows: K, the number of key-level primes.
    ///   - moduli: the primes to encrypt over (a prefix of the key level's).
    ///   - tables: their NTT tables.
    ///   - degree: N.
    ///   - modDown: division by `moduli.last` for targets below the key level, else `nil`.
    ///   - factory: the parameters' random generator factory.
    /// - Returns: `2·k′·N` words, k′ = `moduli.count − 1` when `modDown` is given, else `moduli.count`.
    static func encryptZeroAsymmetric(
        publicKey: UnsafePointer<UInt64>, publicKeyRows: Int, moduli: [Modulus], tables: [NTTTables], degree: Int,
        modDown: DivideAndRoundLast?, factory: UniformRandomGeneratorFactory
    ) -> [UInt64] {
        let n = degree
        let k = moduli.count
        var prng = factory.create()
        var u = RLWESampler.ternary(degree: n, moduli: moduli, using: &prng)
        var full = [UInt64](repeating: 0, count: 2 * k * n)
        u.withUnsafeMutableBufferPointer { uBuffer in
            guard let uBase = uBuffer.baseAddress else { return }
            for j in 0..<k { tables[j].forward(uBase + j * n) }
            full.withUnsafeMutableBufferPointer { out in
                guard let outBase = out.baseAddress else { return }
                for p in 0..<2 {
                    let key = publicKey + p * publicKeyRows * n
                    let destination = outBase + p * k * n
                    for j in 0..<k {
                        let q = moduli[j]
                        for i in 0..<n { destination[j * n + i] = q.multiplyMod(uBase[j * n + i], key[j * n + i]) }
                    }
                }
                for p in 0..<2 {
                    RLWESampler.sampleCenteredBinomial(into: uBuffer, degree: n, moduli: moduli, using: &prng)
                    let destination = outBase + p * k * n
                    for j in 0..<k {
                        let q = moduli[j]
                        tables[j].forward(uBase + j * n)
                        for i in 0..<n { destination[j * n + i] = q.addMod(destination[j * n + i], uBase[j * n + i]) }
                    }
                }
            }
        }
        guard let modDown else { return full }
        var result = [UInt64](repeating: 0, count: 2 * (k - 1) * n)
        var scratch = [UInt64](repeating: 0, count: n)
        full.withUnsafeMutableBufferPointer { f in
            scratch.withUnsafeMutableBufferPointer { s in
                guard let fBase = f.baseAddress, let sBase = s.baseAddress else { return }
                for p in 0..<2 {
                    modDown.apply(fBase + p * k * n, degree: n, scratch: sBase)
                    for i in 0..<((k - 1) * n) { result[p * (k - 1) * n + i] = fBase[p * k * n + i] }
                }
            }
        }
        return result
    }
}
