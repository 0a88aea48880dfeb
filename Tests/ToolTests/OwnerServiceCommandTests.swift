import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real binaries against each other: `privdnn owner user add|list|revoke`, `privdnn-owner serve`,
/// `privdnn user fetch` and `privdnn user infer --owner --token --json` (the contract scripts depend on), and the
/// service killed mid-request and restarted.
@Suite(.serialized) struct OwnerServiceCommandTests {
    /// `privdnn-owner serve` as a child process, listening on a free loopback port.
    final class Server {
        let process = Process()
        let url: String

        init(keys: String, packages: String, in dir: URL, extra: [String] = []) throws {
            let out = dir.appendingPathComponent("serve-\(UUID().uuidString).out")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: ChildProcess.binary).deletingLastPathComponent()
                .appendingPathComponent("privdnn-owner")
            process.arguments =
                ["serve", "--keys", keys, "--packages", packages, "--listen", "127.0.0.1:0", "--log-level", "warning"]
                + extra
            process.standardOutput = try FileHandle(forWritingTo: out)
            try process.run()
            // The first line says where it listens (port 0: the system chose).
            var found: String?
            for _ in 0..<500 where found == nil {
                usleep(20_000)
                let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
                found = text.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map {
                    String($0.dropFirst("listening on ".count))
                }
                guard process.isRunning else { break }
            }
            guard let found else {
                process.terminate()
                throw ChildProcessError("privdnn-owner did not start")
            }
            url = found
        }

        /// SIGTERM (graceful) and the exit status.
        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// SIGKILL, as a crash would.
        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A key store with one package (`lenet`, the committed model's (1,1) selection at the default preset).
    static func owner(_ dir: URL) throws -> (keys: String, packages: String) {
        let keys = dir.appendingPathComponent("keys").path, packages = dir.appendingPathComponent("packages").path
        let selection = dir.appendingPathComponent("sel.json")
        try Data(#"{"1": [0], "2": [15]}"#.utf8).write(to: selection)
        let made = try ChildProcess.run(
            [
                "owner", "package", "--model",
                RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path,
                "--selection", selection.path, "--out", packages + "/lenet", "--keys", keys, "--no-cache",
            ], in: dir)
        guard made.exitCode == 0 else { throw ChildProcessError("owner package failed: \(made.stderr)") }
        return (keys, packages)
    }

    static func temporary() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "privdnn-serve-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static let images = RepositoryPaths.data.appendingPathComponent("mnist/t10k-images-idx3-ubyte.gz").path

    @Test func userAddServeFetchInferRevoke() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keys, packages) = try Self.owner(dir)
        let add = try ChildProcess.run(["owner", "user", "add", "--keys", keys, "--name", "alice"], in: dir)
        #expect(add.exitCode == 0)
        let token = String(add.stdout.split(separator: "\n").last ?? "")
        #expect(token.hasPrefix("pdt_") && token.utf8.count == 68)
        let server = try Server(keys: keys, packages: packages, in: dir)
        let pkg = dir.appendingPathComponent("pkg").path
        // The token from the environment (not shown by `ps`), as --token gives it.
        let fetch = try ChildProcess.run(
            ["user", "fetch", "--owner", server.url, "--package", "lenet", "--out", pkg], in: dir,
            environment: ["PRIVDNN_TOKEN": token])
        #expect(fetch.exitCode == 0, "\(fetch.stderr)")
        let infer = [
            "user", "infer", "--package", pkg, "--images", Self.images, "--offset", "0", "--count", "20",
            "--owner", server.url, "--json",
        ]
        let run = try ChildProcess.run(infer + ["--token", token], in: dir)
        #expect(run.exitCode == 0, "\(run.stderr)")
        try JSONKeyConvention.expectSnakeCase(run.stdout, "user infer --owner --json")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(object?["images"] as? Int == 20)
        // The committed model scores 99 % on MNIST; 20 images at 80 % or better rule out garbage predictions.
        #expect((object?["accuracy"] as? Double ?? 0) >= 80)

        // `inference --owner`: the user's side of the whole exchange on the test half's first images.
        let whole = try ChildProcess.run(
            [
                "inference", "--dataset", "mnist", "--data-dir",
                RepositoryPaths.data.appendingPathComponent("mnist").path,
                "--limit", "10", "--owner", server.url, "--token", token, "--package", "lenet", "--json",
            ], in: dir)
        #expect(whole.exitCode == 0, "\(whole.stderr)")
        try JSONKeyConvention.expectSnakeCase(whole.stdout, "inference --owner --json")
        let report = try JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? [String: Any]
        #expect(report?["images"] as? Int == 10 && (report?["accuracy"] as? Double ?? 0) >= 70)

        let wrong = try ChildProcess.run(infer + ["--token", "pdt_" + String(repeating: "0", count: 64)], in: dir)
        #expect(wrong.exitCode != 0 && wrong.stderr.contains("401"))
        #expect(!wrong.stderr.contains(token))
        let revoke = try ChildProcess.run(["owner", "user", "revoke", "--keys", keys, "--name", "alice"], in: dir)
        #expect(revoke.exitCode == 0)
        let revoked = try ChildProcess.run(infer + ["--token", token], in: dir)
        #expect(revoked.exitCode != 0 && revoked.stderr.contains("403"))
        let list = try ChildProcess.run(["owner", "user", "list", "--keys", keys, "--json"], in: dir)
        try JSONKeyConvention.expectSnakeCase(list.stdout, "owner user list --json")
        let users = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(users?.count == 1 && users?.first?["revoked"] as? Bool == true)
        #expect((users?.first?["decrypted"] as? Int ?? 0) > 0)
        #expect(!list.stdout.contains(token))
        #expect(server.stop() == 0)
    }

