import CKKS
import Foundation
import NTT

/// How the owner floods decryptions (protocol.md, "Why flooding is needed").
///
/// The owner adds to every decrypted coefficient an independent rounded Gaussian of standard deviation
/// σ = 2^s · B, where B bounds the coefficients of the ciphertext's own error at the decryption level. The
/// flooded result is then within statistical distance about 2^-s (per coefficient, B/σ) of a distribution that
/// does not depend on the secret key. B is stated relative to the result scale: B = resultScale · 2^-β,
/// with β measured by the tests (`FloodingTests`): the measured error stays ≥ 2^4 below B.
public struct FloodingParameters: Sendable, Codable, Equatable {
    /// s, the statistical security parameter in bits.
    public var statisticalBits: Int
    /// β: the error bound B is resultScale · 2^-β.
    public var noiseBoundBitsBelowScale: Int

    /// The owner's default for 60-bit rescaling primes (`auto`): s = 20 and β = 40 (σ = resultScale · 2^-20;
    /// measured error ≈ resultScale · 2^-45).
    public static let standard = FloodingParameters(statisticalBits: 20, noiseBoundBitsBelowScale: 40)

    /// The default for a prime chain (bit sizes, special prime last). Smaller rescaling primes mean smaller
    /// scales and fewer bits of precision: β shrinks with the smallest of the three rescaling primes, linearly
    /// between β = 40 at 60 bits (measured 2^-45) and β = 34 at 40 bits (`privdnn`, measured 2^-39.6), both with a
    /// margin ≥ 2^5 checked by `FloodingTests`, and s with it, keeping σ = resultScale · 2^-20 so that the
    /// decoded result keeps ~13 bits: s = 20 for `auto`, s = 14 for `privdnn`.
    public static func defaults(for bitSizes: [Int]) -> FloodingParameters {
        let smallest = bitSizes.dropLast().dropFirst().prefix(3).min() ?? 60
        let beta = max(20, 34 + (min(smallest, 60) - 40) * 6 / 20)
        return FloodingParameters(statisticalBits: beta - 20, noiseBoundBitsBelowScale: beta)
    }

    /// Creates flooding parameters.
    public init(statisticalBits: Int, noiseBoundBitsBelowScale: Int) {
        self.statisticalBits = statisticalBits
        self.noiseBoundBitsBelowScale = noiseBoundBitsBelowScale
    }

    /// σ for a result at `scale`.
    public func sigma(resultScale scale: Double) -> Double {
        scale * exp2(Double(statisticalBits - noiseBoundBitsBelowScale))
    }
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

/// The owner's key store: the secret key (only here), the public and relinearization keys, and a record of
/// the parameters and the key id (hash of the public key). Keys are SEAL-serialized inside the exchange
/// container (version, parms_id, content hash).
struct OwnerKeyStore {
    struct Record: Codable {
        var parameters: ParameterRecord
        var keyID: String
        var flooding: FloodingParameters
    }

    let context: HEContext
    let keys: OwnerKeyMaterial
    let keyID: String
    let flooding: FloodingParameters

    static func recordURL(_ dir: URL) -> URL { dir.appendingPathComponent("keystore.json") }

    /// The key id: BLAKE2b-256 of the SEAL-serialized public key.
    static func keyID(_ publicKey: PublicKey) throws -> String { ContentHasher.hash(try publicKey.serialized()) }

    /// Loads the store in `dir` if it exists for `context`'s parameters; otherwise generates keys and writes it.
    static func loadOrCreate(_ dir: URL, context: HEContext, security: SecurityLevel) throws -> OwnerKeyStore {
        if FileManager.default.fileExists(atPath: recordURL(dir).path) {
            let store = try load(dir)
            if store.context.parameters.parmsID == context.parameters.parmsID { return store }
        }
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let keys = try context.generateKeys()
        let parms = context.parameters.parmsID.description
        let keyID = try keyID(keys.publicKey)
        let files: [(String, ExchangeFile.Kind, [UInt8])] = [
            ("secret.key", .secretKey, try keys.secret.serialized()),
            ("public.key", .publicKey, try keys.publicKey.serialized()),
            ("relin.keys", .relinKeys, try keys.relinKeys.serialized()),
        ]
        for (name, kind, bytes) in files {
            try ExchangeFile(kind: kind, parmsID: parms, fields: ["keyID": keyID], payload: bytes)
                .write(to: dir.appendingPathComponent(name))
        }
        let flooding = FloodingParameters.defaults(for: context.keyModuli.map(\.bitCount))
        let record = Record(
            parameters: ParameterRecord(context: context, security: security), keyID: keyID, flooding: flooding)
        try AtomicWrite.write(Array(try JSONEncoder().encode(record)), to: recordURL(dir))
        return OwnerKeyStore(context: context, keys: keys, keyID: keyID, flooding: flooding)
    }

    /// Loads an existing store.
    static func load(_ dir: URL) throws -> OwnerKeyStore {
        let recordPath = recordURL(dir).path
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw InferenceError.badFile(path: recordPath, reason: "no key store here (run `privdnn owner package --keys`)")
        }
        let record: Record
        do { record = try JSONDecoder().decode(Record.self, from: data) } catch {
            throw InferenceError.badFile(path: recordPath, reason: "unreadable key store record")
        }
        let context = try record.parameters.makeContext(path: recordPath)
        let parms = context.parameters.parmsID.description
        func payload(_ name: String, _ kind: ExchangeFile.Kind) throws -> (URL, [UInt8]) {
            let url = dir.appendingPathComponent(name)
            let file = try ExchangeFile.read(url, kind: kind, parmsID: parms)
            guard file.header.fields["keyID"] == record.keyID else {
                throw InferenceError.mismatch(path: url.path, reason: "belongs to another key (key id differs)")
            }
            return (url, file.payload)
        }
        let (secretURL, secretBytes) = try payload("secret.key", .secretKey)
        let (publicURL, publicBytes) = try payload("public.key", .publicKey)
        let (relinURL, relinBytes) = try payload("relin.keys", .relinKeys)
        let keys = OwnerKeyMaterial(
            secret: try SEALObject.load(SecretKey.self, secretBytes, context: context, path: secretURL.path),
            publicKey: try SEALObject.load(PublicKey.self, publicBytes, context: context, path: publicURL.path),
            relinKeys: try SEALObject.load(RelinKeys.self, relinBytes, context: context, path: relinURL.path))
        return OwnerKeyStore(context: context, keys: keys, keyID: record.keyID, flooding: record.flooding)
    }
}

/// SEAL-format objects inside exchange files.
enum SEALObject {
    /// Loads a SEAL object, turning SEAL's errors into one naming the file (never the key material).
    static func load<T: SEALLoadable>(_ type: T.Type, _ bytes: [UInt8], context: HEContext, path: String) throws -> T {
        do {
            return try T(serialized: bytes, context: context.ckks)
        } catch {
            throw InferenceError.badFile(path: path, reason: "invalid SEAL \(T.objectName): \(error)")
        }
    }
}
