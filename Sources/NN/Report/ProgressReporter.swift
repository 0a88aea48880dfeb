import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point-in-time view of a long job, the unit of every progress output (and a JSON line in `--json` mode).
public struct ProgressSnapshot: Codable, Equatable, Sendable {
    /// What is running, such as "greedy layer 2".
    public var label: String
    /// Work items done.
    public var completed: Int
    /// Work items in all.
    public var total: Int
    /// Seconds since the reporter was created.
    public var elapsedSeconds: Double
    /// Items per second so far (0 before the first item).
    public var ratePerSecond: Double
    /// Estimated seconds left, or `nil` while the rate is unknown.
    public var etaSeconds: Double?
    /// Whether ``ProgressReporter/finish()`` has been called.
    public var finished: Bool

    /// The snapshot as one compact JSON object (keys sorted), for line-oriented machine output.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Where a ``ProgressReporter`` sends its updates.
public enum ProgressOutput: Sendable {
    /// A progress bar on standard error when it is a terminal (isatty), otherwise nothing.
    case automatic
    /// Nothing (batch jobs, tests, `--json` runs that report only results).
    case silent
    /// A redrawn one-line bar: the closure receives raw text with carriage returns and ANSI erase codes.
    case terminal(@Sendable (String) -> Void)
    /// Every throttled update as a structured snapshot (for `--json` event streams or GUIs).
    case snapshots(@Sendable (ProgressSnapshot) -> Void)

    /// A bar on standard error, whether or not it is a terminal.
    public static var standardError: ProgressOutput {
        .terminal { text in FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// Whether standard error is a terminal.
    public static var standardErrorIsTerminal: Bool { isatty(2) != 0 }
}

/// Thread-safe progress with rate and ETA for long jobs (selection, training, encrypted inference).
///
/// Any thread may call ``advance(by:)``; output is throttled to one redraw per ``minimumInterval`` seconds, plus a
/// final one from ``finish()``. With ``ProgressOutput/automatic`` nothing is printed unless standard error is a
/// terminal, so logs and `--json` output stay clean.
public final class ProgressReporter: Sendable {
    private struct State {
        var completed = 0
        var total: Int
        var lastEmit: Double = -Double.infinity
        var finished = false
    }

    private let label: String
    private let unit: String
    private let output: ProgressOutput
    private let clock: @Sendable () -> Double
    private let start: Double
    private let state: Mutex<State>
    /// Seconds between two redraws.
    public let minimumInterval: Double
    /// Width of the bar in characters.
    public let barWidth: Int

    /// Starts a job of `total` items.
    ///
    /// - Parameters:
    ///   - label: shown before the bar.
    ///   - total: number of items (0 is allowed for jobs of unknown size: no bar, no ETA).
    ///   - unit: rate unit, e.g. "eval" for selection evaluations.
    ///   - output: where updates go (default: standard error if it is a terminal).
    ///   - minimumInterval: throttle between redraws, in seconds.
    ///   - barWidth: characters in the bar.
    ///   - clock: monotonic seconds, injectable for tests.
    public init(
        label: String, total: Int, unit: String = "it", output: ProgressOutput = .automatic,
        minimumInterval: Double = 0.1, barWidth: Int = 30,
        clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    ) {
        self.label = label
        self.unit = unit
        switch output {
        case .automatic: self.output = ProgressOutput.standardErrorIsTerminal ? .standardError : .silent
        default: self.output = output
        }
        self.minimumInterval = minimumInterval
        self.barWidth = barWidth
        self.clock = clock
        start = clock()
        state = Mutex(State(total: max(0, total)))
    }

    /// Records `count` more finished items and redraws if the throttle allows.
    public func advance(by count: Int = 1) {
        let now = clock()
        let snapshot: ProgressSnapshot? = state.withLock { state in
            state.completed += count
            guard !state.finished, now - state.lastEmit >= minimumInterval else { return nil }
            state.lastEmit = now
            return makeSnapshot(state, now: now)
        }
        if let snapshot { emit(snapshot) }
    }

    /// Marks the job done and emits the final line (the bar ends with a newline on a terminal).
    public func finish() {
        let now = clock()
        let snapshot: ProgressSnapshot? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            return makeSnapshot(state, now: now)
        }
        if let snapshot { emit(snapshot) }
    }

    /// The current state, without emitting anything.
    public var snapshot: ProgressSnapshot {
        let now = clock()
        return state.withLock { makeSnapshot($0, now: now) }
    }

    private func makeSnapshot(_ state: State, now: Double) -> ProgressSnapshot {
        let elapsed = max(0, now - start)
        let rate = elapsed > 0 ? Double(state.completed) / elapsed : 0
        let left = max(0, state.total - state.completed)
        let eta: Double? = state.total > 0 && rate > 0 ? Double(left) / rate : nil
        return ProgressSnapshot(
            label: label, completed: state.completed, total: state.total, elapsedSeconds: elapsed,
            ratePerSecond: rate, etaSeconds: state.finished ? 0 : eta, finished: state.finished)
    }

    private func emit(_ snapshot: ProgressSnapshot) {
        switch output {
        case .automatic, .silent: return
        case .snapshots(let handler): handler(snapshot)
        case .terminal(let write):
            let line = Self.render(snapshot, unit: unit, barWidth: barWidth)
            write("\r" + line + "\u{1B}[K" + (snapshot.finished ? "\n" : ""))
        }
    }

    /// One bar line: `label [#######·······] 45/100 45% 12.3 it/s ETA 0:04` (no control characters).
    public static func render(_ snapshot: ProgressSnapshot, unit: String = "it", barWidth: Int = 30) -> String {
        var parts = [snapshot.label]
        if snapshot.total > 0 {
            let fraction = min(1, Double(snapshot.completed) / Double(snapshot.total))
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            parts.append(
                "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: barWidth - filled) + "]")
            parts.append("\(snapshot.completed)/\(snapshot.total)")
            parts.append("\(Int((fraction * 100).rounded(.down)))%")
        } else {
            parts.append("\(snapshot.completed)")
        }
        parts.append(String(format: "%.1f", snapshot.ratePerSecond) + " \(unit)/s")
        if snapshot.finished {
            parts.append("in " + formatDuration(snapshot.elapsedSeconds))
        } else if let eta = snapshot.etaSeconds {
            parts.append("ETA " + formatDuration(eta))
        }
        return parts.joined(separator: " ")
    }

    /// `m:ss` below an hour, `h:mm:ss` above (rounded up to whole seconds).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let total = Int(seconds.rounded(.up))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
