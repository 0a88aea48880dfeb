import CKKS
import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import NTT

/// How the owner floods decryptions (protocol.md, "Why flooding is needed"; docs/usage.md, "Re-randomization,
/// masking, flooding").
///
/// The owner adds to every decrypted coefficient an independent rounded Gaussian of standard deviation
/// σ = 2^(s/2) · √(12·t) · B (Li, Micciancio, Schultz, Sorrell, CRYPTO 2022; OpenFHE's NOISE_FLOODING_DECRYPT
/// uses the same σ with t = its number of adversarial queries). B bounds the ℓ2 norm, over the N coefficients,
/// of the key-dependent part of one decrypted ciphertext's error (what depends on the secret key and the
/// encryption randomness; the encoder's deterministic rounding does not), and t bounds how many ciphertexts
/// are decrypted under one key. The Gaussian mechanism's Rényi divergence then bounds the KL divergence
/// between all t flooded decryptions and a simulation that never touches the key by t·B²/(2σ²) = 2^-s/24:
/// s bits of statistical security in LMSS's (Micciancio–Walter) bit-security sense, i.e. statistical distance
/// ≤ 2^-(s/2)/√48 by Pinsker, and a key-recovery success probability that grows by at most a constant factor.
/// The key store counts decrypted ciphertexts and refuses a request that would exceed t.
///
/// B is stated relative to the result scale, B = resultScale · 2^-β; `FloodingTests` measures the
/// key-dependent error of the real pipeline (two independent keys on real MNIST) and requires B to stay ≥ 2^4
/// above it.
public struct FloodingParameters: Sendable, Codable, Equatable {
    /// s, the statistical security parameter in bits.
    public var statisticalBits: Int
    /// t, the most ciphertexts the owner decrypts under one key (each holds 16 pooled positions of one conv2
    /// filter for up to N/2 images).
    public var maxDecryptions: Int
    /// β: the error bound B is resultScale · 2^-β.
    public var noiseBoundBitsBelowScale: Int

    /// The constant c in σ = 2^(s/2) · √(c·t) · B (LMSS, OpenFHE).
    public static let queryConstant = 12.0

    /// The owner's default for the `auto` chain: s = 40, t = 2^20 and β = 60.
    ///
    /// Two 60-bit primes at the decryption level; the measured key-dependent error is resultScale · 2^-64.9
    /// (`FloodingTests`; conv2's paired products gather the squares' noise from two directions). A decoded slot keeps 21.7 bits: flooding noise of standard
    /// deviation 2^-21.7.
    public static let standard = FloodingParameters(
        statisticalBits: 40, maxDecryptions: 1 << 20, noiseBoundBitsBelowScale: 60)

    /// The default for the `privdnn` chain: s = 30, t = 2^8 and β = 40.
    ///
    /// {60, 40, 40, 40, 40, 60}: 40-bit rescaling primes leave smaller scales and a larger relative error,
    /// measured resultScale · 2^-44.9 (β keeps the 2^4 margin above it); 12.7 bits per slot remain.
    public static let privdnn = FloodingParameters(
        statisticalBits: 30, maxDecryptions: 1 << 8, noiseBoundBitsBelowScale: 40)

    /// The default flooding parameters for a prime chain (bit sizes, special prime last): ``privdnn`` when the
    /// smallest rescaling prime is below 50 bits, else ``standard``.
    public static func defaults(for bitSizes: [Int]) -> FloodingParameters {
        let rescaling = bitSizes.dropLast().prefix(PipelineLevels.conv1Primes).dropFirst(PipelineLevels.finalPrimes)
        return (rescaling.min() ?? 60) < 50 ? privdnn : standard
    }

    /// Creates flooding parameters.
    public init(statisticalBits: Int, maxDecryptions: Int, noiseBoundBitsBelowScale: Int) {
        self.statisticalBits = statisticalBits
        self.maxDecryptions = maxDecryptions
        self.noiseBoundBitsBelowScale = noiseBoundBitsBelowScale
    }

    /// B for a result at `scale`.
    public func noiseBound(resultScale scale: Double) -> Double {
        scale * exp2(-Double(noiseBoundBitsBelowScale))
    }

    /// σ for a result at `scale`.
    public func sigma(resultScale scale: Double) -> Double {
        exp2(Double(statisticalBits) / 2) * (Self.queryConstant * Double(maxDecryptions)).squareRoot()
            * noiseBound(resultScale: scale)
    }

