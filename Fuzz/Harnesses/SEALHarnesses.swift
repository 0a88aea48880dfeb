import CKKS
import Foundation

/// SEAL objects as `privdnn ckks` loads them (`CKKSFiles.context`, `CKKSFiles.load`, `ckks inspect`), at a toy
/// context so that valid objects are a few kilobytes; every object kind in every compression mode.
enum SEALHarnesses {
    /// N = 64 and three primes: key level, two data levels.
    ///
    /// Security none, as the tool's loader uses.
    static let parameters = setUp("toy parameters") {
        try EncryptionParameters(polyModulusDegree: 64, bitSizes: [40, 30, 40])
    }
    static let context = setUp("toy context") { try CKKSContext(parameters, securityLevel: .none) }

    static let all: [Harness] = [
        Harness(
            name: "seal-parameters", summary: "SEAL EncryptionParameters, then the context built from them",
            run: { bytes in
                guard let parms = try? EncryptionParameters(serialized: bytes) else { return }
                _ = try? CKKSContext(parms, securityLevel: .none)
            },
            seeds: {
                var seeds = try variants("toy", { try parameters.serialized(version: $0, comprMode: $1) })
                for path in [
                    "vectors/serial/parms_none.bin", "vectors/serial/parms_zlib.bin", "vectors/serial/parms_zstd.bin",
                    "vectors/serial/parms_v44.bin", "vectors/serial/params_n16384_60_40x6_60.bin",
                    "vectors/relin4/parms.bin",
                ] {
                    seeds.append((path.replacingOccurrences(of: "/", with: "_"), try Seeds.file(path)))
                }
                return seeds
            }),
        loader(Plaintext.self, "seal-plaintext") { keys in
            let encoder = CKKSEncoder(context: context)
            let last = try encoder.encode([1.5, -2.25, 3], scale: 0x1p20, parmsID: context.lastParmsID)
            return [("first", try encoder.encode([0.5, 7], scale: 0x1p25)), ("last", last)]
        },
        loader(Ciphertext.self, "seal-ciphertext") { keys in
            let encryptor = try Encryptor(
                context: context, publicKey: keys.createPublicKey(), secretKey: keys.secretKey)
            let plain = try CKKSEncoder(context: context).encode([1, 2, 3], scale: 0x1p25)
            return [
                ("public", try encryptor.encrypt(plain)), ("symmetric", try encryptor.encryptSymmetric(plain)),
                ("seeded", try encryptor.encryptSymmetric(plain, seeded: true)),
                ("zero-last", try encryptor.encryptZero(parmsID: context.lastParmsID)),
            ]
        },
        loader(SecretKey.self, "seal-secret-key") { keys in [("key", keys.secretKey)] },
        loader(PublicKey.self, "seal-public-key") { keys in
            [("full", keys.createPublicKey()), ("seeded", keys.createPublicKey(seeded: true))]
        },
        loader(RelinKeys.self, "seal-relin-keys") { keys in
            [
                ("full", try keys.createRelinKeys()),
                ("seeded-power3", try keys.createRelinKeys(maxPower: 3, seeded: true)),
            ]
        },
        loader(GaloisKeys.self, "seal-galois-keys") { keys in
            [
                ("step1", try keys.createGaloisKeys(steps: [1])),
                ("seeded", try keys.createGaloisKeys(steps: [-2], seeded: true)),
            ]
        },
        Harness(
            name: "seal-inspect", summary: "`privdnn ckks inspect`: any SEAL object, with and without parameters",
            run: { bytes in
                _ = try? SEALObjectInspector.inspect(bytes, context: context)
                _ = try? SEALObjectInspector.inspect(bytes)
            },
            seeds: {
                let keys = KeyGenerator(context: context)
                let plain = try CKKSEncoder(context: context).encode([1, 2], scale: 0x1p25)
                let encryptor = try Encryptor(context: context, secretKey: keys.secretKey)
                return try [
                    ("parameters", parameters.serialized()), ("plaintext", plain.serialized()),
                    ("ciphertext", encryptor.encryptSymmetric(plain, seeded: true).serialized(comprMode: .zstd)),
                    ("secret-key", keys.secretKey.serialized(comprMode: .zlib)),
                    ("relin-keys", keys.createRelinKeys(seeded: true).serialized()),
                ]
            }),
    ]

    /// A harness loading `T` from bytes against the toy context (`T(serialized:context:)`, what
    /// `T(contentsOfFile:context:)` runs on a file's bytes), seeded with `objects` in every version and
    /// compression mode.
    static func loader<T: SEALLoadable>(
        _ type: T.Type, _ name: String, objects: @escaping (KeyGenerator) throws -> [(String, T)]
    ) -> Harness {
        Harness(
            name: name, summary: "SEAL \(T.objectName) (none/zlib/zstd, 4.1/4.4 headers)",
            run: { bytes in _ = try? T(serialized: bytes, context: context) },
            seeds: {
                try objects(KeyGenerator(context: context)).flatMap { label, object in
                    try variants(label) { try object.serialized(version: $0, comprMode: $1) }
                }
            })
    }

    /// The object in every compression mode at version 4.1, and uncompressed at 4.4.
    static func variants(_ label: String, _ serialize: (SEALVersion, ComprMode) throws -> [UInt8]) throws
        -> [(name: String, bytes: [UInt8])]
    {
        try ComprMode.allCases.map { ("\(label)-\($0)", try serialize(.v4_1, $0)) }
            + [("\(label)-v44", try serialize(.v4_4, .none))]
    }
}
