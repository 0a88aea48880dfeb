import COpenBLAS
import Foundation
import NTT

/// How the NN kernels split work across cores.
///
/// Kernels cut a batch into contiguous chunks and run them concurrently (NTT's `ConcurrentChunks`, the one copy of
/// that loop); OpenBLAS is pinned to one thread so the two levels of parallelism do not oversubscribe the cores.
public enum Parallelism {
    /// The number of worker chunks to use (the active core count, at least 1).
    public static let workers: Int = {
        openblas_set_num_threads(1)
        return ConcurrentChunks.workers
    }()

    /// Runs `body` over `0..<count` cut into at most ``workers`` contiguous ranges, concurrently.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: below this many items per chunk, fewer chunks are used.
    ///   - body: receives the chunk index and its item range; chunks never overlap.
    public static func forEachChunk(
        _ count: Int, minimumChunk: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
    ) {
        _ = workers  // OpenBLAS pinned to one thread before any chunk runs
        ConcurrentChunks.forEach(count, minimumChunk: minimumChunk, body)
    }

    /// How many chunks ``forEachChunk(_:minimumChunk:_:)`` uses for `count` items.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: the smallest worthwhile chunk.
    /// - Returns: a chunk count in `1...workers`.
    public static func chunkCount(_ count: Int, minimumChunk: Int = 1) -> Int {
        _ = workers
        return ConcurrentChunks.chunkCount(count, minimumChunk: minimumChunk)
    }

    /// Runs `body(i)` for every `i` in `0..<count` concurrently, one item per iteration, so that items of uneven cost
    /// (a ciphertext each, a file each) balance across the cores; items must touch disjoint state.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - body: receives the item index.
    package static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        // Items write disjoint state; the closure itself is only read.
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: count) { work($0) }
        }
    }

    /// `(0..<count).map(body)` computed by ``forEach(_:_:)``.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - body: computes item `i`.
    /// - Returns: the items in index order.
    package static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        let slots = ResultSlots<T>(count)
        forEach(count) { slots[$0] = body($0) }
        return slots.values
    }
}

/// Write-once result slots that concurrent workers fill at distinct indices.
private final class ResultSlots<T>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<T?>

    init(_ count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    subscript(index: Int) -> T? {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }

    /// Every slot, in order (all must have been written).
    var values: [T] { buffer.compactMap { $0 } }
}
