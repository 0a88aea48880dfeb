import Foundation

/// A throwaway private certificate authority and a server certificate it signed for 127.0.0.1, made with the
/// openssl command line in a directory of the test's; and a second, unrelated CA whose trust must not help.
public struct TestCertificates: Sendable {
    /// The CA's certificate (PEM): the file a client is given to trust.
    public let authority: URL
    /// The server's certificate (PEM, subjectAltName IP:127.0.0.1, signed by ``authority``).
    public let certificate: URL
    /// The server certificate's private key (PEM).
    public let key: URL
    /// Another CA's certificate, which did not sign the server's.
    public let otherAuthority: URL

    /// Whether the openssl command line is there (tests that need it are skipped without it).
    public static let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    /// Makes the certificates in `dir` (a day's validity, P-256 keys).
    public init(in dir: URL) throws {
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        for ca in ["ca", "other-ca"] {
            try Self.openssl(
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                path("\(ca).key"), "-out", path("\(ca).pem"), "-days", "1", "-subj", "/CN=PrivDNN test \(ca)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
        }
        try Self.openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("server.key"),
            "-out", path("server.csr"), "-subj", "/CN=127.0.0.1")
        try Data("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".utf8).write(
            to: dir.appendingPathComponent("server.ext"))
        try Self.openssl(
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.pem"), "-days", "1", "-extfile", path("server.ext"))
        authority = dir.appendingPathComponent("ca.pem")
        certificate = dir.appendingPathComponent("server.pem")
        key = dir.appendingPathComponent("server.key")
        otherAuthority = dir.appendingPathComponent("other-ca.pem")
    }

    /// Runs openssl; throws with its error output when it fails.
    private static func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [
                    NSLocalizedDescriptionKey: "openssl \(arguments.first ?? ""): "
                        + String(decoding: said, as: UTF8.self)
                ])
        }
    }
}
