import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn demo --full-baseline`: which full-encryption baseline to compare against.
enum FullBaselineChoice: String, ExpressibleByArgument, CaseIterable {
    /// Really run every layer encrypted (``FullEncryptionRun``).
    case run
    /// Extrapolate from kernel timings (``FullEncryptionEstimate``).
    case estimate
    /// The newest measured run recorded by `InferenceBenchmarks --full` (a JSON-lines file naming the date and the
    /// CPU it ran on): a real measurement without spending minutes on it in every demo.
    case recorded
    /// No baseline.
    case none
}

/// The full-encryption baseline the demo compares against, measured or estimated.
struct FullBaseline {
    /// Whether it was really run.
    var measured: Bool
    /// Seconds by phase.
    var phases: [String: Double]
    /// Total seconds.
    var secondsTotal: Double
    /// Peak memory (measured VmHWM of this process, the recorded run's, or the estimate's model).
    var peakBytes: Double
    /// Agreement of the measured run with the plaintext Square model (percent).
    var agreement: Double?
    /// Bytes of encrypted weights sent to the user (seeded ciphertexts), when known.
    var wireBytes: Double? = nil
    /// The JSON-lines file a recorded run came from (nil when run or estimated in this process).
    var recordedIn: String? = nil
    /// When and where a recorded run was measured (its record's `date` and `cpu`), nil when the record has
    /// neither or the baseline was made in this process.
    var measuredOn: String? = nil
    /// One line for the summary.
    var summary: String

    /// Runs or estimates the baseline (progress bar on a terminal for the real run).
    /// - Parameters:
    ///   - choice: recorded, run, estimate or none.
    ///   - squareModel: the LeNet-5 with Square FC activations (real run).
    ///   - images: the test images of the partial run.
    ///   - record: the JSON-lines file of measured runs (recorded).
    ///   - preset: the parameter preset whose recorded run to read.
    /// - Returns: nil for `none`.
    /// - Throws: ``ToolError`` for a missing model or a failed run.
    static func make(
        _ choice: FullBaselineChoice, squareModel: String, images: LabeledImages,
        record: String = FullBaseline.defaultRecord, preset: String = "auto"
    ) throws -> FullBaseline? {
        switch choice {
        case .none:
            return nil
        case .recorded:
            return try recorded(record, preset: preset)
        case .estimate:
            let estimate = try InferenceSupport.run { try FullEncryptionEstimate.measure() }
            return FullBaseline(
                measured: false, phases: estimate.phases, secondsTotal: estimate.secondsTotal,
                peakBytes: estimate.peakBytes, agreement: nil, wireBytes: estimate.packageBytes,
                summary: String(
                    format: "full encryption (estimated in this process from kernel timings, N=32768)  %.1f s, "
                        + "peak ≈ %@ (model), package %@"
                        + "\n  (measured run: `privdnn demo --full-baseline run`; numbers in BENCHMARKS.md)",
                    estimate.secondsTotal, InferenceSupport.bytes(Int(estimate.peakBytes)) as NSString,
                    InferenceSupport.bytes(Int(estimate.packageBytes)) as NSString))
        case .run:
            guard FileManager.default.fileExists(atPath: squareModel) else {
                throw ToolError(
                    "\(squareModel): no such model (train one with `privdnn train --dataset mnist --fc-activation square`)"
                )
            }
            let (progress, box) = InferenceSupport.progress("full encryption (every layer)")
            let report = try InferenceSupport.run {
                try FullEncryptionRun.run(
                    modelURL: URL(fileURLWithPath: squareModel), images: images,
                    normalization: Dataset.mnist.normalization, progress: progress)
            }
            box.finish()
            let weights = report.operations["encrypt"] ?? 0
            return FullBaseline(
                measured: true, phases: report.phases.seconds, secondsTotal: report.secondsTotal,
                peakBytes: Double(report.peakRSSBytes), agreement: report.agreement,
                wireBytes: report.operations["seeded bytes"].map(Double.init),
                summary: String(
                    format:
                        "full encryption (measured in this process, N=%d, Square model %.2f %%)  %.1f s (cpu %.1f s), "
                        + "peak %@, "
                        + "%d weight ciphertexts, agreement %.2f %%",
                    report.degree, report.accuracyPlain, report.secondsTotal, report.cpuSeconds,
                    InferenceSupport.bytes(report.peakRSSBytes) as NSString, weights, report.agreement))
        }
    }

    /// "measured" (in this process), "recorded" or "estimated".
    var kind: String { recordedIn != nil ? "recorded" : measured ? "measured" : "estimated" }

    /// Where `InferenceBenchmarks --full` appends its measured runs.
    static let defaultRecord = "Benchmarks/InferenceBenchmarks/full-encryption.jsonl"

    /// The newest recorded measured run for `preset` whose predictions agreed with the plaintext model.
    /// - Throws: ``ToolError`` naming the file when it is missing, malformed or holds no such run.
    static func recorded(_ path: String, preset: String) throws -> FullBaseline {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ToolError(
                "\(path): no recorded full-encryption run (make one with `InferenceBenchmarks --full`, "
                    + "or use --full-baseline run|estimate)")
        }
        let wanted = "full-encryption/\(preset)/"
        var newest: [String: Any]?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ToolError("\(path):\(index + 1): not a JSON object")
            }
            guard let name = object["benchmark"] as? String, name.hasPrefix(wanted), name.hasSuffix("/measured"),
                object["agrees_with_plaintext"] as? Bool == true
            else { continue }
            newest = object
        }
        guard let run = newest, let seconds = run["seconds_total"] as? Double,
            let peak = (run["peak_rss_bytes"] as? NSNumber)?.doubleValue,
            let phases = run["phases"] as? [String: Double]
        else {
            throw ToolError("\(path): no complete measured run for the \(preset) parameters that agreed with plaintext")
        }
        let cpu = run["cpu_seconds"] as? Double ?? .nan
        let agreement = run["agreement"] as? Double ?? 100
        let load = (run["load_average"] as? [Double])?.map { String(format: "%.1f", $0) }.joined(separator: "/") ?? "?"
        // The record says when and on which CPU it ran; older records without them are named as such rather
        // than passed off as this machine's.
        let when = [run["date"] as? String, run["cpu"] as? String].compactMap { $0 }
        let measuredOn = when.isEmpty ? nil : when.joined(separator: ", ")
        // Records before the reference phase had its name call the plaintext reference model "plain".
        var named = phases
        if let reference = named.removeValue(forKey: "plain") { named["reference", default: 0] += reference }
        return FullBaseline(
            measured: true, phases: named, secondsTotal: seconds, peakBytes: peak, agreement: agreement,
            wireBytes: ((run["operations"] as? [String: Any])?["seeded bytes"] as? NSNumber)?.doubleValue,
            recordedIn: path, measuredOn: measuredOn,
            summary: String(
                format: "full encryption (recorded: measured by `InferenceBenchmarks --full` on %@, load %@; from %@)"
                    + "\n  %.1f s (cpu %.1f s), peak %@, agreement %.2f %%  (rerun here: --full-baseline run)",
                (measuredOn ?? "a date and CPU the record does not give") as NSString, load as NSString,
                path as NSString, seconds, cpu, InferenceSupport.bytes(Int(peak)) as NSString, agreement))
    }
}
