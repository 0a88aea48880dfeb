import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a loop over independent items into one contiguous chunk per core and runs the chunks concurrently.
///
/// The one copy of this loop for every target: the ring and scheme layers use it directly, NN's `Parallelism`
/// (and through it the engine in PrivateInference) is built on it. A chunk, not an item, is the unit of work so
/// that a caller can give each chunk its own workspace, allocated once per chunk rather than once per item.
package enum ConcurrentChunks {
    /// The number of chunks a loop is cut into at most: the online core count, at least 1.
    package static let workers: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// How many chunks ``forEach(_:minimumChunk:_:)`` uses for `count` items.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: below this many items per chunk, fewer chunks are used.
    /// - Returns: a chunk count in `1...workers` (1 for no items).
    package static func chunkCount(_ count: Int, minimumChunk: Int = 1) -> Int {
        max(1, min(workers, count / max(1, minimumChunk)))
    }

    /// Runs `body(chunk, range)` for the chunks of `0..<count`, concurrently when there are several.
    ///
    /// The ranges are disjoint, near-equal and cover `0..<count`; `body` must only write state that belongs to
    /// its range or to its chunk.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: the smallest worthwhile chunk.
    ///   - body: receives the chunk index (below ``chunkCount(_:minimumChunk:)``) and its item range.
    package static func forEach(
        _ count: Int, minimumChunk: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
    ) {
        let chunks = chunkCount(count, minimumChunk: minimumChunk)
        guard chunks > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // The closure is only called, never stored; the chunks write disjoint memory.
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                work(chunk, range(chunk, of: chunks, count: count))
            }
        }
    }

    /// The item range of chunk `chunk` when `count` items are cut into `chunks` near-equal contiguous pieces.
    package static func range(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        let base = count / chunks
        let extra = count % chunks
        let start = chunk * base + min(chunk, extra)
        return start..<(start + base + (chunk < extra ? 1 : 0))
    }
}
