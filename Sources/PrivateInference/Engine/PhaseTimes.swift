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

    /// The phases in pipeline order (``pipeline``), so that a table or a JSON list reads as the exchange runs.
    public var ordered: [(phase: String, seconds: Double)] { Self.ordered(seconds) }

    /// Every phase name of the three runs (PrivDNN's partial exchange, full encryption, data encryption) in the
    /// order the work happens: the owner's one-time work (keys, encoded weights, the package), the user loading
    /// it and computing the plaintext channels, the encrypted layers, the request, the owner's decryption, the
    /// user's finish, and last the plaintext reference the baselines compare their predictions with.
    public static let pipeline = [
        "keys", "prepare", "package", "load", "plain", "encrypt", "receive", "conv1.load", "conv1.encode", "conv1",
        "conv1.result", "activation", "conv2.load", "conv2.encode", "conv2", "fc", "protect", "send", "owner",
        "decrypt", "finish", "reference",
    ]

    /// `seconds` in ``pipeline`` order; names it does not list follow, alphabetically.
    public static func ordered(_ seconds: [String: Double]) -> [(phase: String, seconds: Double)] {
        let rank = Dictionary(uniqueKeysWithValues: pipeline.enumerated().map { ($0.element, $0.offset) })
        return seconds.sorted { a, b in
            let (ra, rb) = (rank[a.key] ?? pipeline.count, rank[b.key] ?? pipeline.count)
            return ra != rb ? ra < rb : a.key < b.key
        }.map { (phase: $0.key, seconds: $0.value) }
    }
}

/// Peak resident memory of this process.
public enum PeakMemory {
    /// `VmHWM` from /proc/self/status in bytes, or 0 where it is unavailable.
    public static func bytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        return bytes(status: text)
    }

    /// `VmHWM` of a /proc status text in bytes, or 0 when it has none.
    static func bytes(status text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            // "VmHWM:\t  123456 kB"; from 10^7 kB on no space is left between the tab and the digits.
            let digits = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
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

/// What a recorded measurement says about where and when it ran, so that a reader of the record (the demo's
/// baseline line) can name the machine and the day instead of assuming its own.
public enum Machine {
    /// The CPU's model name and the number of online cores, such as "AMD EPYC, 2 cores".
    ///
    /// From /proc/cpuinfo; "unknown CPU" where it is unavailable.
    public static func cpu() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = text.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return "\(model ?? "unknown CPU"), \(cores) core\(cores == 1 ? "" : "s")"
    }

    /// `date` as an ISO 8601 UTC timestamp, such as "2026-12-07T22:05:13Z".
    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
