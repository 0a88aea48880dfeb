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
    /// Peak memory (measured VmHWM of this process, or the estimate's lower bound).
    var peakBytes: Double
    /// Agreement of the measured run with the plaintext Square model (percent).
    var agreement: Double?
    /// One line for the summary.
    var summary: String

    /// Runs or estimates the baseline (progress bar on a terminal for the real run).
    /// - Parameters:
    ///   - choice: run, estimate or none.
    ///   - squareModel: the LeNet-5 with Square FC activations (real run).
    ///   - images: the test images of the partial run.
    /// - Returns: nil for `none`.
    /// - Throws: ``ToolError`` for a missing model or a failed run.
    static func make(_ choice: FullBaselineChoice, squareModel: String, images: LabeledImages) throws -> FullBaseline? {
        switch choice {
        case .none:
            return nil
        case .estimate:
            let estimate = try InferenceSupport.run { try FullEncryptionEstimate.measure() }
            return FullBaseline(
                measured: false, phases: estimate.phases, secondsTotal: estimate.secondsTotal,
                peakBytes: estimate.peakBytes, agreement: nil,
                summary: String(
                    format: "full encryption (estimated from kernel timings, N=32768)  %.1f s, peak ≥ %@, package %@"
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
                summary: String(
                    format: "full encryption (measured, N=%d, Square model %.2f %%)  %.1f s (cpu %.1f s), peak %@, "
                        + "%d weight ciphertexts, agreement %.2f %%",
                    report.degree, report.accuracyPlain, report.secondsTotal, report.cpuSeconds,
                    InferenceSupport.bytes(report.peakRSSBytes) as NSString, weights, report.agreement))
        }
    }
}
