import CKKS
import Foundation
import NN
import OwnerService
import TestSupport

@testable import PrivateInference

#if canImport(Glibc)
    import Glibc
#endif

/// Two packages (`a`, `b`, each with its own key) made once at N = 4096, a chunked request for each, and the
/// predictions of `a`'s request through the file-based exchange (`owner decrypt`), shared by the suite.
struct ServiceFixture: Sendable {
    let root: URL
    let keys: URL
    let packages: URL
    /// Request directories (with their `.private` sides) made for packages `a` and `b`.
    let requestA: URL
    let requestB: URL
    /// The images of the requests, and their count.
    let pixels: [UInt8]
    let count: Int
    /// The predictions of `requestA` finished with `owner decrypt`'s response.
    let filePredictions: [Int]
    /// Each chunk's ciphertexts in `requestA` (what decrypting it counts).
    let chunkCiphertexts: [Int]

    static let shared: Result<ServiceFixture, Error> = Result { try ServiceFixture() }

    static func get() throws -> ServiceFixture { try shared.get() }

    /// The engine budget of a few outputs: requests of several chunks.
    static let memoryBudget = 3 * 4 * 4 * 3 * 1024 * 8

    private init() throws {
        // The fixture lives as long as the test process; no suite-level teardown exists for it, so each run
        // removes what runs that have ended left behind (named by their process id) and names its own the same way.
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix("privdnn-service-") {
            guard let pid = Int32(name.dropFirst("privdnn-service-".count)), pid > 0, kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
        root = temporary.appendingPathComponent("privdnn-service-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        keys = root.appendingPathComponent("keys")
        packages = root.appendingPathComponent("packages")
        try FileManager.default.createDirectory(at: packages, withIntermediateDirectories: true)
        let parameters = try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [60, 60, 60, 60, 60, 60])
        for (id, seed) in [("a", UInt64(5)), ("b", UInt64(6))] {
            let model = root.appendingPathComponent("model-\(id).safetensors")
            try Data(Model(.lenet5MNIST, seed: seed).fileBytes()).write(to: model)
            _ = try OwnerRole.package(
                modelURL: model, selection: SelectedNeurons([1: [1], 2: [4, 9]]),
                out: packages.appendingPathComponent(id), preset: .auto, keys: keys, parameters: parameters,
                security: .none)
        }
        let images = try Dataset.mnist.load(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
            .subset(Array(0..<3))
        pixels = images.pixels
        count = 3
        requestA = root.appendingPathComponent("req-a")
        requestB = root.appendingPathComponent("req-b")
        _ = try UserRole.infer(
            package: packages.appendingPathComponent("a"), pixels: pixels, count: count, out: requestA,
            memoryBudget: Self.memoryBudget)
        _ = try UserRole.infer(
            package: packages.appendingPathComponent("b"), pixels: pixels, count: count, out: requestB,
            memoryBudget: Self.memoryBudget)
        let response = root.appendingPathComponent("resp-a-file")
        var counts: [Int] = []
        var first: ChunkDirectory.Identity?
        try ChunkDirectory.prepare(response)
        let chunks = try ChunkDirectory.list(requestA)
        for (i, chunk) in chunks.enumerated() {
            let was = try Self.keyCount(keys: keys, package: packages.appendingPathComponent("a"))
            _ = try OwnerRole.decryptChunk(
                keys: keys, chunk: chunk, position: i, files: chunks.count, first: &first,
                response: ChunkDirectory.url(response, i))
            counts.append(try Self.keyCount(keys: keys, package: packages.appendingPathComponent("a")) - was)
        }
        chunkCiphertexts = counts
        let logits = try UserRole.finish(
            package: packages.appendingPathComponent("a"), request: requestA, response: response
        ).logits
        filePredictions = Self.predictions(logits)
    }

    /// The argmax of each row of `[B, classes]` logits.
    static func predictions(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { i in
            (0..<classes).max { logits.data[i * classes + $0] < logits.data[i * classes + $1] } ?? 0
        }
    }

    /// The decryption count of the key of the package in `package`.
    static func keyCount(keys: URL, package: URL) throws -> Int {
        let manifest = try UserRole.load(package).manifest
        return try DecryptionBudget.reserve(
            0, dir: OwnerKeyring.keysDirectory(keys).appendingPathComponent(manifest.keyID), keyID: manifest.keyID,
            flooding: manifest.flooding)
    }

    /// The key count of package `id`.
    func keyCount(_ id: String) throws -> Int {
        try Self.keyCount(keys: keys, package: packages.appendingPathComponent(id))
    }

    /// The directory of package `id`'s key in the key store (its count, its record of decrypted chunks).
    func keyDirectory(_ id: String) throws -> URL {
        OwnerKeyring.keysDirectory(keys).appendingPathComponent(
            try UserRole.load(packages.appendingPathComponent(id)).manifest.keyID)
    }

    /// Raises package `id`'s key count by `count`, as a decryption does before it answers.
    func raiseKeyCount(_ id: String, by count: Int) throws {
        let manifest = try UserRole.load(packages.appendingPathComponent(id)).manifest
        _ = try DecryptionBudget.reserve(
            count, dir: try keyDirectory(id), keyID: manifest.keyID, flooding: manifest.flooding)
    }

    /// A new request for package `id` of the fixture's images, with a request id of its own: chunks the service
    /// has never seen (the service decrypts a chunk once, for one user, so a test that needs a decryption of its
    /// own needs chunks of its own).
    func freshRequest(_ id: String = "a") throws -> URL {
        let out = scratch().appendingPathComponent("request")
        _ = try UserRole.infer(
            package: packages.appendingPathComponent(id), pixels: pixels, count: count, out: out,
            memoryBudget: Self.memoryBudget)
        return out
    }

    /// The chunk files of request `a` or `b`.
    func chunks(_ request: URL) throws -> [URL] { try ChunkDirectory.list(request) }

    /// A fresh scratch directory.
    func scratch() -> URL {
        let url = root.appendingPathComponent("scratch-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts a service on a free loopback port for this fixture.
    func start(
        maxRequestBytes: Int = OwnerServiceConfiguration.defaultMaxRequestBytes, spool: URL? = nil,
        keepResponses: TimeInterval = OwnerServiceConfiguration.defaultKeepResponses
    ) async throws -> RunningOwnerService {
        try await OwnerService.start(
            OwnerServiceConfiguration(
                keys: keys, packages: packages, host: "127.0.0.1", port: 0, spool: spool,
                maxRequestBytes: maxRequestBytes, concurrentDecryptions: 1, keepResponses: keepResponses))
    }

    /// A user with a fresh name and their token.
    func user(
        budget: Int = UserStore.defaultBudget, packages: [String]? = nil
    ) throws -> (name: String, token: String) {
        let name = "u\(UUID().uuidString.prefix(8))"
        return (name, try UserStore.add(keys: keys, name: name, budget: budget, packages: packages))
    }

    /// The stored record of user `name`.
    func stored(_ name: String) throws -> UserStore.User? { try UserStore.list(keys: keys).first { $0.name == name } }
}

/// Runs blocking client calls off Swift's cooperative threads (only two on this machine), so that the server's
/// handlers in the same process are never starved by a waiting client.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// The refusal a client call ended with (nil when it succeeded or failed otherwise).
func refusal<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> OwnerServiceError? {
    do {
        _ = try await blocking(body)
        return nil
    } catch let error as OwnerServiceError {
        return error
    } catch {
        return OwnerServiceError(status: -1, code: "other", message: "\(error)")
    }
}
