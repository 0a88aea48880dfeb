/// Word buffers that tasks on different threads take one each (each index once), so that a buffer is freed as
/// soon as its task is done with it rather than when the whole set goes.
final class ReleasableBuffers: @unchecked Sendable {
    private let items: UnsafeMutablePointer<WordBuffer?>
    /// The number of buffers.
    let count: Int

    /// Holds `buffers` until each is taken.
    init(_ buffers: [WordBuffer]) {
        count = buffers.count
        items = .allocate(capacity: buffers.count)
        items.initialize(from: buffers.map { Optional($0) }, count: buffers.count)
    }

    deinit {
        items.deinitialize(count: count)
        items.deallocate()
    }

    /// Buffer `index`, leaving nothing in its place (`nil` if already taken).
    ///
    /// Distinct indexes may be taken concurrently.
    func take(_ index: Int) -> WordBuffer? {
        let buffer = items[index]
        items[index] = nil
        return buffer
    }
}
