import ArgumentParser
import Foundation
import Logging
import OwnerService
import PrivateInference

/// `privdnn-owner serve`: the owner's decryption service, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve packages and decrypt request chunks over HTTP for the users in the key store.")

    @Option(help: "The owner's key store (owner package --keys); its users come from `privdnn owner user add`.")
    var keys: String
    @Option(help: "Directory of packages; a package's ID is its folder name.") var packages: String
    @Option(help: "HOST:PORT to listen on (port 0: any free port, printed once listening).")
    var listen = "127.0.0.1:8080"
    @Option(help: "Directory for chunks being decrypted (default: a fresh private one in the temporary directory).")
    var spool: String?
    @Option(help: "Largest request chunk accepted, in MiB (413 beyond).")
    var maxRequestMib = OwnerServiceConfiguration.defaultMaxRequestBytes >> 20
    @Option(help: "Decryptions run at once (each uses every core).") var decryptions = 1
    @Option(help: "Seconds a response is kept for a copy of its request chunk (a retry); later copies get 409.")
    var keepResponses = Int(OwnerServiceConfiguration.defaultKeepResponses)
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @Option(
        help: "PEM certificate (chain) to serve HTTPS directly (with --tls-key); default: plain HTTP behind a proxy.")
    var tlsCertificate: String?
    @Option(help: "PEM private key of --tls-certificate.") var tlsKey: String?

    func validate() throws {
        guard (1...(1 << 20)).contains(maxRequestMib) else {
            throw ValidationError("--max-request-mib takes 1...1048576")
        }
        guard (1...64).contains(decryptions) else { throw ValidationError("--decryptions takes 1...64") }
        guard (0...(1 << 30)).contains(keepResponses) else {
            throw ValidationError("--keep-responses takes 0 or more seconds")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        _ = try address()
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-certificate and --tls-key go together")
        }
    }

    /// `--listen` split into host and port.
    func address() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port), colon > listen.startIndex
        else { throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080") }
        return (String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    func run() async throws {
        // One heap for every thread (as `privdnn` does): the decryptions run on whichever dispatch thread is free,
        // and per-thread arenas would keep each one's freed chunk buffers resident.
        ProcessMemory.useOneHeap()
        let (host, port) = try address()
        var logger = Logger(label: "privdnn-owner")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = OwnerServiceConfiguration(
            keys: URL(fileURLWithPath: keys), packages: URL(fileURLWithPath: packages), host: host, port: port,
            spool: spool.map { URL(fileURLWithPath: $0) }, maxRequestBytes: maxRequestMib << 20,
            concurrentDecryptions: decryptions, keepResponses: TimeInterval(keepResponses))
        if let tlsCertificate, let tlsKey {
            configuration.tls = (URL(fileURLWithPath: tlsCertificate), URL(fileURLWithPath: tlsKey))
        }
        let scheme = configuration.tls == nil ? "http" : "https"
        // A start error (no packages directory, a port in use) is printed as its one line.
        try await OwnerService.run(configuration, logger: logger) { bound in
            // Scripts (and port 0) read where the service is from this line.
            FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(bound)\n".utf8))
        }
    }
}

/// The `privdnn-owner` root command.
@main
struct OwnerServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privdnn-owner", abstract: "The PrivDNN model owner's HTTP service.",
        subcommands: [ServeCommand.self])
}
