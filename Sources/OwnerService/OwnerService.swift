import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import PrivateInference
import ServiceLifecycle

/// How the owner's service runs.
public struct OwnerServiceConfiguration: Sendable {
    /// The owner's key store (`owner package --keys`), which holds the users too (``UserStore``).
    public var keys: URL
    /// The directory whose folders are the packages offered (a package's ID is its folder name).
    public var packages: URL
    /// The address to listen on (`127.0.0.1` behind a reverse proxy, which terminates TLS).
    public var host: String
    /// The port (0: any free one, reported once listening).
    public var port: Int
    /// Where request and response chunks are kept while one is decrypted (`nil`: a fresh private directory in the
    /// system's temporary directory, removed when the service stops).
    public var spool: URL?
    /// The largest request chunk accepted (413 beyond): a chunk is read into memory to be decrypted.
    public var maxRequestBytes: Int
    /// Decryptions run at once (each already uses every core); more requests wait their turn.
    public var concurrentDecryptions: Int
    /// Seconds a response chunk is kept in the key store after it was sent, so that a copy of its request chunk
    /// (a client retrying after a lost answer) gets it again instead of a second decryption.
    ///
    /// After that, a copy is refused (409). The disk it takes is the responses of this many seconds.
    public var keepResponses: TimeInterval
    /// A PEM certificate (chain) and its PEM private key to serve HTTPS directly (swift-nio-ssl); `nil`: plain
    /// HTTP, for loopback behind a reverse proxy that terminates TLS.
    public var tls: (certificate: URL, privateKey: URL)?

    /// The default request limit: 2 GiB, above the chunks of the default 3 GiB engine budget.
    public static let defaultMaxRequestBytes = 2 << 30

    /// The default keep time of responses: an hour, far longer than any retry.
    public static let defaultKeepResponses: TimeInterval = 3600

    /// A configuration with the default limits.
    public init(
        keys: URL, packages: URL, host: String = "127.0.0.1", port: Int = 8080, spool: URL? = nil,
        maxRequestBytes: Int = defaultMaxRequestBytes, concurrentDecryptions: Int = 1,
        keepResponses: TimeInterval = defaultKeepResponses
    ) {
        self.keys = keys
        self.packages = packages
        self.host = host
        self.port = port
        self.spool = spool
        self.maxRequestBytes = maxRequestBytes
        self.concurrentDecryptions = concurrentDecryptions
        self.keepResponses = keepResponses
        tls = nil
    }
}

/// The model owner's decryption service over HTTP (Hummingbird 2).
///
/// Its endpoints:
///
/// - `GET /health`: `{"status":"ok"}`.
/// - `GET /v1/packages/{id}`: package `id` as a ustar archive (``PackageArchive``), streamed from its files, with
///   the manifest's BLAKE2b-256 as ETag (`If-None-Match` gives 304, a failed `If-Match` 412); `HEAD` the same
///   headers without the body.
/// - `POST /v1/decrypt`: one request chunk in, its flooded response chunk out, each streamed through a file;
///   counted against the user's and the package key's budgets, durably, before the response is sent, and
///   decrypted once: a copy of the chunk gets the stored response (``OwnerServiceConfiguration/keepResponses``)
///   or 409. `Expect: 100-continue` is answered before the upload (``ExpectContinue``).
///
/// Every call but `/health` needs `Authorization: Bearer <token>` of a user in the key store (``UserStore``).
/// Errors are JSON (`{"error":{"code","message"}}`) with 400, 401, 403, 404, 409, 412, 413, 417 or 500.
public enum OwnerService {
    /// Runs the service until SIGTERM or SIGINT, then stops gracefully (requests in flight finish).
    /// - Parameters:
    ///   - configuration: keys, packages, address and limits.
    ///   - logger: where requests are logged (user names, never tokens).
    ///   - onListening: called with the bound port once the service accepts connections.
    /// - Throws: ``OwnerServiceStartError`` for a bad configuration; the server's error if it cannot bind.
    public static func run(
        _ configuration: OwnerServiceConfiguration, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let (app, spool) = try makeApplication(configuration, logger: logger, onListening: onListening)
        defer { spool.remove() }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Starts the service in the background (tests, or an app that embeds it) and returns once it listens.
    /// - Parameters:
    ///   - configuration: keys, packages, address and limits.
    ///   - logger: where requests are logged (default: standard error, warnings and worse).
    /// - Returns: the running service, with the port it listens on (the bound one when the configuration asks for
    ///   port 0).
    /// - Throws: ``OwnerServiceStartError`` for a bad configuration or when the server stopped before listening.
    public static func start(_ configuration: OwnerServiceConfiguration, logger: Logger? = nil) async throws
        -> RunningOwnerService
    {
        var quiet = Logger(label: "privdnn-owner")
        quiet.logLevel = .warning
        let logger = logger ?? quiet
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let (app, spool) = try makeApplication(configuration, logger: logger) { portSink.yield($0) }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer {
                portSink.finish()
                spool.remove()
            }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            let reason: String
            do {
                try await task.value
                reason = "the server stopped before it listened"
            } catch { reason = "\(error)" }
            throw OwnerServiceStartError(
                reason: "cannot listen on \(configuration.host):\(configuration.port): \(reason)")
        }
        return RunningOwnerService(port: port, group: group, task: task)
    }

