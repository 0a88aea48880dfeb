import Dispatch

/// Parallel loops over independent work items on every core (`DispatchQueue.concurrentPerform`).
enum Workers {
    /// Runs `body(i)` for i in 0..<count concurrently; items must touch disjoint state.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: count) { work($0) }
        }
    }

    /// `(0..<count).map(body)` computed concurrently.
    static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        let slots = ResultSlots<T>(count)
        forEach(count) { slots[$0] = body($0) }
        return slots.values
    }
}

/// Write-once result slots that concurrent workers fill at distinct indices.
final class ResultSlots<T>: @unchecked Sendable {
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

/// A value computed on a global-queue thread while the caller does other work.
final class Background<T: Sendable>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<T, Error>?

    /// Starts `body` on a global-queue thread.
    init(_ body: @escaping @Sendable () throws -> T) {
        DispatchQueue.global().async(group: group) { self.result = Result { try body() } }
    }

    /// The value, once computed (waits for it).
    /// - Throws: what `body` threw.
    func value() throws -> T {
        group.wait()
        return try (result ?? .failure(InferenceError.invalidArgument("background work produced no result"))).get()
    }
}