    /// The service killed (SIGKILL) at several moments of a request and restarted: the user store is always a
    /// whole file, the user's count never falls below what the answered requests decrypted, and the service
    /// serves again after the restart.
    @Test func killedMidRequestNeverUnderCounts() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keys, packages) = try Self.owner(dir)
        let add = try ChildProcess.run(["owner", "user", "add", "--keys", keys, "--name", "bob"], in: dir)
        let token = String(add.stdout.split(separator: "\n").last ?? "")
        var server = try Server(keys: keys, packages: packages, in: dir)
        let pkg = dir.appendingPathComponent("pkg").path
        _ = try ChildProcess.run(
            ["user", "fetch", "--owner", server.url, "--token", token, "--package", "lenet", "--out", pkg], in: dir)
        func count() throws -> Int {
            let list = try ChildProcess.run(["owner", "user", "list", "--keys", keys, "--json"], in: dir)
            let users = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            return try #require(users.first?["decrypted"] as? Int)
        }
        func infer(_ owner: String) -> [String] {
            [
                "user", "infer", "--package", pkg, "--images", Self.images, "--count", "1", "--owner", owner,
                "--token", token, "--json",
            ]
        }
        let base = try count()
        let first = try ChildProcess.run(infer(server.url), in: dir)
        #expect(first.exitCode == 0, "\(first.stderr)")
        let perRequest = try count() - base
        #expect(perRequest > 0)
        var answered = 1
        /// The outcome of a child run on another thread.
        final class Box: @unchecked Sendable { var outcome: ChildProcess.Outcome? }
        // The user's request takes about a second before its chunk is sent; the kills land before, during and
        // after the owner's part.
        for delay in [0.4, 0.8, 1.2, 1.6, 2.5] {
            let arguments = infer(server.url)
            let box = Box()
            let group = DispatchGroup()
            group.enter()
            DispatchQueue.global().async {
                box.outcome = try? ChildProcess.run(arguments, in: dir)
                group.leave()
            }
            usleep(useconds_t(delay * 1e6))
            server.kill()
            group.wait()
            if box.outcome?.exitCode == 0 { answered += 1 }
            // The store parses (never a partial file) and counts at least every answered request.
            #expect(try count() >= base + answered * perRequest, "after a kill at \(delay) s")
            server = try Server(keys: keys, packages: packages, in: dir)
        }
        let before = try count()
        let after = try ChildProcess.run(
            infer(server.url), in: dir)
        #expect(after.exitCode == 0, "\(after.stderr)")
        #expect(try count() > before)
        #expect(server.stop() == 0)
    }

    /// Runs a system tool; its exit status and standard output.
    static func tool(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// `serve --tls-certificate --tls-key`: HTTPS with that certificate (curl trusting it gets the health answer,
    /// curl trusting the system's roots does not), the user's client verifies certificates (a self-signed one is
    /// refused), and a file that is not a PEM certificate stops the start with a one-line error.
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func servesHTTPSDirectly() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keys, packages) = (dir.appendingPathComponent("keys").path, dir.appendingPathComponent("packages").path)
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: packages, withIntermediateDirectories: true)
        let certificate = dir.appendingPathComponent("tls.pem").path, key = dir.appendingPathComponent("tls.key").path
        let (made, _) = try Self.tool(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        try #require(made == 0)
        let server = try Server(
            keys: keys, packages: packages, in: dir, extra: ["--tls-certificate", certificate, "--tls-key", key])
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        let (trusted, body) = try Self.tool("/usr/bin/curl", ["-s", "--cacert", certificate, server.url + "/health"])
        #expect(trusted == 0 && body == #"{"status":"ok"}"#)
        let (untrusted, _) = try Self.tool("/usr/bin/curl", ["-s", server.url + "/health"])
        #expect(untrusted != 0)
        let fetch = try ChildProcess.run(
            [
                "user", "fetch", "--owner", server.url, "--token", "pdt_x", "--package", "p", "--out",
                dir.appendingPathComponent("pkg").path,
            ],
            in: dir)
        #expect(fetch.exitCode != 0 && fetch.stderr.contains("certificate"))
        #expect(server.stop() == 0)
        let bad = try Self.tool(
            ChildProcess.binary + "-owner",
            [
                "serve", "--keys", keys, "--packages", packages, "--listen", "127.0.0.1:0", "--tls-certificate", keys,
                "--tls-key", key,
            ])
        #expect(bad.0 != 0)
    }
}