    /// The Hummingbird application and its spool.
    static func makeApplication(
        _ configuration: OwnerServiceConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void
    ) throws -> (any Service, Spool) {
        func isDirectory(_ url: URL) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        guard isDirectory(configuration.packages) else {
            throw OwnerServiceStartError(reason: "\(configuration.packages.path): no packages directory here")
        }
        // Without the key store every token would be unknown: refuse to start rather than answer 401 to everyone.
        guard isDirectory(configuration.keys) else {
            throw OwnerServiceStartError(reason: "\(configuration.keys.path): no key store here")
        }
        guard (0...65535).contains(configuration.port) else {
            throw OwnerServiceStartError(reason: "port \(configuration.port) is not in 0...65535")
        }
        guard configuration.maxRequestBytes > 0 else {
            throw OwnerServiceStartError(reason: "the request size limit must be positive")
        }
        guard configuration.keepResponses >= 0, configuration.keepResponses.isFinite else {
            throw OwnerServiceStartError(reason: "the keep time of responses must be 0 or more seconds")
        }
        // Read before the spool is made, so that a bad certificate leaves nothing behind.
        let tls = try configuration.tls.map { try tlsConfiguration($0) }
        let spool = try Spool(configuration.spool)
        let handlers = Handlers(
            keys: configuration.keys, index: PackageIndex(root: configuration.packages), spool: spool,
            maxRequestBytes: configuration.maxRequestBytes, keepResponses: configuration.keepResponses,
            slots: DecryptionSlots(capacity: configuration.concurrentDecryptions), logger: logger)
        let router = Router()
        router.get("health") { _, _ in handlers.health() }
        router.get("v1/packages/:id") { request, context in
            await handlers.package(request, id: context.parameters.get("id") ?? "")
        }
        router.head("v1/packages/:id") { request, context in
            await handlers.package(request, id: context.parameters.get("id") ?? "", head: true)
        }
        router.post("v1/decrypt") { request, _ in await handlers.decrypt(request) }
        let address = ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "privdnn-owner")
        // HTTP/1.1 with Expect: 100-continue, over TLS when a certificate and key are given (read above, so that a
        // bad file stops the start).
        let http1 = ExpectContinue.http1 { request in await handlers.admitExpecting(request) }
        if let tls {
            let app = Application(
                router: router, server: try .tls(http1, tlsConfiguration: tls),
                configuration: address,
                onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
                logger: logger)
            return (app, spool)
        }
        let app = Application(
            router: router, server: http1, configuration: address,
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        return (app, spool)
    }

    /// The server side of TLS from a PEM certificate (chain) and PEM private key.
    static func tlsConfiguration(_ tls: (certificate: URL, privateKey: URL)) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(tls.certificate.path) } catch {
            throw OwnerServiceStartError(reason: "\(tls.certificate.path): not a PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: tls.privateKey.path, format: .pem) } catch {
            // The key's bytes never go into the error.
            throw OwnerServiceStartError(reason: "\(tls.privateKey.path): not a PEM private key")
        }
        guard !chain.isEmpty else { throw OwnerServiceStartError(reason: "\(tls.certificate.path): no certificate") }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// A service started with ``OwnerService/start(_:logger:)``.
public struct RunningOwnerService: Sendable {
    /// The port it listens on.
    public let port: Int
    let group: ServiceGroup
    let task: Task<Void, Error>

    /// Stops it gracefully (requests in flight finish) and waits until it has stopped.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Why the service could not start: one line.
public struct OwnerServiceStartError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var reason: String
    /// The reason.
    public var description: String { reason }
}
