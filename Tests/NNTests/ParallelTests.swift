import NN
import Synchronization
import Testing

/// `Parallelism`: the one parallel helper of NN and PrivateInference.
@Suite struct ParallelTests {
    @Test func chunksCoverEveryItemOnce() {
        for count in [0, 1, 2, 7, 1000] {
            let seen = Mutex([Int](repeating: 0, count: count))
            Parallelism.forEachChunk(count, minimumChunk: 3) { _, range in
                seen.withLock { for i in range { $0[i] += 1 } }
            }
            #expect(seen.withLock { $0 } == [Int](repeating: 1, count: count))
        }
    }

    @Test func forEachVisitsEveryItemOnce() {
        for count in [0, 1, 2, 513] {
            let seen = Mutex([Int](repeating: 0, count: count))
            Parallelism.forEach(count) { i in seen.withLock { $0[i] += 1 } }
            #expect(seen.withLock { $0 } == [Int](repeating: 1, count: count))
        }
    }

    @Test func mapKeepsIndexOrder() {
        #expect(Parallelism.map(0) { $0 }.isEmpty)
        #expect(Parallelism.map(1000) { $0 * $0 } == (0..<1000).map { $0 * $0 })
        // Optional results stay in place, nil included.
        #expect(Parallelism.map(5) { $0 % 2 == 0 ? $0 : nil } == [0, nil, 2, nil, 4])
    }
}
