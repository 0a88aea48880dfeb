import ArgumentParser
import CKKS
import Foundation
import TestSupport
import Testing

@testable import Tool

/// keygen, encode, encrypt, decrypt and eval on temporary files, against SEAL's own files and seal-python.
@Suite struct CKKSSchemeCommandTests {
    let folder: String
    let n4096 = RepositoryPaths.vectors.appendingPathComponent("ops/n4096").path

    init() throws {
        folder = temporaryPath("scheme")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder + "/" + name }

    func write(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func bytes(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) }

    func run<C: ParsableCommand>(_ type: C.Type, _ arguments: [String]) throws {
        var command = try C.parse(arguments)
        try command.run()
    }

    func decrypt(_ params: String, _ key: String, _ input: String) throws -> [Double] {
        try CKKSDecryptCommand.parse(["--params", params, "--secret-key", key, "--in", input]).values()
    }

    /// The one-line message a failing command prints.
    func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func keygenEncryptEvalDecryptRoundTrip() throws {
        try run(CKKSParamsCommand.self, ["--degree", "4096", "--bits", "40,30,39", "--out", path("p.parms")])
        let params = path("p.parms")
        try run(CKKSKeygenCommand.self, ["--params", params, "--out", path("keys"), "--rotations", "1,-1,-4,0"])
        let keys = path("keys/")
        let x = [1.5, -2.25, 0.5, 3.0]
        let y = [0.25, 2.0, -1.0, 0.5]
        let xs = try write("[1.5, -2.25, 0.5, 3.0]", "x.json")
        let ys = try write("[0.25, 2.0, -1.0, 0.5]", "y.json")
        for (values, name) in [(xs, "x.ct"), (ys, "y.ct")] {
            try run(
                CKKSEncryptCommand.self,
                [
                    "--params", params, "--public-key", keys + "public.key", "--scale", "2^30", "--values", values,
                    "--out", path(name),
                ])
        }
        try run(
            CKKSEncodeCommand.self,
            ["--params", params, "--scale", "1073741824.0", "--values", ys, "--out", path("y.pt")])
        func eval(_ op: String, _ inputs: [String], _ extra: [String] = [], out: String) throws {
            try run(
                CKKSEvalCommand.self,
                [op, "--params", params] + inputs.flatMap { ["--in", path($0)] } + extra + ["--out", path(out)])
        }
        try eval("multiply", ["x.ct", "y.ct"], out: "xy3.ct")
        try eval("relinearize", ["xy3.ct"], ["--relin-keys", keys + "relin.key"], out: "xy.ct")
        try eval("rescale", ["xy.ct"], out: "xy1.ct")
        try eval("rotate", ["xy1.ct"], ["--galois-keys", keys + "galois.key", "--steps", "-3"], out: "r.ct")
        try eval("add", ["x.ct", "y.ct"], out: "sum.ct")
        try eval("sub-plain", ["x.ct"], ["--plain", path("y.pt")], out: "diff.ct")
        try eval("conjugate", ["x.ct"], ["--galois-keys", keys + "galois.key"], out: "conj.ct")
        try eval("square", ["x.ct"], out: "sq.ct")

        func close(_ file: String, _ expected: [Double], tolerance: Double = 2e-3) throws {
            let got = try decrypt(params, keys + "secret.key", path(file))
            #expect(got.count == 2048)
            let worst =
                zip(got, expected + Array(repeating: 0, count: 2048 - expected.count))
                .map { ($0 - $1).magnitude }.max() ?? 1
            #expect(worst < tolerance, "\(file): worst error \(worst)")
        }
        try close("x.ct", x)
        try close("xy1.ct", zip(x, y).map(*), tolerance: 1e-2)
        try close("r.ct", [0, 0, 0] + zip(x, y).map(*), tolerance: 1e-2)
        try close("sum.ct", zip(x, y).map(+))
        try close("diff.ct", zip(x, y).map(-))
        try close("conj.ct", x)
        let squared = try decrypt(params, keys + "secret.key", path("sq.ct"))
        #expect(abs(squared[0] - 2.25) < 1e-2)
        let attributes = try FileManager.default.attributesOfItem(atPath: keys + "secret.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // keygen follows the parameters file's version (4.1 here).
        #expect(try bytes(keys + "secret.key")[4] == 1)
    }

    @Test func evalOfSEALFilesIsByteIdenticalAndKeepsVersion44() throws {
        let params = n4096 + "/parms.bin"
        let cases: [([String], String)] = [
            (["add", "--in", "c1.bin", "--in", "c2.bin"], "ev_add.bin"),
            (["relinearize", "--in", "ev_mul.bin", "--relin-keys", "rk.bin"], "ev_relin.bin"),
            (["rotate", "--steps", "3", "--in", "c1.bin", "--galois-keys", "gk.bin"], "ev_rot3.bin"),
            (["rotate", "--steps", "-1", "--in", "c1.bin", "--galois-keys", "gk.bin"], "ev_rotm1.bin"),
            (["multiply-plain", "--in", "c1.bin", "--plain", "pt2.bin"], "ev_mulplain.bin"),
            (["mod-switch", "--in", "c1.bin"], "ev_modswitch.bin"),
        ]
        for (arguments, expected) in cases {
            let resolved = arguments.map { $0.hasSuffix(".bin") ? n4096 + "/" + $0 : $0 }
            try run(CKKSEvalCommand.self, resolved + ["--params", params, "--out", path(expected)])
            #expect(try bytes(path(expected)) == bytes(n4096 + "/" + expected), "\(expected)")
        }
        // Decrypting SEAL's ciphertext prints SEAL's own decode, bit for bit.
        let report = try CKKSDecryptCommand.parse([
            "--params", params, "--secret-key", n4096 + "/sk.bin", "--in", n4096 + "/c1.bin",
        ]).report()
        let printed = try JSONDecoder().decode([Double].self, from: Data(report.utf8))
        #expect(printed == (try OpsDecode.load(n4096 + "/inputs.json")))
    }

    @Test func sizeFourRelinearizationWithKeysUpToS3() throws {
        // keygen --relin-max-power 3 writes s² and s³; 1 is refused with one line naming the option.
        try run(CKKSParamsCommand.self, ["--degree", "4096", "--bits", "40,30,39", "--out", path("p.parms")])
        let keygen = ["--params", path("p.parms"), "--rotations", "1"]
        try run(CKKSKeygenCommand.self, keygen + ["--out", path("keys"), "--relin-max-power", "3"])
        let context = try CKKSContext(EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39]))
        #expect(try RelinKeys(contentsOfFile: path("keys/relin.key"), context: context).maxKeyPower == 3)
        let refused = failure {
            try run(CKKSKeygenCommand.self, keygen + ["--out", path("k1"), "--relin-max-power", "1"])
        }
        #expect(refused.contains("--relin-max-power"))
        // c²·c and its relinearization through eval: SEAL's bytes (vectors/relin4).
        let relin4 = RepositoryPaths.vectors.appendingPathComponent("relin4").path + "/"
        let params = relin4 + "parms.bin"
        func eval(_ op: String, _ inputs: [String], _ extra: [String] = [], out: String) throws {
            let files = inputs.flatMap { ["--in", $0] } + extra + ["--out", out]
            try run(CKKSEvalCommand.self, [op, "--params", params] + files)
        }
        try eval("square", [relin4 + "c.bin"], out: path("sq.ct"))
        try eval("multiply", [path("sq.ct"), relin4 + "c.bin"], out: path("cube.ct"))
        try eval("relinearize", [path("cube.ct")], ["--relin-keys", relin4 + "rk.bin"], out: path("relin.ct"))
        #expect(try bytes(path("relin.ct")) == bytes(relin4 + "relin.bin"))
    }

    @Test func errorsNameTheFileAndTheProblem() throws {
        let params = n4096 + "/parms.bin"
        let c1 = n4096 + "/c1.bin"
        func eval(_ arguments: [String]) -> String {
            failure { try run(CKKSEvalCommand.self, arguments + ["--params", params, "--out", path("o.ct")]) }
        }
        // A missing Galois key names the key file and the step.
        let missing = eval(["rotate", "--steps", "2", "--in", c1, "--galois-keys", n4096 + "/gk.bin"])
        #expect(missing.contains("gk.bin") && missing.contains("step 2"))
        // Wrong magic, truncation.
        let json = try write("[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]", "v.json")
        #expect(eval(["negate", "--in", json]).contains("v.json") && eval(["negate", "--in", json]).contains("magic"))
        let truncated = path("short.ct")
        try Data(try bytes(c1).prefix(500)).write(to: URL(fileURLWithPath: truncated))
        #expect(eval(["negate", "--in", truncated]).contains("truncated"))
        // A ciphertext of other parameters.
        let other = RepositoryPaths.vectors.appendingPathComponent("seal-4.1.2-seeded/ct_pk.bin").path
        let mismatch = eval(["negate", "--in", other])
        #expect(mismatch.contains("ct_pk.bin"))
        // Level exhausted: rescaling twice from the first level of [40, 30, 39].
        try run(
            CKKSEvalCommand.self,
            ["rescale", "--in", n4096 + "/ev_mul.bin", "--params", params, "--out", path("r1.ct")])
        let exhausted = eval(["rescale", "--in", path("r1.ct")])
        #expect(exhausted.contains("r1.ct") && exhausted.contains("end of modulus switching chain"))
        // Scale out of range, and scales that do not parse.
        let values = try write("[1.0]", "one.json")
        func encode(_ scale: String) -> String {
            failure {
                try run(
                    CKKSEncodeCommand.self,
                    ["--params", params, "--scale", scale, "--values", values, "--out", path("x.pt")])
            }
        }
        #expect(encode("2^200").contains("scale"))
        #expect(encode("-5").contains("--scale"))
        #expect(encode("2^x").contains("--scale"))
        #expect(encode("2^30") == "no error")
        // Value files: complex pairs are accepted; anything else, or more values than slots, is refused by name.
        func encodeFile(_ text: String) throws -> String {
            let file = try write(text, "values.json")
            return failure {
                try run(
                    CKKSEncodeCommand.self,
                    ["--params", params, "--scale", "2^30", "--values", file, "--out", path("x.pt")])
            }
        }
        #expect(try encodeFile("[[1.0, -0.5], [2, 0]]") == "no error")
        #expect(try encodeFile("{\"a\": 1}").contains("values.json"))
        #expect(try encodeFile("[[1.0, 2.0, 3.0]]").contains("[real, imaginary]"))
        // A number beyond a double is not an infinite slot.
        let huge = try encodeFile("[1.0, 1e999]")
        #expect(
            huge.contains("values.json") && (huge.contains("not a finite number") || huge.contains("JSON")), "\(huge)")
        #expect(
            try encodeFile("[" + Array(repeating: "1", count: 2049).joined(separator: ",") + "]").contains("2048 slots")
        )
        // The secret key never appears in messages.
        let wrongKey = failure {
            _ = try decrypt(params, n4096 + "/c1.bin", c1)
        }
        #expect(wrongKey.contains("c1.bin") && !wrongKey.contains("\n"))
        // Missing operands are refused before any file is read.
        #expect(throws: (any Error).self) {
            try CKKSEvalCommand.parse(["rotate", "--params", params, "--in", c1, "--out", "x"])
        }
        #expect(throws: (any Error).self) {
            try CKKSEvalCommand.parse(["add", "--params", params, "--in", c1, "--out", "x"])
        }
        #expect(
            try CKKSEvalCommand.parse([
                "rotate", "--steps", "-3", "--params", params, "--in", c1, "--galois-keys", "g", "--out", "x",
            ]).steps == -3)
    }
}

/// SEAL's decode of the decryption of c1, from inputs.json (decoded exactly).
enum OpsDecode {
    struct Doc: Decodable { let decode_decrypt_c1: [Double] }
    static func load(_ path: String) throws -> [Double] {
        try JSONDecoder().decode(Doc.self, from: Data(contentsOf: URL(fileURLWithPath: path))).decode_decrypt_c1
    }
}
