import COpenBLAS
import Foundation

/// How the NN kernels split work across cores.
///
/// Kernels cut a batch into contiguous chunks and run them with `DispatchQueue.concurrentPerform`;
/// OpenBLAS is pinned to one thread so the two levels of parallelism do not oversubscribe the cores.
public enum Parallelism {
    /// The number of worker chunks to use (the active core count, at least 1).
    public static let workers: Int = {
        openblas_set_num_threads(1)
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body` over `0..<count` cut into at most ``workers`` contiguous ranges, concurrently.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: below this many items per chunk, fewer chunks are used.
    ///   - body: receives the chunk index and its item range; chunks never overlap.
    public static func forEachChunk(
        _ count: Int, minimumChunk: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
    ) {
        let chunks = chunkCount(count, minimumChunk: minimumChunk)
        if chunks <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        // Chunks write disjoint ranges of their outputs; the closure itself is only read.
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                work(chunk, chunkRange(chunk, of: chunks, count: count))
            }
        }
    }

    /// How many chunks ``forEachChunk(_:minimumChunk:_:)`` uses for `count` items.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: the smallest worthwhile chunk.
    /// - Returns: a chunk count in `1...workers`.
    public static func chunkCount(_ count: Int, minimumChunk: Int = 1) -> Int {
        max(1, min(workers, count / max(1, minimumChunk)))
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

    /// The item range of chunk `chunk` when `count` items are cut into `chunks` near-equal pieces.
    static func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        let base = count / chunks
        let extra = count % chunks
        let start = chunk * base + min(chunk, extra)
        return start..<(start + base + (chunk < extra ? 1 : 0))
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
