import CKKS
import Foundation
import TestSupport
import Testing

@testable import Tool

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-\(UUID())-\(name)").path
}

func runParams(_ arguments: [String]) throws -> [UInt8] {
    let out = temporaryPath("params.bin")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let command = try CKKSParamsCommand.parse(arguments + ["--out", out])
    try command.run()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
}

@Test func paramsCommandWritesSEALsBytes() throws {
    // SEAL 4.1.2's own parms.bin, and seal-python 4.4's files for other prime sets.
    let seal41 = try [UInt8](RepositoryPaths.vector("seal-4.1.2-seeded/parms.bin"))
    #expect(try runParams(["--degree", "8192", "--bits", "60,40,40,60"]) == seal41)
    #expect(try runParams(["--degree", "8192", "--bits", "60,40,40,60", "--seal-version", "4.1"]) == seal41)
    let cases: [(String, [String])] = [
        ("n8192_60_40_40_60", ["--degree", "8192", "--bits", "60,40,40,60"]),
        ("n4096_36_36_37", ["--degree", "4096", "--bits", "36, 36, 37"]),
        ("n4096_30_20_30_20", ["--degree", "4096", "--bits", "30,20,30,20", "--security", "none"]),
        ("n16384_60_40x6_60", ["--degree", "16384", "--bits", "60,40,40,40,40,40,40,60", "--security", "128"]),
    ]
    for (name, arguments) in cases {
        let expected = try [UInt8](RepositoryPaths.vector("serial/params_\(name).bin"))
        #expect(try runParams(arguments + ["--seal-version", "4.4"]) == expected, "\(name)")
    }
}

@Test func paramsCommandRefusesBadArguments() throws {
    func message(_ arguments: [String]) -> String {
        do {
            _ = try runParams(arguments)
            return "no error"
        } catch {
            return CKKSParamsCommand.message(for: error)
        }
    }
    #expect(message(["--degree", "1000", "--bits", "40"]).contains("1000"))
    #expect(message(["--degree", "8192", "--bits", "61,40"]).contains("61"))
    #expect(message(["--degree", "8192", "--bits", "60,x"]).contains("'x'"))
    #expect(message(["--degree", "8192", "--bits", "60,60,60,60"]).contains("240 bits"))
    #expect(message(["--degree", "8192", "--bits", "15"]).contains("15-bit"))
    #expect(message(["--degree", "4096", "--bits", "60,40,40,60", "--security", "256"]).contains("256-bit"))
    for bad in [["--seal-version", "4.2"], ["--security", "80"]] {
        #expect(throws: (any Error).self) {
            try CKKSParamsCommand.parse(["--degree", "4096", "--bits", "40", "--out", "x"] + bad)
        }
    }
    // Every message is a single line.
    #expect(!message(["--degree", "8192", "--bits", "60,60,60,60"]).contains("\n"))
    // A folder as the output is named, in one line (not "NSCocoaErrorDomain error 512").
    let folder = FileManager.default.temporaryDirectory.path
    let command = try CKKSParamsCommand.parse([
        "--degree", "4096", "--bits", "40", "--security", "none", "--out", folder,
    ])
    #expect(throws: (any Error).self) { try command.run() }
    do { try command.run() } catch { #expect(CKKSParamsCommand.message(for: error) == "\(folder): is a directory") }
}

@Test func inspectReportsTypeLevelAndScale() throws {
    let vectors = RepositoryPaths.vectors.path
    let parms = "\(vectors)/seal-4.1.2-seeded/parms.bin"
    func report(_ file: String, params: String? = nil) throws -> [String: Any] {
        var arguments = [file]
        if let params { arguments += ["--params", params] }
        let json = try CKKSInspectCommand.parse(arguments).report()
        try JSONKeyConvention.expectSnakeCase(json, "ckks inspect")
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
    }
    let rescaled = try report("\(vectors)/seal-4.1.2-seeded/ev_rescale.bin", params: parms)
    #expect(rescaled["type"] as? String == "Ciphertext")
    #expect(rescaled["level"] as? Int == 1 && rescaled["size"] as? Int == 2)
    #expect(rescaled["scale"] as? Double == 1_099_511_775_231.0198)
    #expect(rescaled["parms_id"] as? String == "dc264f695a81d156 890465c10f20b410 f03d86f8bc932745 2e67b09e17d4a44c")
    #expect((rescaled["header"] as? [String: Any])?["version"] as? String == "4.1")
    let sk = try report("\(vectors)/seal-4.1.2-seeded/sk.bin", params: parms)
    #expect(sk["type"] as? String == "SecretKey" && sk["level"] as? Int == 3)
    let seeded = try report("\(vectors)/seal-4.1.2-seeded/pk_seeded.bin")
    #expect(seeded["type"] as? String == "Ciphertext" && seeded["seeded"] as? Bool == true)
    #expect(seeded["candidates"] as? [String] == ["Ciphertext", "PublicKey"])
    let zstd = try report("\(vectors)/serial/gk_zstd.bin")
    #expect(zstd["type"] as? String == "GaloisKeys" && zstd["galois_elements"] as? [Int] == [3])
    #expect((zstd["header"] as? [String: Any])?["compr_mode"] as? String == "zstd")
    let params = try report("\(vectors)/serial/params_n8192_60_40_40_60.bin")
    #expect(params["type"] as? String == "EncryptionParameters" && params["poly_modulus_degree"] as? Int == 8192)
    #expect(throws: (any Error).self) { try report("\(vectors)/README.md") }
    #expect(throws: (any Error).self) { try report("\(vectors)/no-such-file.bin") }
}
