import Foundation
import NN

/// A model package loaded once on the user's side: requests for image after image without reading and checking the
/// package again, and the finish from the owner's response.
///
/// This is the entry point for an app that classifies one picture at a time: load the package when the app starts, then
/// per picture ``classify(pixels:count:packing:memoryBudget:work:progress:decrypt:)`` with a `decrypt` that sends a
/// chunk to the owner (``OwnerClient/decrypt(chunk:response:)``).
///
/// The session never holds a secret key (loading refuses a package that contains one).
public final class UserSession: @unchecked Sendable {
    let pkg: LoadedPackage
    /// Seconds spent loading and checking the package.
    public let loadSeconds: Double

    /// Loads a package, verifying every file's hash and refusing any secret key.
    /// - Throws: ``InferenceError`` naming the package file at fault.
    public init(package: URL) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        pkg = try UserRole.load(package)
        loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The packings the package holds.
    public var packings: [Packing] { pkg.packings }

    /// Bytes of one image (`C · H · W`).
    public var imageBytes: Int { pkg.geometry.inputChannels * pkg.geometry.inputSide * pkg.geometry.inputSide }

    /// The packing a request of `count` images uses: `requested` if given (the package must hold it), else the one
    /// the package holds, else (both held) ``Packing/automatic(images:)``.
    /// - Throws: ``InferenceError/invalidArgument(_:)`` when the package does not hold `requested`.
    public func packing(for count: Int, requested: Packing? = nil) throws -> Packing {
        let held = pkg.packings
        if let requested {
            guard held.contains(requested) else {
                throw InferenceError.invalidArgument(
                    "the package holds no \(requested.rawValue) packing (it holds \(held.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            return requested
        }
        return held.count == 1 ? held[0] : Packing.automatic(images: count)
    }

    /// Evaluates the package on `count` images and writes the re-randomized, masked request directory `out` (with
    /// its private side `out.private`): a chunk per tile (batch packing) or per image (pixels packing).
    /// - Parameters:
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: images (batch: at most N/2).
    ///   - out: the request directory (its private side goes to `out.private`).
    ///   - packing: forces a packing (``packing(for:requested:)``).
    ///   - memoryBudget: bytes the engine's working set may take (`TilePlan`, batch packing).
    ///   - progress: called with (steps done, total steps).
    /// - Returns: per-phase times.
    /// - Throws: ``InferenceError`` for bad images or a bad package file.
    public func writeRequest(
        pixels: [UInt8], count: Int, out: URL, packing: Packing? = nil,
        memoryBudget: Int = UserRole.defaultMemoryBudget, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> PhaseTimes {
        var times = PhaseTimes()
        let packing = try self.packing(for: count, requested: packing)
        let plan = pkg.tilePlan(memoryBudget: memoryBudget)
        let counter = StepCounter(total: progressSteps(count: count, packing: packing, plan: plan), report: progress)
        try RequestWriter.write(
            pkg, pixels: pixels, count: count, out: out, plan: plan, packing: packing, times: &times,
            progress: { counter.tick() })
        return times
    }

    /// Unmasks and decodes the owner's response to a request of this package and completes the network.
    /// - Returns: logits `[count, classes]`.
    /// - Throws: ``InferenceError`` for a missing, foreign, repeated or tampered chunk.
    public func finish(request: URL, response: URL) throws -> Tensor {
        try UserRole.finish(pkg, request: request, response: response)
    }

    /// What ``classify(pixels:count:packing:memoryBudget:work:progress:decrypt:)`` produced.
    public struct Classification: Sendable {
        /// Logits `[count, classes]`.
        public var logits: Tensor
        /// Phase times (plain, conv1, activation, conv2, protect, the owner's, finish).
        public var times: PhaseTimes
        /// Chunks per request.
        public var chunks: Int
        /// The packing used.
        public var packing: Packing
    }

    /// Classifies `count` images through the owner: each request chunk is handed to `decrypt` as soon as it is written,
    /// its response decoded, and both removed before the next chunk is evaluated, so that one chunk is on disk at a
    /// time.
    ///
    /// More images than a batch request's N/2 slots go as several requests.
    /// - Parameters:
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: images (at least one).
    ///   - packing: forces a packing (``packing(for:requested:)``).
    ///   - memoryBudget: bytes the engine's working set may take (batch packing).
    ///   - work: a scratch directory for the chunks (a fresh temporary one, removed afterwards, if `nil`).
    ///   - progress: called with (steps done, total steps).
    ///   - decrypt: the owner's side: (request chunk, response chunk to write, chunk index, chunks); it may
    ///     measure its time in the `PhaseTimes` it is given.
    /// - Returns: the logits and predictions of the images, with the phase times.
    /// - Throws: what `decrypt` throws; ``InferenceError`` for bad images, a bad package or a bad response.
    public func classify(
        pixels: [UInt8], count: Int, packing: Packing? = nil, memoryBudget: Int = UserRole.defaultMemoryBudget,
        work: URL? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil,
        decrypt: (_ request: URL, _ response: URL, _ index: Int, _ chunks: Int, _ times: inout PhaseTimes) throws ->
            Void
    ) throws -> Classification {
        // RequestWriter's chunk callback is optional (formally escaping); it is only called during this call.
        try withoutActuallyEscaping(decrypt) { decrypt in
            try classify(
                pixels: pixels, count: count, packing: packing, memoryBudget: memoryBudget, work: work,
                progress: progress, escapingDecrypt: decrypt)
        }
    }

    private func classify(
        pixels: [UInt8], count: Int, packing: Packing?, memoryBudget: Int, work: URL?,
        progress: (@Sendable (Int, Int) -> Void)?,
        escapingDecrypt decrypt: @escaping (URL, URL, Int, Int, inout PhaseTimes) throws -> Void
    ) throws -> Classification {
        let side = imageBytes
        guard count > 0, pixels.count == count * side else {
            let g = pkg.geometry
            throw InferenceError.invalidArgument(
                "expected \(count) images of \(g.inputChannels)×\(g.inputSide)×\(g.inputSide) bytes")
        }
        let packing = try self.packing(for: count, requested: packing)
        let plan = pkg.tilePlan(memoryBudget: memoryBudget)
        // A pixels request has a chunk per image; a batch request holds up to N/2 images.
        let batch = packing == .pixels ? count : pkg.context.degree / 2
        let batches = (count + batch - 1) / batch
        let counter = StepCounter(
            total: batches * progressSteps(count: min(count, batch), packing: packing, plan: plan), report: progress)
        let root =
            work ?? FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-user-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { if work == nil { try? FileManager.default.removeItem(at: root) } }
        let pkg = self.pkg
        var times = PhaseTimes(), logits: [Float] = [], classes = 0, chunks = 0
        for start in stride(from: 0, to: count, by: batch) {
            let n = min(batch, count - start)
            let request = root.appendingPathComponent("request-\(start)")
            let response = root.appendingPathComponent("response-\(start)")
            let privateDir = ChunkDirectory.privateDirectory(request)
            try ChunkDirectory.prepare(response)
            chunks = packing == .pixels ? n : plan.tiles.count
            var assembler: ResponseAssembler?
            var others = PhaseTimes()
            try RequestWriter.write(
                pkg, pixels: Array(pixels[(start * side)..<((start + n) * side)]), count: n, out: request, plan: plan,
                packing: packing, times: &times, durable: false, progress: { counter.tick() }
            ) { i in
                let req = ChunkDirectory.url(request, i), resp = ChunkDirectory.url(response, i)
                let priv = ChunkDirectory.url(privateDir, i)
                try decrypt(req, resp, i, chunks, &others)
                try others.measure("finish") {
                    if assembler == nil { assembler = try ResponseAssembler(pkg, privateDirectory: privateDir) }
                    try assembler?.add(request: req, privateChunk: priv, response: resp, position: i)
                }
                for url in [req, resp, priv] { try? FileManager.default.removeItem(at: url) }
            }
            times.merge(others)
            guard let assembler else { throw InferenceError.invalidArgument("internal: the request had no chunk") }
            let part = try times.measure("finish") { try assembler.finish() }
            classes = part.shape[1]
            logits += part.data
            for dir in [request, privateDir, response] { try? FileManager.default.removeItem(at: dir) }
        }
        return Classification(
            logits: Tensor(shape: [count, classes], data: logits), times: times, chunks: chunks, packing: packing)
    }

    /// Progress ticks of one request of `count` images.
    func progressSteps(count: Int, packing: Packing, plan: TilePlan) -> Int {
        packing == .pixels
            ? count
            : UserEvaluator.progressSteps(pkg.geometry, conv1Filters: pkg.weights.conv1Filters.count, plan: plan)
    }
}
