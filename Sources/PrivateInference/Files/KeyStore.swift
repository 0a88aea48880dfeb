import CKKS
import Foundation
import NTT
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Parameters written beside keys and in packages: enough to rebuild the ``HEContext``.
struct ParameterRecord: Codable, Sendable, Hashable {
    var degree: Int
    var primes: [UInt64]
    /// "tc128" or "none" (toy parameters in tests).
    var security: String

    init(context: HEContext, security: SecurityLevel) {
        degree = context.degree
        primes = context.keyModuli.map(\.value)
        self.security = security == .none ? "none" : "tc128"
    }

    /// The context of these parameters, made once per process: an owner's service decrypts request after request
    /// under a few parameter sets, and building the NTT tables cost more than decrypting a one-image request.
    func makeContext(path: String) throws -> HEContext {
        if let made = Self.contexts.withLock({ $0[self] }) { return made }
        let made = try newContext(path: path)
        Self.contexts.withLock { cache in
            if cache.count >= 8 { cache.removeAll() }  // bounded: parameter sets are few
            cache[self] = made
        }
        return made
    }

    private static let contexts = Mutex<[ParameterRecord: HEContext]>([:])

    private func newContext(path: String) throws -> HEContext {
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

/// One owner key: a directory of the owner's key store (``OwnerKeyring``) holding the secret key (only here), the
/// public and relinearization keys, the record of the parameters, key id (hash of the public key) and flooding, the
/// decryption count, and the record of the one package made with the key (``IssuedPackage``).
///
/// Keys are SEAL-serialized inside the exchange container (version, parms_id, content hash).
struct OwnerKeyStore: Sendable {
    struct Record: Codable {
        var parameters: ParameterRecord
        var keyID: String
        var flooding: FloodingParameters
    }

    /// The key's directory.
    let dir: URL
    let context: HEContext
    /// The secret key: all that decryption needs.
    let secret: SecretKey
    let keyID: String
    let flooding: FloodingParameters
    /// The public and relinearization key files as stored, which packages carry unchanged: present on a key just
    /// made; a loaded key does not parse them (decrypting a request needs the secret key alone, and the
    /// relinearization keys are the largest file of the store).
    let publicFile: ExchangeFile?
    let relinFile: ExchangeFile?

    static func recordURL(_ dir: URL) -> URL { dir.appendingPathComponent("keystore.json") }

    /// The key id: BLAKE2b-256 of the SEAL-serialized public key.
    static func keyID(_ publicKey: PublicKey) throws -> String { ContentHasher.hash(try publicKey.serialized()) }

    /// Generates the public and relinearization keys of `generator`'s secret key and writes the key's files to
    /// `dir`: the keys, then a zero decryption count, then the record (which marks the key as present).
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
        try DecryptionBudget.start(dir: dir, keyID: keyID)
        let flooding = FloodingParameters.defaults(for: context.keyModuli.map(\.bitCount))
        let record = Record(
            parameters: ParameterRecord(context: context, security: security), keyID: keyID, flooding: flooding)
        try AtomicWrite.write(Array(try JSONEncoder().encode(record)), to: recordURL(dir))
        return OwnerKeyStore(
            dir: dir, context: context, secret: keys.secret, keyID: keyID, flooding: flooding, publicFile: publicFile,
            relinFile: relinFile)
    }

    /// The same key after its directory was renamed to `dir`.
    func moved(to dir: URL) -> OwnerKeyStore {
        OwnerKeyStore(
            dir: dir, context: context, secret: secret, keyID: keyID, flooding: flooding, publicFile: publicFile,
            relinFile: relinFile)
    }

    /// Loads the key in `dir`: its record, its secret key, and the public key file's header (which must name the
    /// key id); the public and relinearization keys themselves are not parsed.
    /// - Throws: ``InferenceError`` naming the file that is missing, unreadable, out of range or of another key.
    static func load(_ dir: URL) throws -> OwnerKeyStore {
        let recordPath = recordURL(dir).path
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw InferenceError.badFile(path: recordPath, reason: "no owner key here")
        }
        let record: Record
        do { record = try JSONDecoder().decode(Record.self, from: data) } catch {
            throw InferenceError.badFile(path: recordPath, reason: "unreadable key store record")
        }
        try record.flooding.validate(path: recordPath)
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
        let publicURL = dir.appendingPathComponent("public.key")
        let publicHeader = try ExchangeFile.readHeader(publicURL, kind: .publicKey, parmsID: parms)
        guard publicHeader.fields["keyID"] == record.keyID, publicHeader.payloadHash == record.keyID else {
            throw InferenceError.mismatch(path: publicURL.path, reason: "public key does not match the key id")
        }
        return OwnerKeyStore(
            dir: dir, context: context,
            secret: try SEALObject.load(SecretKey.self, secretFile.payload, context: context, path: secretURL.path),
            keyID: record.keyID, flooding: record.flooding, publicFile: nil, relinFile: nil)
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
