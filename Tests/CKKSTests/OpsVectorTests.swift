import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// The parts of inputs.json the tests read.
///
/// JSONDecoder parses doubles exactly (JSONSerialization does not).
struct OpsInputs: Decodable {
    struct ComplexArray: Decodable {
        let real: [Double]
        let imag: [Double]
    }
    struct ComplexValue: Decodable {
        let real: Double
        let imag: Double
    }
    struct Values: Decodable {
        let ptReal: [Double]
        let ptComplex: ComplexArray
        let pt2: [Double]
        let ptConst: Double
        let ptCconst: ComplexValue
    }
    struct Op: Decodable {
        let file: String
        let op: String
        let inputs: [String]
    }
    let bitSizes: [Int]
    let coeffModulus: [UInt64]
    let scale: Double
    let values: Values
    let ops: [Op]
    let decodeDecryptC1: [Double]

    static func load(_ path: String) throws -> OpsInputs {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(OpsInputs.self, from: RepositoryPaths.vector(path))
    }
}

/// The vectors in ops/n4096, made by seal-python 4.4: encodes, every evaluator operation, decryption, decoding.
@Suite struct OpsVectorTests {
    let context: CKKSContext
    let files: SEALFiles
    let inputs: OpsInputs

    init() throws {
        inputs = try OpsInputs.load("ops/n4096/inputs.json")
        context = try CKKSContext(EncryptionParameters(polyModulusDegree: 4096, bitSizes: inputs.bitSizes))
        files = SEALFiles(context: context, folder: "ops/n4096/")
        #expect(context.parameters.coeffModulus.map(\.value) == inputs.coeffModulus)
    }

    @Test func encodesMatchSEAL() throws {
        let encoder = CKKSEncoder(context: context)
        let scale = inputs.scale
        let v = inputs.values
        let complex = zip(v.ptComplex.real, v.ptComplex.imag).map { Complex64($0, $1) }
        #expect(try encoder.encode(v.ptReal, scale: scale) == files.plaintext("pt_real.bin"))
        #expect(try encoder.encode(complex, scale: scale) == files.plaintext("pt_complex.bin"))
        #expect(try encoder.encode(v.pt2, scale: scale) == files.plaintext("pt2.bin"))
        #expect(try encoder.encode(v.ptConst, scale: scale) == files.plaintext("pt_const.bin"))
        let cconst = Complex64(v.ptCconst.real, v.ptCconst.imag)
        #expect(try encoder.encode(cconst, scale: scale) == files.plaintext("pt_cconst.bin"))
    }

    @Test func everyOperationMatchesSEAL() throws {
        let evaluator = Evaluator(context: context)
        let relinKeys = RelinKeys(keys: try files.keys("rk.bin"))
        let galoisKeys = GaloisKeys(keys: try files.keys("gk.bin"))
        var checked = 0
        for op in inputs.ops {
            let words = op.op.split(separator: " ")
            let names = op.inputs
            if words[0] == "decrypt" { continue }
            let operation = try #require(EvaluatorOperation(rawValue: String(words[0])), "\(words[0])")
            var operands = EvaluatorOperation.Operands(ciphertexts: [], relinKeys: relinKeys, galoisKeys: galoisKeys)
            operands.steps = words.count > 1 ? Int(words[1]) : nil
            if names[0].hasPrefix("pt") {
                // A plaintext modulus switch.
                #expect(
                    try evaluator.modSwitchToNext(files.plaintext(names[0])) == files.plaintext(op.file), "\(op.file)")
                checked += 1
                continue
            }
            for name in names where !name.hasPrefix("rk") && !name.hasPrefix("gk") {
                if name.hasPrefix("pt") {
                    operands.plain = try files.plaintext(name)
                } else {
                    operands.ciphertexts.append(try files.ciphertext(name))
                }
            }
            #expect(try operation.apply(evaluator, operands) == files.ciphertext(op.file), "\(op.file)")
            checked += 1
        }
        #expect(checked == inputs.ops.count - 1)
    }

    @Test func decryptionAndDecodingMatchSEAL() throws {
        let decryptor = try Decryptor(context: context, secretKey: SecretKey(data: files.plaintext("sk.bin")))
        #expect(try decryptor.decrypt(files.ciphertext("ev_rescale.bin")) == files.plaintext("dec_rescale.bin"))
        // SEAL's decode of its decryption of c1, to the last bit.
        let decoded = try CKKSEncoder(context: context).decode(decryptor.decrypt(files.ciphertext("c1.bin")))
        #expect(decoded == inputs.decodeDecryptC1)
    }
}

/// The vectors in ops/n8192 ([60, 40, 40, 60], scale 2^40): only inputs are committed, SEAL's outputs as sha256
/// digests of their 4.4 files, which our outputs saved as 4.4 must match.
@Suite struct LargeOpsVectorTests {
    struct Digests: Decodable {
        struct Op: Decodable {
            let file: String
            let op: String
            let inputs: [String]
            let sha256: String
        }
        let ops: [Op]
        let filesSha256: [String: String]
        let scale: Double
        let values: OpsInputs.Values
    }

    @Test func digestsOfEncodesAndOperationsMatchSEAL() throws {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let digests = try decoder.decode(Digests.self, from: RepositoryPaths.vector("ops/n8192/inputs.json"))
        let context = try CKKSContext(EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]))
        let files = SEALFiles(context: context, folder: "ops/n8192/")
        func digest(_ object: some SEALSerializable) throws -> String {
            SHA256.hex(try object.serialized(version: .v4_4, comprMode: .none))
        }
        let encoder = CKKSEncoder(context: context)
        let v = digests.values
        let complex = zip(v.ptComplex.real, v.ptComplex.imag).map { Complex64($0, $1) }
        #expect(try digest(encoder.encode(v.ptReal, scale: digests.scale)) == digests.filesSha256["pt_real.bin"])
        #expect(try digest(encoder.encode(complex, scale: digests.scale)) == digests.filesSha256["pt_complex.bin"])
        #expect(try digest(encoder.encode(v.ptConst, scale: digests.scale)) == digests.filesSha256["pt_const.bin"])
        let cconst = Complex64(v.ptCconst.real, v.ptCconst.imag)
        #expect(try digest(encoder.encode(cconst, scale: digests.scale)) == digests.filesSha256["pt_cconst.bin"])

        let evaluator = Evaluator(context: context)
        var outputs: [String: Ciphertext] = [:]
        func input(_ name: String) throws -> Ciphertext {
            if let made = outputs[name] { return made }
            return try files.ciphertext(name)
        }
        var checked = 0
        for op in digests.ops {
            let words = op.op.split(separator: " ")
            guard let operation = EvaluatorOperation(rawValue: String(words[0])) else { continue }
            if op.inputs[0].hasPrefix("pt") {
                #expect(try digest(evaluator.modSwitchToNext(files.plaintext(op.inputs[0]))) == op.sha256)
                checked += 1
                continue
            }
            var operands = EvaluatorOperation.Operands(ciphertexts: [])
            for name in op.inputs {
                if name.hasPrefix("pt") {
                    operands.plain = try files.plaintext(name)
                } else {
                    operands.ciphertexts.append(try input(name))
                }
            }
            let result = try operation.apply(evaluator, operands)
            outputs[op.file] = result
            #expect(try digest(result) == op.sha256, "\(op.file)")
            checked += 1
        }
        #expect(checked == 11)
    }
}
