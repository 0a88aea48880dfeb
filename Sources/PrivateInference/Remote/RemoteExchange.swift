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
        /// The packing used.
        public var packing: Packing
    }

    /// Evaluates package `package` on `count` images, has the owner's service decrypt each chunk and finishes; more
    /// images than a request's N/2 slots go as several requests, one after the other.
    /// - Parameters:
    ///   - package: the package directory (``OwnerClient/fetchPackage(id:to:)``).
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: images (at least one).
    ///   - client: the service and the user's token.
    ///   - packing: forces a packing (``UserSession/packing(for:requested:)``).
    ///   - memoryBudget: bytes the engine's working set may take (`TilePlan`).
    ///   - progress: called with (steps done, total steps).
    /// - Returns: the logits, times, chunk count and the user's count.
    /// - Throws: ``OwnerServiceError`` for a refusal; ``InferenceError`` for a bad package, images or response.
    public static func infer(
        package: URL, pixels: [UInt8], count: Int, client: OwnerClient, packing: Packing? = nil,
        memoryBudget: Int = UserRole.defaultMemoryBudget, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> Result {
        let session = try UserSession(package: package)
        var decrypted = 0, budget = 0
        let result = try session.classify(
            pixels: pixels, count: count, packing: packing, memoryBudget: memoryBudget, progress: progress
        ) { request, response, _, _, times in
            let answer = try times.measure("owner") { try client.decrypt(chunk: request, response: response) }
            (decrypted, budget) = (answer.decrypted, answer.budget)
        }
        var times = result.times
        times.seconds["load", default: 0] += session.loadSeconds
        return Result(
            logits: result.logits, times: times, chunks: result.chunks, decrypted: decrypted, budget: budget,
            packing: result.packing)
    }
}
