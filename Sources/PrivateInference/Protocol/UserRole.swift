import CKKS
import Foundation
import NN
import NTT

/// Header fields of requests (shared by both roles).
enum RequestCoding {
    static func scale(_ file: ExchangeFile, path: String) throws -> Double {
        guard let bits = UInt64(try file.field("scaleBits", path: path), radix: 16) else {
            throw InferenceError.badFile(path: path, reason: "bad scaleBits")
        }
        let scale = Double(bitPattern: bits)
        guard scale.isFinite, scale > 0 else { throw InferenceError.badFile(path: path, reason: "bad scale") }
        return scale
    }

    /// The tile a request chunk states (`tileFilters`, `tileRows`), which must lie within the package's `filters`
    /// selected conv2 filters and `side2` output rows.
    static func tile(_ file: ExchangeFile, path: String, side2: Int, filters: Int) throws -> OutputTile {
        guard let f = OutputTile.parse(try file.field("tileFilters", path: path)),
            let r = OutputTile.parse(try file.field("tileRows", path: path)), f.upperBound <= filters,
            r.upperBound <= side2
        else { throw InferenceError.badFile(path: path, reason: "tile outside the package's outputs") }
        return OutputTile(filters: f, rows: r)
    }

    static func tile(_ file: ExchangeFile, path: String, geometry: StageGeometry, filters: Int) throws -> OutputTile {
        try tile(file, path: path, side2: geometry.conv2Side, filters: filters)
    }

    /// The conv1 result rows a request chunk states (`conv1Rows`, empty when the package decrypts none), within
    /// `side1` rows.
    static func conv1Rows(_ file: ExchangeFile, path: String, side1: Int, encrypted: Bool) throws -> Range<Int> {
        let text = try file.field("conv1Rows", path: path)
        if text.isEmpty { return 0..<0 }
        guard encrypted, let rows = OutputTile.parse(text), rows.upperBound <= side1 else {
            throw InferenceError.badFile(path: path, reason: "conv1 result rows outside the package's")
        }
        return rows
    }

    static func conv1Rows(_ file: ExchangeFile, path: String, geometry: StageGeometry, encrypted: Bool) throws -> Range<Int> {
        try conv1Rows(file, path: path, side1: geometry.conv1Side, encrypted: encrypted)
    }
}

/// The user's side of the protocol.
///
/// The user's side of the protocol: mixed plaintext/encrypted evaluation, re-randomization and masking, and
/// finishing the network after the owner's response. Never reads a secret key.
public enum UserRole {
    /// Bytes the engine's working set (running sums, squares, encodings of one tile) may take by default: the
    /// request is cut into as many chunks as that needs (`TilePlan`).
    public static let defaultMemoryBudget = 3 << 30