    /// Bits of precision left in a decoded slot: −log2 of the flooding noise's standard deviation there,
    /// σ · √(N/2) / resultScale (a slot is a ±1-weighted sum of the N coefficients' noise, real part).
    public func precisionBits(degree: Int) -> Double {
        -log2(sigma(resultScale: 1) * (Double(degree) / 2).squareRoot())
    }
}

/// The owner's count of decrypted ciphertexts under one key (`decryptions.json` in the key store).
struct DecryptionBudget: Codable {
    /// The key id the count belongs to.
    var keyID: String
    /// Ciphertexts decrypted so far.
    var decrypted: Int

    static func url(_ dir: URL) -> URL { dir.appendingPathComponent("decryptions.json") }

    /// Records `count` more decryptions (0: only reads the count), or throws if that would exceed
    /// `flooding.maxDecryptions`.
    ///
    /// The count is written before any flooded value leaves the owner, so a crash can only over-count.
    /// - Returns: the new total.
    static func reserve(_ count: Int, dir: URL, keyID: String, flooding: FloodingParameters) throws -> Int {
        // Concurrent `owner decrypt` runs on one key store read, check and write the count one at a time.
        let lock = try FileLock(dir.appendingPathComponent("decryptions.lock"))
        defer { lock.unlock() }
        let url = url(dir)
        var budget = DecryptionBudget(keyID: keyID, decrypted: 0)
        if let data = FileManager.default.contents(atPath: url.path) {
            guard let stored = try? JSONDecoder().decode(DecryptionBudget.self, from: data), stored.keyID == keyID
            else { throw InferenceError.badFile(path: url.path, reason: "unreadable or for another key") }
            budget = stored
        }
        let limit = flooding.maxDecryptions
        guard count <= limit - budget.decrypted else {
            throw InferenceError.invalidArgument(
                "\(url.path): this key has decrypted \(budget.decrypted) of its t = \(limit) ciphertexts and the "
                    + "request needs \(count) more; flooding's s = \(flooding.statisticalBits) bits hold only up to t, "
                    + "so make a new key store and package (owner package --keys NEW_DIR)")
        }
        guard count > 0 else { return budget.decrypted }  // a query: nothing to record
        budget.decrypted += count
        try AtomicWrite.write(Array(try JSONEncoder().encode(budget)), to: url)
        return budget.decrypted
    }
}

/// An exclusive advisory lock (`flock`) on a file, held from creation until ``unlock()``; it orders processes
/// and threads alike, each holding its own open file description.
final class FileLock {
    private var descriptor: Int32

    /// Opens (creating if needed) `url` and waits for the exclusive lock.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` if the file cannot be opened or locked.
    init(_ url: URL) throws {
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw InferenceError.badFile(path: url.path, reason: "cannot open the lock file") }
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX) } while result != 0 && errno == EINTR
        guard result == 0 else {
            close(descriptor)
            descriptor = -1
            throw InferenceError.badFile(path: url.path, reason: "cannot lock the decryption count")
        }
    }

    /// Releases the lock (closing the file releases it too).
    func unlock() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}

/// Parameters written beside keys and in packages: enough to rebuild the ``HEContext``.
struct ParameterRecord: Codable, Sendable, Equatable {
    var degree: Int
    var primes: [UInt64]
    /// "tc128" or "none" (toy parameters in tests).
    var security: String

    init(context: HEContext, security: SecurityLevel) {
        degree = context.degree
        primes = context.keyModuli.map(\.value)
        self.security = security == .none ? "none" : "tc128"
    }

    func makeContext(path: String) throws -> HEContext {
        do {
            let moduli = try primes.map { try Modulus($0) }
            let parms = try EncryptionParameters(polyModulusDegree: degree, coeffModulus: moduli)
            return try HEContext(parameters: parms, securityLevel: security == "none" ? .none : .tc128)
        } catch let error as InferenceError {
            throw error
        } catch {
            throw InferenceError.badFile(path: path, reason: "unusable CKKS parameters: \(error)")
        }
    }
}

