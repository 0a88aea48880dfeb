import NTT

/// Encrypts CKKS plaintexts with a public key or, symmetrically, with the secret key.
///
/// Random streams are consumed in SEAL's order, so a factory with a fixed seed reproduces SEAL's ciphertexts.
/// - Note: SEAL: encryptor.cpp `Encryptor`
public struct Encryptor: Sendable {
    /// The context.
    public let context: CKKSContext
    /// Where randomness comes from (SEAL's `parms.random_generator()`).
    public let factory: UniformRandomGeneratorFactory
    private let publicKey: PublicKey?
    private let secretKey: SecretKey?

    /// An encryptor holding a public key, a secret key, or both.
    /// - Parameters:
    ///   - context: the CKKS context.
    ///   - publicKey: enables ``encrypt(_:)``.
    ///   - secretKey: enables ``encryptSymmetric(_:seeded:)``.
    ///   - factory: the random source; the default draws OS randomness.
    /// - Throws: ``CKKSError`` if a key does not belong to the context's key level or has the wrong size.
    public init(
        context: CKKSContext, publicKey: PublicKey? = nil, secretKey: SecretKey? = nil,
        factory: UniformRandomGeneratorFactory = .default
    ) throws {
        let keyLevel = context.keyContextData
        let n = keyLevel.polyModulusDegree
        let k = keyLevel.coeffModulus.count
        if let publicKey {
            guard publicKey.parmsID == keyLevel.parmsID, publicKey.data.size == 2,
                publicKey.data.data.count == 2 * n * k
            else { throw CKKSError.parameterMismatch("the public key does not belong to the context's key level") }
        }
        if let secretKey {
            guard secretKey.parmsID == keyLevel.parmsID, secretKey.data.data.count == n * k else {
                throw CKKSError.parameterMismatch("the secret key does not belong to the context's key level")
            }
        }
        self.context = context
        self.factory = factory
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The data level of a plaintext to encrypt, after SEAL's checks.
    private func level(of plain: Plaintext) throws -> ContextData {
        let level = try CiphertextValidation.level(of: plain, in: context)
        guard plain.parmsID != context.keyParmsID || !context.usingKeySwitching else {
            throw CKKSError.parameterMismatch("plaintexts at the key level cannot be encrypted")
        }
        return level
    }

    /// c0 += plain, scale = plain's.
    private static func addPlain(_ plain: Plaintext, to ciphertext: inout Ciphertext, level: ContextData) {
        let n = level.polyModulusDegree
        ciphertext.data.withUnsafeMutableBufferPointer { c in
            plain.data.withUnsafeBufferPointer { p in
                guard let cBase = c.baseAddress, let pBase = p.baseAddress else { return }
                for (j, q) in level.coeffModulus.enumerated() {
                    PolyArithmetic.add(cBase + j * n, pBase + j * n, into: cBase + j * n, count: n, modulus: q)
                }
            }
        }
        ciphertext.scale = plain.scale
    }

    /// A public-key encryption of zero at a level (`encrypt_zero(parms_id)`): computed one level up and divided
    /// by the extra prime, as SEAL does.
    /// - Parameter parmsID: the level; `nil` for the first data level.
    /// - Returns: a size-2 ciphertext with scale 1.
    /// - Throws: ``CKKSError`` without a public key or for an unknown level.
    public func encryptZero(parmsID: ParmsID? = nil) throws -> Ciphertext {
        guard let publicKey else { throw CKKSError.invalidArgument("this encryptor has no public key") }
        let id = parmsID ?? context.firstParmsID
        guard let level = context.contextData(for: id) else {
            throw CKKSError.unknownParmsID(object: "ciphertext", parmsID: id)
        }
        let n = level.polyModulusDegree
        let over = level.previousParmsID.flatMap { context.contextData(for: $0) } ?? level
        let modDown = over === level ? nil : DivideAndRoundLast(level: over)
        let words = publicKey.data.data.withUnsafeBufferPointer { pk in
            RLWE.encryptZeroAsymmetric(
                publicKey: pk.baseAddress.unsafelyUnwrapped, publicKeyRows: context.keyContextData.coeffModulus.count,
                moduli: over.coeffModulus, tables: over.nttTables, degree: n, modDown: modDown, factory: factory)
        }
        return Ciphertext(
            unchecked: id, size: 2, polyModulusDegree: n, coeffModulusSize: level.coeffModulus.count, scale: 1.0,
            data: words)
    }

    /// Encrypts with the public key (`encrypt`).
    ///
    /// The output is never seeded.
    /// - Parameter plain: an NTT-form plaintext at a data level.
    /// - Returns: a size-2 ciphertext with the plaintext's level and scale.
    /// - Throws: ``CKKSError`` without a public key or for an invalid plaintext.
    public func encrypt(_ plain: Plaintext) throws -> Ciphertext {
        let level = try level(of: plain)
        var ciphertext = try encryptZero(parmsID: plain.parmsID)
        Self.addPlain(plain, to: &ciphertext, level: level)
        return ciphertext
    }

    /// A symmetric encryption of zero at a level (`encrypt_zero_symmetric`).
    /// - Parameters:
    ///   - parmsID: the level; `nil` for the first data level.
    ///   - seeded: keep the public seed so the ciphertext saves in SEAL's seeded (half-size) form.
    /// - Returns: a size-2 ciphertext with scale 1.
    /// - Throws: ``CKKSError`` without a secret key or for an unknown level.
    public func encryptZeroSymmetric(parmsID: ParmsID? = nil, seeded: Bool = false) throws -> Ciphertext {
        guard let secretKey else { throw CKKSError.invalidArgument("this encryptor has no secret key") }
        let id = parmsID ?? context.firstParmsID
        guard let level = context.contextData(for: id) else {
            throw CKKSError.unknownParmsID(object: "ciphertext", parmsID: id)
        }
        return RLWE.symmetricZero(secretKey: secretKey, level: level, factory: factory, seeded: seeded)
    }

    /// Encrypts with the secret key (`encrypt_symmetric`).
    /// - Parameters:
    ///   - plain: an NTT-form plaintext at a data level.
    ///   - seeded: keep the public seed so the ciphertext saves in SEAL's seeded (half-size) form.
    /// - Returns: a size-2 ciphertext with the plaintext's level and scale.
    /// - Throws: ``CKKSError`` without a secret key or for an invalid plaintext.
    public func encryptSymmetric(_ plain: Plaintext, seeded: Bool = false) throws -> Ciphertext {
        let level = try level(of: plain)
        var ciphertext = try encryptZeroSymmetric(parmsID: plain.parmsID, seeded: seeded)
        let seed = ciphertext.seed
        Self.addPlain(plain, to: &ciphertext, level: level)
        // Only c0 changed, so c1 is still the seed's expansion.
        ciphertext.setSeedUnchecked(seed)
        return ciphertext
    }
}
