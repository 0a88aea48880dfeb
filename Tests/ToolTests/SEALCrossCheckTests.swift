import ArgumentParser
import CKKS
import Foundation
import TestSupport
import Testing

@testable import Tool

/// Runs seal-python (the real SEAL 4.4) on files we wrote.
enum SEALPython {
    /// Whether `python3 -c "import seal"` works here.
    static let isAvailable: Bool = (try? run("import seal", []))?.status == 0

    /// Runs a Python snippet with arguments; returns its exit status and standard output.
    static func run(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The other direction: SEAL reads, decrypts and evaluates what we produce, and its results equal ours.
@Suite(.enabled(if: SEALPython.isAvailable, "seal-python 4.4.0 is not importable"))
struct SEALCrossCheckTests {
    /// Loads our files into SEAL: decrypts `ct` and the seeded symmetric ciphertext, relinearizes `product` with our
    /// relinearization keys and rotates `ct` with our Galois keys; prints JSON.
    static let script = """
        import json, sys, seal
        folder = sys.argv[1]
        parms = seal.EncryptionParameters(seal.scheme_type.ckks)
        parms.load(folder + "/p.parms")
        ctx = seal.SEALContext(parms, True, seal.sec_level_type.none)
        sk = seal.SecretKey(); sk.load(ctx, folder + "/keys/secret.key")
        rk = seal.RelinKeys(); rk.load(ctx, folder + "/keys/relin.key")
        gk = seal.GaloisKeys(); gk.load(ctx, folder + "/keys/galois.key")
        enc = seal.CKKSEncoder(ctx); dec = seal.Decryptor(ctx, sk); ev = seal.Evaluator(ctx)
        def load(name):
            c = seal.Ciphertext(); c.load(ctx, folder + "/" + name); return c
        ct, product, seeded = load("x.ct"), load("xy3.ct"), load("seeded.ct")
        relin = ev.relinearize(product, rk)
        rotated = ev.rotate_vector(ct, -3, gk)
        print(json.dumps({
            "decrypt": [float(v) for v in enc.decode(dec.decrypt(ct))[:8]],
            "seeded": [float(v) for v in enc.decode(dec.decrypt(seeded))[:8]],
            "relin": relin.to_string(seal.compr_mode_type.none).hex(),
            "rotate": rotated.to_string(seal.compr_mode_type.none).hex(),
        }))
        """

    @Test func sealDecryptsAndEvaluatesOurFilesLikeWeDo() throws {
        let folder = temporaryPath("cross")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func path(_ name: String) -> String { folder + "/" + name }
        func run<C: ParsableCommand>(_ type: C.Type, _ arguments: [String]) throws {
            var command = try C.parse(arguments)
            try command.run()
        }
        try run(CKKSParamsCommand.self, ["--degree", "4096", "--bits", "40,30,39", "--out", path("p.parms")])
        try run(CKKSKeygenCommand.self, ["--params", path("p.parms"), "--out", path("keys"), "--rotations", "1,-4"])
        let values = [0.5, -1.25, 2.0, 0.75]
        try "[0.5, -1.25, 2.0, 0.75]".write(toFile: path("x.json"), atomically: true, encoding: .utf8)
        try run(
            CKKSEncryptCommand.self,
            [
                "--params", path("p.parms"), "--public-key", path("keys/public.key"), "--scale", "2^30", "--values",
                path("x.json"), "--out", path("x.ct"),
            ])
        try run(
            CKKSEvalCommand.self,
            [
                "multiply", "--params", path("p.parms"), "--in", path("x.ct"), "--in", path("x.ct"), "--out",
                path("xy3.ct"),
            ])
        // Our relinearization and NAF rotation (−3 = 1 − 4), written as SEAL 4.4 like seal-python's output.
        try run(
            CKKSEvalCommand.self,
            [
                "relinearize", "--params", path("p.parms"), "--in", path("xy3.ct"), "--relin-keys",
                path("keys/relin.key"),
                "--seal-version", "4.4", "--out", path("xy.ct"),
            ])
        try run(
            CKKSEvalCommand.self,
            [
                "rotate", "--steps", "-3", "--params", path("p.parms"), "--in", path("x.ct"), "--galois-keys",
                path("keys/galois.key"), "--seal-version", "4.4", "--out", path("r.ct"),
            ])
        // A seeded symmetric encryption from the library, in SEAL's half-size seeded form.
        let context = try CKKSContext(EncryptionParameters(contentsOfFile: path("p.parms")), securityLevel: .none)
        let secretKey = try SecretKey(contentsOfFile: path("keys/secret.key"), context: context)
        let plain = try CKKSEncoder(context: context).encode(values, scale: 0x1p30)
        let seeded = try Encryptor(context: context, secretKey: secretKey).encryptSymmetric(plain, seeded: true)
        try seeded.save(toFile: path("seeded.ct"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path("seeded.ct"))).count == 113 + 8 * 4096 * 2 + 81)

        let result = try SEALPython.run(Self.script, [folder])
        #expect(result.status == 0)
        struct Report: Decodable {
            let decrypt: [Double]
            let seeded: [Double]
            let relin: String
            let rotate: String
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(result.output.utf8))
        for (got, want) in zip(report.decrypt, values + [0, 0, 0, 0]) { #expect(abs(got - want) < 1e-3) }
        for (got, want) in zip(report.seeded, values + [0, 0, 0, 0]) { #expect(abs(got - want) < 1e-6) }
        func hex(_ file: String) throws -> String {
            try Data(contentsOf: URL(fileURLWithPath: path(file))).map { String(format: "%02x", $0) }.joined()
        }
        #expect(report.relin == (try hex("xy.ct")))
        #expect(report.rotate == (try hex("r.ct")))
        // And our decryption of SEAL's relinearized ciphertext agrees with SEAL's decode of ours.
        let ours = try CKKSDecryptCommand.parse([
            "--params", path("p.parms"), "--secret-key", path("keys/secret.key"), "--in", path("x.ct"),
        ]).values()
        #expect(Array(ours.prefix(8)) == report.decrypt)
    }
}
