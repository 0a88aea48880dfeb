import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// The vectors in relin4/ (`vectors/gen_relin4.py`): SEAL 4.4 relinearizing a size-4 ciphertext, one component at
/// a time, with our relinearization keys for s² and s³.
@Suite struct Relin4VectorTests {
    struct Inputs: Decodable {
        let bitSizes: [Int]
        let coeffModulus: [UInt64]
        let values: [Double]
        let squareSha256: String
        let cubeSha256: String
        let relinDecodeError: Double
        let nativeRelinSha256: String
        let nativeRelinDecodeError: Double
    }

    @Test func sizeFourRelinearizationIsSEALsWordForWord() throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let inputs = try decoder.decode(Inputs.self, from: RepositoryPaths.vector("relin4/inputs.json"))
        let context = try CKKSContext(EncryptionParameters(polyModulusDegree: 4096, bitSizes: inputs.bitSizes))
        #expect(context.parameters.coeffModulus.map(\.value) == inputs.coeffModulus)
        let files = SEALFiles(context: context, folder: "relin4/")
        func bytes(_ file: String) throws -> [UInt8] { [UInt8](try RepositoryPaths.vector("relin4/" + file)) }
        func digest(_ object: some SEALSerializable) throws -> String {
            SHA256.hex(try object.serialized(version: .v4_4, comprMode: .none))
        }

        // The multi-power keys load, with s² at index 0 and s³ at index 1, and save back to the same bytes.
        let relinKeys = try RelinKeys(contentsOfFile: files.url("rk.bin"), context: context)
        #expect(relinKeys.maxKeyPower == 3 && relinKeys.keys.data.count == 2)
        #expect(try relinKeys.serialized(version: .v4_4) == bytes("rk.bin"))
        // The inspector calls them relinearization keys (two filled entries), with or without a context.
        for summary in [
            try SEALObjectInspector.inspect(bytes("rk.bin"), context: context),
            try SEALObjectInspector.inspect(bytes("rk.bin"), context: nil),
        ] {
            #expect(summary.type == .relinKeys && summary.size == 2 && summary.galoisElements == nil)
        }

        // SEAL's square and its size-3 × size-2 product (ckks_multiply for any sizes).
        let evaluator = Evaluator(context: context)
        let c = try files.ciphertext("c.bin")
        let square = try evaluator.square(c)
        #expect(try digest(square) == inputs.squareSha256)
        let cube = try evaluator.multiply(square, c)
        #expect(cube.size == 4)
        #expect(try digest(cube) == inputs.cubeSha256)

        // Relinearizing c3 with s³ and then c2 with s², each by SEAL's switch_key_inplace: byte for byte.
        let relinearized = try evaluator.relinearize(cube, relinKeys: relinKeys)
        #expect(try relinearized.serialized(version: .v4_4) == bytes("relin.bin"))
        // SEAL 4.4's own relinearize of size 4 switches c3 twice and never c2: it differs, and decrypts wrongly.
        #expect(try digest(relinearized) != inputs.nativeRelinSha256)
        #expect(inputs.nativeRelinDecodeError > 1 && inputs.relinDecodeError < 0.01)

        let secretKey = try SecretKey(contentsOfFile: files.url("sk.bin"), context: context)
        let decryptor = try Decryptor(context: context, secretKey: secretKey)
        let encoder = CKKSEncoder(context: context)
        let expected = inputs.values.map { $0 * $0 * $0 }
        func decodeError(_ ciphertext: Ciphertext) throws -> Double {
            zip(try encoder.decode(decryptor.decrypt(ciphertext)), expected).map { abs($0 - $1) }.max() ?? .infinity
        }
        #expect(abs(try decodeError(relinearized) - inputs.relinDecodeError) <= 1e-12)
        // The fused form rounds once by P·q: no SEAL counterpart, but as close to the cube.
        let fused = try evaluator.relinearizeAndRescale(cube, relinKeys: relinKeys)
        #expect(try decodeError(fused) < 0.01)
    }
}
