import Foundation

/// Wall-clock seconds per named phase (package, conv1, activation, conv2, protect, decrypt, finish …).
public struct PhaseTimes: Sendable, Codable, Equatable {
    /// Phase name → seconds, summed over repeated measurements.
    public var seconds: [String: Double] = [:]

    /// An empty record.
    public init() {}

    /// Runs `body`, adding its wall time to `phase`.
    /// - Returns: `body`'s result.
    public mutating func measure<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }

    /// Adds every phase of `other`.
    public mutating func merge(_ other: PhaseTimes) {
        for (k, v) in other.seconds { seconds[k, default: 0] += v }
    }

    /// The sum of all phases.
    public var total: Double { seconds.values.reduce(0, +) }
}

/// Peak resident memory of this process.
public enum PeakMemory {
    /// `VmHWM` from /proc/self/status in bytes, or 0 where it is unavailable.
    public static func bytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kib = digits.first { return kib * 1024 }
        }
        return 0
    }

    /// Resets `VmHWM` to the current resident set (Linux `clear_refs` 5), so that a later ``bytes()`` is the
    /// peak of what runs from here on (plus what is resident now); does nothing where unsupported.
    public static func reset() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }
}