    /// Reads and checks a package's manifest.
    static func readManifest(_ dir: URL) throws -> PackageManifest {
        let url = dir.appendingPathComponent(PackageFiles.manifest)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InferenceError.badFile(path: url.path, reason: "no package manifest")
        }
        let manifest: PackageManifest
        do { manifest = try JSONDecoder().decode(PackageManifest.self, from: data) } catch {
            throw InferenceError.badFile(path: url.path, reason: "unreadable manifest")
        }
        guard manifest.format == PackageManifest.format, manifest.version == PackageManifest.currentVersion else {
            throw InferenceError.badFile(
                path: url.path, reason: "not a version-\(PackageManifest.currentVersion) privdnn package")
        }
        return manifest
    }

    /// Loads a package, verifying every file's hash and refusing any secret key.
    static func load(_ dir: URL) throws -> LoadedPackage {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for name in names {
            let url = dir.appendingPathComponent(name)
            if name.lowercased().contains("secret") { throw InferenceError.secretKeyInPackage(path: url.path) }
            if let handle = FileHandle(forReadingAtPath: url.path) {
                let head = handle.readData(ofLength: 4096)
                try? handle.close()
                if head.starts(with: ExchangeFile.magic),
                    String(decoding: head, as: UTF8.self).contains("\"secret-key\"")
                {
                    throw InferenceError.secretKeyInPackage(path: url.path)
                }
            }
        }
        let manifest = try readManifest(dir)
        let manifestBytes = (try? FileBytes.read(dir.appendingPathComponent(PackageFiles.manifest))) ?? []
        let files = manifest.files
        @Sendable func exchangeFile(_ name: String) throws -> PackageExchangeFile {
            try PackageExchangeFile(dir.appendingPathComponent(name), expectedHash: files[name])
        }
        let manifestPath = dir.appendingPathComponent(PackageFiles.manifest).path
        let context = try manifest.parameters.makeContext(path: manifestPath)
        let keyParms = context.parameters.parmsID.description
        guard keyParms == manifest.parmsID else {
            throw InferenceError.mismatch(path: manifestPath, reason: "parms_id does not match its parameters")
        }
        /// A key file with its header, fields and payload hash checked.
        @Sendable func keyFile(_ name: String, _ kind: ExchangeFile.Kind) throws -> PackageExchangeFile {
            let file = try exchangeFile(name)
            let path = file.url.path
            guard file.header.kind == kind, file.header.parmsID == keyParms,
                file.header.fields["keyID"] == manifest.keyID
            else {
                throw InferenceError.mismatch(path: path, reason: "kind, parms_id or key id does not fit the manifest")
            }
            guard ContentHasher.hash(file.bytes, range: file.payload) == file.header.payloadHash else {
                throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
            }
            return file
        }
        @Sendable func key<T: SEALLoadable>(_ type: T.Type, _ file: PackageExchangeFile) throws -> T {
            try SEALObject.load(type, file.bytes, range: file.payload, context: context, path: file.url.path)
        }
        // The key id is the BLAKE2b-256 of the serialized public key (``OwnerKeyStore/keyID(_:)``): the public key
        // file's payload hash, which keyFile has just verified.
        let pkFile = try keyFile(PackageFiles.publicKey, .publicKey)
        guard pkFile.header.payloadHash == manifest.keyID else {
            throw InferenceError.mismatch(
                path: pkFile.url.path, reason: "public key does not match the manifest's key id")
        }
        _ = try key(PublicKey.self, pkFile)
        // Parsed again when the results are re-randomized: not resident during conv1.
        let pk: @Sendable () throws -> PublicKey = {
            let file = try keyFile(PackageFiles.publicKey, .publicKey)
            guard file.header.payloadHash == manifest.keyID else {
                throw InferenceError.mismatch(
                    path: file.url.path, reason: "public key does not match the manifest's key id")
            }
            return try key(PublicKey.self, file)
        }
        // The relinearization keys are checked now (kind, parameters, key id, content hash) and read again, and
        // checked again, when conv2 needs them.
        _ = try keyFile(PackageFiles.relinKeys, .relinKeys)
        let rk: @Sendable () throws -> RelinKeys = {
            try key(RelinKeys.self, try keyFile(PackageFiles.relinKeys, .relinKeys))
        }
        let remainderURL = dir.appendingPathComponent(PackageFiles.remainder)
        guard let remainderBytes = try FileBytes.read(remainderURL) else {
            throw InferenceError.badFile(path: remainderURL.path, reason: "missing from the package")
        }
        guard files[PackageFiles.remainder] == ContentHasher.hash(remainderBytes) else {
            throw InferenceError.badFile(path: remainderURL.path, reason: "content hash differs from the manifest")
        }
        let remainder = try Model(contentsOf: remainderURL)
        let geometry: StageGeometry, structure: EncryptedStructure
        do {
            geometry = try StageGeometry(model: remainder)
            structure = try EncryptedStructure(remainder)
        } catch {
            throw InferenceError.badFile(path: remainderURL.path, reason: "\(error)")
        }
        let selection1 = manifest.selection["1"] ?? [], selection2 = manifest.selection["2"] ?? []
        let cipherTaps = geometry.conv2Cipher.pairedTaps, plainTaps = geometry.conv2Plain.pairedTaps
        let conv1Taps = geometry.conv1Taps, channels = geometry.conv1Channels
        /// One part's ciphertexts, each passed through `transform` by the worker that parsed it.
        @Sendable func loadPart<T: Sendable>(
            _ layer: Int, _ index: Int, _ part: Int, _ transform: @escaping @Sendable (Ciphertext) -> T
        ) throws -> [T] {
            let filter = (layer == 1 ? selection1 : selection2)[index]
            let name = PackageFiles.part(layer: layer, filter: filter, part: part)
            let expected =
                layer == 1 ? conv1Taps + 1 : (part < channels ? (selection1.contains(part) ? cipherTaps : plainTaps) : 1)
            let file = try exchangeFile(name)
            let path = file.url.path
            let primes = layer == 1 ? PipelineLevels.conv1Primes : PipelineLevels.conv2Primes
            guard file.header.kind == .encryptedWeights, file.header.parmsID == context.parmsIDs[primes].description
            else {
                throw InferenceError.mismatch(path: path, reason: "kind or parms_id does not fit the manifest")
            }
            // The payload hash (one sequential BLAKE2b stream, ~13 ms for a conv2 part) runs on its own thread
            // beside the parsing, whose seed expansion fills the cores; nothing parsed is returned unless the
            // hash matches (the parser checks every field itself, as for any untrusted file).
            let payload = file.payload
            let bytes = file.bytes
            let hashed = Background { ContentHasher.hash(bytes, range: payload) }
            let parsed = Result {
                try FilterFile.parse(
                    bytes, range: payload, count: expected, primes: primes, context: context, path: path,
                    transform: transform)
            }
            guard try hashed.value() == file.header.payloadHash else {
                throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
            }
            return try parsed.get()
        }
        let weights = EncryptedWeights(
            conv1Filters: selection1, conv2Filters: selection2,
            partBuffers: { layer, index, part in try loadPart(layer, index, part) { WordBuffer($0.data) } }
        ) { layer, index, part in try loadPart(layer, index, part) { $0 } }
        return LoadedPackage(
            manifest: manifest, manifestHash: ContentHasher.hash(manifestBytes), context: context, weights: weights,
            relinKeys: rk, publicKey: pk, remainder: remainder, geometry: geometry, structure: structure)
    }

    /// Evaluates the package on `count` images and writes the re-randomized, masked request: a directory of
    /// chunks (`ChunkDirectory`), one per tile of the engine's `TilePlan`, with its private side `REQ.private`.
    /// - Parameters:
    ///   - package: the package directory.
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: the number of images (≤ N/2).
    ///   - out: the request directory.
    ///   - memoryBudget: bytes the engine's working set may take (`TilePlan`).
    ///   - progress: called with (steps done, total steps).
    /// - Returns: per-phase times (load, plain, conv1, activation, conv2, protect).
    /// - Throws: ``InferenceError`` naming the package file at fault, or for a bad image count.
    public static func infer(
        package: URL, pixels: [UInt8], count: Int, out: URL, memoryBudget: Int = UserRole.defaultMemoryBudget,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> PhaseTimes {
        var times = PhaseTimes()
        let pkg = try times.measure("load") { try load(package) }
        let plan = pkg.tilePlan(memoryBudget: memoryBudget)
        let total = UserEvaluator.progressSteps(pkg.geometry, conv1Filters: pkg.weights.conv1Filters.count, plan: plan)
        let counter = StepCounter(total: total, report: progress)
        try RequestWriter.write(
            pkg, pixels: pixels, count: count, out: out, plan: plan, times: &times, progress: { counter.tick() })
        return times
    }

    /// Evaluates only the first `tiles` tiles of a request into a scratch directory, then removes it: one tile's
    /// cost without the whole request (benchmarks). With 0 tiles, only the plan.
    /// - Returns: the phase times, the tiles evaluated, the request's tile count and the plan's filter block and
    ///   band rows.
    package static func profileTiles(
        package: URL, pixels: [UInt8], count: Int, tiles: Int, memoryBudget: Int = UserRole.defaultMemoryBudget
    ) throws -> (times: PhaseTimes, evaluated: Int, total: Int, filterBlock: Int, bandRows: Int) {
        var times = PhaseTimes()
        let pkg = try times.measure("load") { try load(package) }
        let plan = pkg.tilePlan(memoryBudget: memoryBudget)
        let part = plan.prefix(max(0, tiles))
        guard !part.tiles.isEmpty else { return (times, 0, plan.tiles.count, plan.filterBlock, plan.bandRows) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-profile-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: ChunkDirectory.privateDirectory(out))
        }
        try RequestWriter.write(pkg, pixels: pixels, count: count, out: out, plan: part, times: &times)
        return (times, part.tiles.count, plan.tiles.count, plan.filterBlock, plan.bandRows)
    }

    /// Unmasks and decodes the owner's response (a directory of chunks answering the request's) and completes the
    /// network.
    /// - Returns: logits `[B, classes]` and the phase times.
    /// - Throws: ``InferenceError`` for a missing, foreign, repeated or tampered chunk, or files that do not belong
    ///   together.
    public static func finish(package: URL, request: URL, response: URL) throws -> (logits: Tensor, times: PhaseTimes) {
        var times = PhaseTimes()
        let pkg = try times.measure("load") { try load(package) }
        let logits = try times.measure("finish") { try finish(pkg, request: request, response: response) }
        return (logits, times)
    }

    static func finish(_ pkg: LoadedPackage, request: URL, response: URL) throws -> Tensor {
        try decode(pkg, request: request, response: response).finish()
    }

    /// Checks and decodes every chunk of a response (``ResponseAssembler``).
    static func decode(_ pkg: LoadedPackage, request: URL, response: URL) throws -> ResponseAssembler {
        let requests = try ChunkDirectory.list(request)
        let privateDir = ChunkDirectory.privateDirectory(request)
        let privates = try ChunkDirectory.list(privateDir), responses = try ChunkDirectory.list(response)
        guard privates.count == requests.count else {
            throw InferenceError.mismatch(path: privateDir.path, reason: "holds \(privates.count) chunks, the request \(requests.count)")
        }
        guard responses.count == requests.count else {
            throw InferenceError.mismatch(path: response.path, reason: "holds \(responses.count) chunks, the request \(requests.count)")
        }
        var assembler = try ResponseAssembler(pkg, privateDirectory: privateDir)
        for i in requests.indices {
            try assembler.add(request: requests[i], privateChunk: privates[i], response: responses[i], position: i)
        }
        return assembler
    }
}

