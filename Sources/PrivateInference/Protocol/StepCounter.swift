import Foundation

/// Counts progress ticks from worker threads and forwards (done, total).
final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    /// The number of ticks the work makes in all.
    let total: Int
    /// Called after every tick with (ticks so far, total), on the ticking thread.
    let report: (@Sendable (Int, Int) -> Void)?

    /// A counter of `total` ticks, none done yet.
    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    /// Counts one tick and reports it (safe from any thread).
    func tick() {
        lock.lock()
        done += 1
        let now = done
        lock.unlock()
        report?(now, total)
    }
}
