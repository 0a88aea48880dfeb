import Foundation
import NN

/// The user's side of the protocol.
///
/// The user's side of the protocol: mixed plaintext/encrypted evaluation, re-randomization and masking, and
/// finishing the network after the owner's response. Never reads a secret key.
public enum UserRole {
    /// Bytes the engine's working set (running sums, squares, encodings of one tile) may take by default: the
    /// request is cut into as many chunks as that needs (`TilePlan`).
    public static let defaultMemoryBudget = 3 << 30

    /// Evaluates the package on `count` images and writes the re-randomized, masked request: a directory of chunks
    /// (`ChunkDirectory`), one per tile of the engine's `TilePlan` (batch packing) or per image (pixels packing), with
    /// its private side `REQ.private`.
    ///
    /// An app that sends image after image keeps a ``UserSession`` instead, which loads the package once.
    /// - Parameters:
    ///   - package: the package directory.
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: the number of images (batch: ≤ N/2).
    ///   - out: the request directory.
    ///   - packing: forces a packing (``UserSession/packing(for:requested:)``: by default the package's, or by the
    ///     image count when it holds both).
    ///   - memoryBudget: bytes the engine's working set may take (`TilePlan`).
    ///   - progress: called with (steps done, total steps).
    /// - Returns: per-phase times (load, plain, conv1, activation, conv2, protect).
    /// - Throws: ``InferenceError`` naming the package file at fault, or for a bad image count.
    public static func infer(
        package: URL, pixels: [UInt8], count: Int, out: URL, packing: Packing? = nil,
        memoryBudget: Int = UserRole.defaultMemoryBudget, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> PhaseTimes {
        let session = try UserSession(package: package)
        var times = try session.writeRequest(
            pixels: pixels, count: count, out: out, packing: packing, memoryBudget: memoryBudget, progress: progress)
        times.seconds["load", default: 0] += session.loadSeconds
        return times
    }

    /// Evaluates only the first `tiles` tiles of a request into a scratch directory, then removes it: one tile's cost
    /// without the whole request (benchmarks).
    ///
    /// With 0 tiles, only the plan.
    /// - Returns: the phase times, the tiles evaluated, the request's tile count and the plan's filter block and band
    ///   rows.
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
}