/// An exchange file of a package as the user reads it: its header checked against the manifest's content hash
/// (``ExchangeFile/contentHash(header:)``); the payload is left for the caller to check against the header's
/// payload hash while parsing it.
struct PackageExchangeFile {
    let url: URL
    /// The whole file.
    let bytes: [UInt8]
    let header: ExchangeFile.Header
    /// Where the payload lies in ``bytes``.
    let payload: Range<Int>

    /// Reads `url` and checks its header.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a missing or malformed file or a header whose hash
    ///   is not `expectedHash`.
    init(_ url: URL, expectedHash: String?) throws {
        guard let bytes = try FileBytes.read(url) else {
            throw InferenceError.badFile(path: url.path, reason: "missing from the package")
        }
        let (header, payloadStart) = try ExchangeFile.parseHeader(bytes, path: url.path)
        guard expectedHash == ExchangeFile.contentHash(header: bytes[..<payloadStart]) else {
            throw InferenceError.badFile(path: url.path, reason: "content hash differs from the manifest")
        }
        self.url = url
        self.bytes = bytes
        self.header = header
        payload = payloadStart..<bytes.count
    }
}

/// Counts progress ticks from worker threads and forwards (done, total).
final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    let total: Int
    let report: (@Sendable (Int, Int) -> Void)?

    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    func tick() {
        lock.lock()
        done += 1
        let now = done
        lock.unlock()
        report?(now, total)
    }
}
