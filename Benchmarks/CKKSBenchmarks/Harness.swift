import Foundation

/// One timed operation: set-up runs once outside the timed region and returns the body to time.
struct Benchmark {
    /// The name, parameters first, SEAL-bench style: `n=8192 / log(q)=40 / NTT / forward`.
    let name: String
    /// How many units of work one call of the body does (limbs, images, …); times are also reported per unit.
    let units: Int
    /// Builds the inputs and returns the operation; called once per benchmark run.
    let setUp: () throws -> () -> Void

    /// A benchmark whose body does `units` units of work per call.
    init(_ name: String, units: Int = 1, setUp: @escaping () throws -> () -> Void) {
        self.name = name
        self.units = units
        self.setUp = setUp
    }
}

/// Something that contributes benchmarks (NTT, CKKS, NN files each add one).
protocol BenchmarkGroup {
    /// The benchmarks of the group; `quick` asks for the smallest useful set (CI smoke runs).
    static func benchmarks(quick: Bool) -> [Benchmark]
}

/// Command-line options: `--filter SUBSTRING` (repeatable), `--quick`, `--samples N`, `--min-time SECONDS`.
struct HarnessOptions {
    var filters: [String] = []
    var quick = false
    var samples = 15
    var minSampleSeconds = 0.02

    /// Parses the process arguments; unknown options are an error message.
    init(arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--filter":
                guard let value = iterator.next() else { throw HarnessError.usage("--filter needs a value") }
                filters.append(value)
            case "--quick":
                quick = true
            case "--samples":
                guard let value = iterator.next().flatMap(Int.init), value > 0 else {
                    throw HarnessError.usage("--samples needs a positive integer")
                }
                samples = value
            case "--min-time":
                guard let value = iterator.next().flatMap(Double.init), value > 0 else {
                    throw HarnessError.usage("--min-time needs a positive number of seconds")
                }
                minSampleSeconds = value
            case "-h", "--help":
                throw HarnessError.usage(
                    "usage: CKKSBenchmarks [--filter SUBSTRING]... [--quick] [--samples N] [--min-time SECONDS]")
            default:
                throw HarnessError.usage("unknown argument \(argument)")
            }
        }
        if quick {
            samples = min(samples, 3)
            minSampleSeconds = min(minSampleSeconds, 0.002)
        }
    }

    /// Whether a benchmark is selected (every filter must occur in its name).
    func selects(_ name: String) -> Bool { filters.allSatisfy { name.contains($0) } }
}

/// A usage or set-up problem, printed as one line on stderr.
enum HarnessError: Error, CustomStringConvertible {
    case usage(String)
    var description: String {
        switch self {
        case .usage(let message): message
        }
    }
}

/// A benchmark set's shared set-up (keys, operands), made on first use.
///
/// A --filter that selects none of the set's benchmarks never pays for it. Benchmarks run one at a time on one
/// thread, so no lock is needed.
final class SetUpOnce<Value> {
    private let make: () throws -> Value
    private var made: Value?

    /// A set-up that `make` performs when first needed.
    init(_ make: @escaping () throws -> Value) { self.make = make }

    /// The value, made by the first call.
    func value() throws -> Value {
        if let made { return made }
        let value = try make()
        made = value
        return value
    }
}

/// Keeps results alive so the optimizer cannot delete the timed work.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Runs benchmarks and prints one JSON object per line.
enum Harness {
    /// Nanoseconds from a monotonic clock.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Times one benchmark: warm-up, a batch size giving samples of at least `minSampleSeconds`, then the
    /// median and 90th percentile of the per-call times of `samples` batches.
    static func measure(_ benchmark: Benchmark, options: HarnessOptions) throws -> [String: Any] {
        let body = try benchmark.setUp()
        // Warm-up, and a first estimate of the call time.
        var calls = 1
        var elapsed: UInt64 = 0
        while true {
            let start = now()
            for _ in 0..<calls { body() }
            elapsed = now() - start
            if Double(elapsed) >= options.minSampleSeconds * 1e9 / 4 || calls >= 1 << 20 { break }
            calls *= 2
        }
        let perCall = max(Double(elapsed) / Double(calls), 1)
        let batch = max(1, Int((options.minSampleSeconds * 1e9 / perCall).rounded(.up)))
        var times: [Double] = []
        for _ in 0..<options.samples {
            let start = now()
            for _ in 0..<batch { body() }
            times.append(Double(now() - start) / Double(batch))
        }
        times.sort()
        let median = times[times.count / 2]
        let p90 = times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.down)))]
        return [
            "name": benchmark.name, "median_ns": median.rounded(), "p90_ns": p90.rounded(),
            "min_ns": (times.first ?? median).rounded(), "units": benchmark.units,
            "median_ns_per_unit": (median / Double(benchmark.units)).rounded(), "batch": batch,
            "samples": times.count,
        ]
    }

    /// Runs every selected benchmark of the groups and prints JSON lines to stdout.
    static func main(groups: [any BenchmarkGroup.Type], arguments: [String]) -> Int32 {
        do {
            let options = try HarnessOptions(arguments: arguments)
            let selected = groups.flatMap { $0.benchmarks(quick: options.quick) }.filter { options.selects($0.name) }
            for benchmark in selected {
                let result = try measure(benchmark, options: options)
                let data = try JSONSerialization.data(
                    withJSONObject: result, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("CKKSBenchmarks: \(error)\n".utf8))
            return 1
        }
    }
}
