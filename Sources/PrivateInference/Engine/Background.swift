import Dispatch

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
