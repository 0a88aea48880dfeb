import Foundation
import TestSupport
import Testing

/// `--ca-file` on `privdnn user fetch`, `user infer --owner` and `inference --owner` against the real
/// `privdnn-owner serve` over HTTPS with a certificate of a throwaway CA: the commands succeed with the CA's file;
/// without it the certificate is refused in one line that says what to give; a missing or malformed file is named in
/// one line.
@Suite(.serialized) struct PrivateCACommandTests {
    typealias Server = OwnerServiceCommandTests.Server

    /// The one line a failed command printed (nil if it printed more or fewer).
    static func oneLine(_ stderr: String) -> String? {
        let lines = stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return lines.count == 1 ? String(lines[0]) : nil
    }

    @Test(.enabled(if: TestCertificates.available)) func commandsTrustTheGivenAuthority() throws {
        let dir = try OwnerServiceCommandTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let certificates = try TestCertificates(in: dir)
        let (keys, packages) = try OwnerServiceCommandTests.owner(dir)
        let add = try ChildProcess.run(["owner", "user", "add", "--keys", keys, "--name", "carol"], in: dir)
        let token = String(add.stdout.split(separator: "\n").last ?? "")
        let server = try Server(
            keys: keys, packages: packages, in: dir,
            extra: ["--tls-certificate", certificates.certificate.path, "--tls-key", certificates.key.path])
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        let pkg = dir.appendingPathComponent("pkg").path
        func fetch(_ extra: [String]) throws -> ChildProcess.Outcome {
            try ChildProcess.run(
                ["user", "fetch", "--owner", server.url, "--token", token, "--package", "lenet", "--out", pkg] + extra,
                in: dir)
        }

        // Without the CA: refused before anything is sent, in one line naming the cure, never the token.
        let untrusted = try fetch([])
        let line = Self.oneLine(untrusted.stderr) ?? untrusted.stderr
        #expect(untrusted.exitCode != 0 && line.contains("certificate") && line.contains("--ca-file"), "\(line)")
        #expect(!untrusted.stderr.contains(token))
        // A missing or malformed CA file: one line naming the file.
        for (file, reason) in [
            (dir.appendingPathComponent("nowhere.pem").path, "no such CA file"),
            (certificates.key.path, "not a PEM CA file"),
        ] {
            let bad = try fetch(["--ca-file", file])
            let said = Self.oneLine(bad.stderr) ?? bad.stderr
            #expect(bad.exitCode != 0 && said.contains(file + ": ") && said.contains(reason), "\(said)")
        }
        let plain = try ChildProcess.run(
            [
                "user", "fetch", "--owner", "http://127.0.0.1:1", "--token", token, "--package", "lenet", "--out", pkg,
                "--ca-file", certificates.authority.path,
            ], in: dir)
        #expect(plain.exitCode != 0 && plain.stderr.contains("--ca-file goes with an https://"))

        // With the CA: the package, a request decrypted and finished, and the whole user side of `inference`.
        let fetched = try fetch(["--ca-file", certificates.authority.path])
        #expect(fetched.exitCode == 0, "\(fetched.stderr)")
        let infer = try ChildProcess.run(
            [
                "user", "infer", "--package", pkg, "--images", OwnerServiceCommandTests.images, "--count", "4",
                "--owner", server.url, "--token", token, "--ca-file", certificates.authority.path, "--json",
            ], in: dir)
        #expect(infer.exitCode == 0, "\(infer.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(infer.stdout.utf8)) as? [String: Any]
        #expect(object?["images"] as? Int == 4 && (object?["user_decrypted"] as? Int ?? 0) > 0)
        let whole = try ChildProcess.run(
            [
                "inference", "--dataset", "mnist", "--data-dir",
                RepositoryPaths.data.appendingPathComponent("mnist").path,
                "--limit", "4", "--owner", server.url, "--token", token, "--package", "lenet",
                "--ca-file", certificates.authority.path, "--json",
            ], in: dir)
        #expect(whole.exitCode == 0, "\(whole.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? [String: Any]
        // The committed model scores 99 % on MNIST: 4 images at 75 % or better rule out garbage.
        #expect(report?["images"] as? Int == 4 && (report?["accuracy"] as? Double ?? 0) >= 75)
        #expect(server.stop() == 0)
    }
}