/// The owner's key store.
///
/// The owner's key store: the secret key (only here), the public and relinearization keys, and a record of
/// the parameters and the key id (hash of the public key). Keys are SEAL-serialized inside the exchange
/// container (version, parms_id, content hash).
struct OwnerKeyStore: Sendable {
    struct Record: Codable {
        var parameters: ParameterRecord
        var keyID: String
        var flooding: FloodingParameters

        init(parameters: ParameterRecord, keyID: String, flooding: FloodingParameters) {
            self.parameters = parameters
            self.keyID = keyID
            self.flooding = flooding
        }

        /// Stores written before t was recorded (the linear σ = 2^s·B model) get the current defaults for their
        /// primes; their keys stay valid.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            parameters = try container.decode(ParameterRecord.self, forKey: .parameters)
            keyID = try container.decode(String.self, forKey: .keyID)
            flooding =
                (try? container.decode(FloodingParameters.self, forKey: .flooding))
                ?? FloodingParameters.defaults(for: parameters.primes.map { 64 - $0.leadingZeroBitCount })
        }
    }

    let context: HEContext
    let keys: OwnerKeyMaterial
    let keyID: String
    let flooding: FloodingParameters
    /// The public and relinearization key files as stored, which packages carry unchanged.
    let publicFile: ExchangeFile
    let relinFile: ExchangeFile

    static func recordURL(_ dir: URL) -> URL { dir.appendingPathComponent("keystore.json") }

    /// The key id: BLAKE2b-256 of the SEAL-serialized public key.
    static func keyID(_ publicKey: PublicKey) throws -> String { ContentHasher.hash(try publicKey.serialized()) }

    /// Loads the store in `dir` if it exists for `context`'s parameters; otherwise generates keys and writes it.
    static func loadOrCreate(_ dir: URL, context: HEContext, security: SecurityLevel) throws -> OwnerKeyStore {
        try open(dir, context: context, security: security).complete()
    }

    /// A key store being opened: its secret key at once, the whole store from ``complete``.
    struct Opening: Sendable {
        /// The secret key (all that symmetric encryption needs).
        let secret: SecretKey
        /// Whether the store is being created (so no package made before can have its key id).
        let isNew: Bool
        /// The complete store: for a new one, once the public and relinearization keys are generated and every
        /// file is written (waits for that); rethrows what failed there.
        let complete: @Sendable () throws -> OwnerKeyStore
    }

    /// Loads the store in `dir` if it exists for `context`'s parameters; otherwise draws a secret key now and
    /// generates the other keys and writes the store on a background thread, so that the owner can encrypt
    /// with the secret key meanwhile.
    /// - Throws: ``InferenceError`` for an unreadable store or one made for other parameters (never
    ///   overwritten: packages made with it could no longer be decrypted).
    static func open(_ dir: URL, context: HEContext, security: SecurityLevel) throws -> Opening {
        if FileManager.default.fileExists(atPath: recordURL(dir).path) {
            let store = try load(dir)
            guard store.context.parameters.parmsID == context.parameters.parmsID else {
                throw InferenceError.mismatch(
                    path: recordURL(dir).path,
                    reason: "holds keys for other CKKS parameters; use another --keys directory for these parameters")
            }
            guard !store.keys.relinKeys.hasKey(keyPower: HEContext.relinKeyPower) else {
                return Opening(secret: store.keys.secret, isNew: false) { store }
            }
            // A store from before the pipeline needed s³: same secret and key id, relinearization keys extended.
            let relinKeys = try context.relinKeys(for: store.keys.secret)
            let relinFile = ExchangeFile(
                kind: .relinKeys, parmsID: context.parameters.parmsID.description, fields: ["keyID": store.keyID],
                payload: try relinKeys.serialized())
            try relinFile.write(to: dir.appendingPathComponent("relin.keys"))
            let upgraded = OwnerKeyStore(
                context: store.context,
                keys: OwnerKeyMaterial(
                    secret: store.keys.secret, publicKey: store.keys.publicKey, relinKeys: relinKeys),
                keyID: store.keyID, flooding: store.flooding, publicFile: store.publicFile, relinFile: relinFile)
            return Opening(secret: store.keys.secret, isNew: false) { upgraded }
        }
        let generator = KeyGenerator(context: context.ckks)
        let creation = Background { try create(dir, generator: generator, context: context, security: security) }
        return Opening(secret: generator.secretKey, isNew: true) { try creation.value() }
    }

    /// Generates the public and relinearization keys of `generator`'s secret key and writes the store: the key
    /// files first, the record (which marks the store as present) last.
    static func create(_ dir: URL, generator: KeyGenerator, context: HEContext, security: SecurityLevel) throws
        -> OwnerKeyStore
    {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let keys = try context.generateKeys(generator)
        let parms = context.parameters.parmsID.description
        let publicBytes = try keys.publicKey.serialized()
        let keyID = ContentHasher.hash(publicBytes)  // ``keyID(_:)``, and the public key file's payload hash
        func file(_ kind: ExchangeFile.Kind, _ payload: [UInt8], hash: String? = nil) -> ExchangeFile {
            ExchangeFile(kind: kind, parmsID: parms, fields: ["keyID": keyID], payload: payload, payloadHash: hash)
        }
        let publicFile = file(.publicKey, publicBytes, hash: keyID)
        let relinFile = file(.relinKeys, try keys.relinKeys.serialized())
        try file(.secretKey, try keys.secret.serialized()).write(to: dir.appendingPathComponent("secret.key"))
        try publicFile.write(to: dir.appendingPathComponent("public.key"))
        try relinFile.write(to: dir.appendingPathComponent("relin.keys"))
        let flooding = FloodingParameters.defaults(for: context.keyModuli.map(\.bitCount))
        let record = Record(
            parameters: ParameterRecord(context: context, security: security), keyID: keyID, flooding: flooding)
        try AtomicWrite.write(Array(try JSONEncoder().encode(record)), to: recordURL(dir))
        return OwnerKeyStore(
            context: context, keys: keys, keyID: keyID, flooding: flooding, publicFile: publicFile,
            relinFile: relinFile)
    }

    /// Loads an existing store.
    static func load(_ dir: URL) throws -> OwnerKeyStore {
        let recordPath = recordURL(dir).path
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw InferenceError.badFile(
                path: recordPath, reason: "no key store here (run `privdnn owner package --keys`)")
        }
        let record: Record
        do { record = try JSONDecoder().decode(Record.self, from: data) } catch {
            throw InferenceError.badFile(path: recordPath, reason: "unreadable key store record")
        }
        let context = try record.parameters.makeContext(path: recordPath)
        let parms = context.parameters.parmsID.description
        func read(_ name: String, _ kind: ExchangeFile.Kind) throws -> (URL, ExchangeFile) {
            let url = dir.appendingPathComponent(name)
            let file = try ExchangeFile.read(url, kind: kind, parmsID: parms)
            guard file.header.fields["keyID"] == record.keyID else {
                throw InferenceError.mismatch(path: url.path, reason: "belongs to another key (key id differs)")
            }
            return (url, file)
        }
        let (secretURL, secretFile) = try read("secret.key", .secretKey)
        let (publicURL, publicFile) = try read("public.key", .publicKey)
        let (relinURL, relinFile) = try read("relin.keys", .relinKeys)
        let keys = OwnerKeyMaterial(
            secret: try SEALObject.load(SecretKey.self, secretFile.payload, context: context, path: secretURL.path),
            publicKey: try SEALObject.load(PublicKey.self, publicFile.payload, context: context, path: publicURL.path),
            relinKeys: try SEALObject.load(RelinKeys.self, relinFile.payload, context: context, path: relinURL.path))
        return OwnerKeyStore(
            context: context, keys: keys, keyID: record.keyID, flooding: record.flooding, publicFile: publicFile,
            relinFile: relinFile)
    }
}

/// SEAL-format objects inside exchange files.
enum SEALObject {
    /// Loads a SEAL object, turning SEAL's errors into one naming the file (never the key material).
    /// - Parameters:
    ///   - type: the object type.
    ///   - bytes: a buffer holding it.
    ///   - range: where in `bytes` the object lies (all of them by default).
    ///   - context: the parameters it must belong to.
    ///   - path: the file, for the error.
    /// - Returns: the object.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for invalid SEAL bytes.
    static func load<T: SEALLoadable>(
        _ type: T.Type, _ bytes: [UInt8], range: Range<Int>? = nil, context: HEContext, path: String
    ) throws -> T {
        do {
            return try T(serialized: bytes, range: range ?? 0..<bytes.count, context: context.ckks)
        } catch {
            throw InferenceError.badFile(path: path, reason: "invalid SEAL \(T.objectName): \(error)")
        }
    }
}
