import Foundation
import NN

/// The user's side of requests against the owner's service: each chunk of the request is sent as soon as it is
/// written, its response decoded and both removed before the next tile is evaluated (as ``ExchangeRun`` does with
/// the owner in the same process), so that one chunk is on disk at a time.
public enum RemoteExchange {
    /// What the remote requests produced.
    public struct Result: Sendable {
        /// Logits `[count, classes]`.
        public var logits: Tensor
        /// Phase times (load, plain, conv1, activation, conv2, protect, owner, finish).
        public var times: PhaseTimes
        /// Chunks per request (tiles of the engine's plan).
        public var chunks: Int
        /// The user's decryption count after the request, as the service reports it.
        public var decrypted: Int
        /// The user's budget, as the service reports it.
        public var budget: Int
    }

    /// Evaluates package `package` on `count` images, has the owner's service decrypt each chunk and finishes; more
    /// images than a request's N/2 slots go as several requests, one after the other.
    /// - Parameters:
    ///   - package: the package directory (``OwnerClient/fetchPackage(id:to:)``).
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: images (at least one).
    ///   - client: the service and the user's token.
    ///   - memoryBudget: bytes the engine's working set may take (`TilePlan`).
    ///   - progress: called with (steps done, total steps).
    /// - Returns: the logits, times, chunk count and the user's count.
    /// - Throws: ``OwnerServiceError`` for a refusal; ``InferenceError`` for a bad package, images or response.
    public static func infer(
        package: URL, pixels: [UInt8], count: Int, client: OwnerClient,
        memoryBudget: Int = UserRole.defaultMemoryBudget, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> Result {
        var times = PhaseTimes()
        let pkg = try times.measure("load") { try UserRole.load(package) }
        let g = pkg.geometry
        let side = g.inputChannels * g.inputSide * g.inputSide
        guard count > 0, pixels.count == count * side else {
            throw InferenceError.invalidArgument("expected \(count) images of \(g.inputChannels)×\(g.inputSide)×\(g.inputSide) bytes")
        }
        let plan = pkg.tilePlan(memoryBudget: memoryBudget)
        let batch = pkg.context.degree / 2
        let batches = (count + batch - 1) / batch
        let counter = StepCounter(
            total: batches * UserEvaluator.progressSteps(g, conv1Filters: pkg.weights.conv1Filters.count, plan: plan),
            report: progress)
        // The requests and their private sides live in a scratch directory of the user's, never sent whole.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-remote-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var logits: [Float] = []
        var classes = 0
        var decrypted = 0, budget = 0
        for start in stride(from: 0, to: count, by: batch) {
            let n = min(batch, count - start)
            let request = work.appendingPathComponent("request-\(start)")
            let response = work.appendingPathComponent("response-\(start)")
            let privateDir = ChunkDirectory.privateDirectory(request)
            try ChunkDirectory.prepare(response)
            var assembler: ResponseAssembler?
            var others = PhaseTimes()
            try RequestWriter.write(
                pkg, pixels: Array(pixels[(start * side)..<((start + n) * side)]), count: n, out: request, plan: plan,
                times: &times, progress: { counter.tick() }
            ) { i in
                let req = ChunkDirectory.url(request, i), resp = ChunkDirectory.url(response, i)
                let priv = ChunkDirectory.url(privateDir, i)
                (decrypted, budget) = try others.measure("owner") { try client.decrypt(chunk: req, response: resp) }
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
        return Result(
            logits: Tensor(shape: [count, classes], data: logits), times: times, chunks: plan.tiles.count,
            decrypted: decrypted, budget: budget)
    }
}
