import CKKS
import Foundation
import NTT
import TestSupport
import Testing

/// vectors/serial (gen_serial.py): seal-python 4.4 parameter files, and SEAL 4.3 objects in every compression
/// mode (zstd written by SEAL itself, none and the 4.4 re-save by SEAL, zlib framed per SEAL's rules).
enum SerialVectors {
    struct ParamCase: Decodable {
        let degree: Int
        let bits: [Int]
        let primes: [UInt64]
        let key_parms_id: String
        let first_parms_id: String
    }

    static func bytes(_ name: String) throws -> [UInt8] { try [UInt8](RepositoryPaths.vector("serial/\(name)")) }

    static func paramCases() throws -> [String: ParamCase] {
        try JSONDecoder().decode([String: ParamCase].self, from: RepositoryPaths.vector("serial/params.json"))
    }

    static let context: CKKSContext = try! CKKSContext(
        try! EncryptionParameters(serialized: try! bytes("parms_none.bin")))
}

@Test func parameterFilesAreByteIdenticalToSealPython() throws {
    let cases = try SerialVectors.paramCases()
    #expect(cases.count == 5)
    for (name, c) in cases {
        let parms = try EncryptionParameters(polyModulusDegree: c.degree, bitSizes: c.bits)
        #expect(parms.coeffModulus.map(\.value) == c.primes, "\(name)")
        let file = try SerialVectors.bytes("params_\(name).bin")
        #expect(try parms.serialized(version: .v4_4) == file, "\(name)")
        #expect(try EncryptionParameters(serialized: file) == parms, "\(name)")
        let context = try CKKSContext(parms, securityLevel: .none)
        #expect(context.keyParmsID.description == c.key_parms_id, "\(name)")
        #expect(context.firstParmsID.description == c.first_parms_id, "\(name)")
    }
}

func loadAny(_ name: String, _ bytes: [UInt8], _ context: CKKSContext) throws -> any Equatable & SEALSerializable {
    switch name {
    case "parms": try EncryptionParameters(serialized: bytes)
    case "sk": ComparableSecretKey(key: try SecretKey(serialized: bytes, context: context))
    case "pk": try PublicKey(serialized: bytes, context: context)
    case "rk": try RelinKeys(serialized: bytes, context: context)
    case "gk": try GaloisKeys(serialized: bytes, context: context)
    case "pt": try Plaintext(serialized: bytes, context: context)
    default: try Ciphertext(serialized: bytes, context: context)
    }
}

/// Secret keys have no `==` on purpose (SecretKey.swift); this test compares them word by word through the
/// package's helper instead.
struct ComparableSecretKey: Equatable, SEALSerializable {
    let key: SecretKey
    static func == (a: Self, b: Self) -> Bool { a.key.hasSameCoefficients(as: b.key) }
    static var objectName: String { SecretKey.objectName }
    func serialized(version: SEALVersion, comprMode: ComprMode) throws -> [UInt8] {
        try key.serialized(version: version, comprMode: comprMode)
    }
}

func same(_ a: any Equatable, _ b: any Equatable) -> Bool {
    func open<T: Equatable>(_ x: T) -> Bool { (b as? T) == x }
    return open(a)
}

@Test(arguments: ["parms", "sk", "pk", "rk", "gk", "pt", "ct", "ct3"])
func sameObjectInEveryCompressionMode(name: String) throws {
    let context = SerialVectors.context
    let reference = try loadAny(name, SerialVectors.bytes("\(name)_none.bin"), context)
    for mode in ["zstd", "zlib", "v44"] {
        let file = try SerialVectors.bytes("\(name)_\(mode).bin")
        #expect(same(try loadAny(name, file, context), reference), "\(name)_\(mode)")
    }
    // Our 4.4 writer reproduces seal-python's re-save byte for byte, nested headers included.
    #expect(try reference.serialized(version: .v4_4, comprMode: .none) == SerialVectors.bytes("\(name)_v44.bin"))
    // And what we compress, we read back.
    for mode in [ComprMode.zlib, .zstd] {
        let packed = try reference.serialized(version: .defaultForWriting, comprMode: mode)
        #expect(same(try loadAny(name, packed, context), reference))
    }
}

@Test func sizesAndKindsOfTheSerialObjects() throws {
    let context = SerialVectors.context
    let ct3 = try Ciphertext(serialized: SerialVectors.bytes("ct3_zstd.bin"), context: context)
    #expect(ct3.size == 3 && ct3.scale == 0x1p60)
    let gk = try GaloisKeys(serialized: SerialVectors.bytes("gk_zstd.bin"), context: context)
    #expect(gk.galoisElements == [3] && gk.keys.data.count == 4096)
    let summary = try SEALObjectInspector.inspect(SerialVectors.bytes("sk_zstd.bin"), context: context)
    #expect(summary.type == .secretKey && summary.header.comprMode == .zstd && summary.header.versionMinor == 3)
}
