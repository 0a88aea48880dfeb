import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn demo --data-encrypted`: whether to measure the data-encrypted baseline in the same run.
enum DataEncryptedChoice: String, ExpressibleByArgument, CaseIterable {
    /// Run it now (``DataEncryptedRun``: the user's images encrypted, the owner's weights in the clear).
    case run
    /// Skip it.
    case none
}

/// The measured data-encrypted baseline the demo compares against.
struct DataEncryptedBaseline {
    /// The run's report.
    var report: DataEncryptedReport

    /// Bytes between the parties: the encrypted images, the relinearization keys and the encrypted logits.
    var wireBytes: Int { report.uploadBytes + report.keyBytes + report.downloadBytes }

    /// Runs the baseline on `images` (progress bar on a terminal).
    /// - Returns: nil for `none`.
    /// - Throws: ``ToolError`` naming the model when it is missing or the run fails.
    static func make(_ choice: DataEncryptedChoice, squareModel: String, images: LabeledImages) throws
        -> DataEncryptedBaseline?
    {
        guard choice == .run else { return nil }
        guard FileManager.default.fileExists(atPath: squareModel) else {
            throw ToolError(
                "\(squareModel): no such model (train one with `privdnn train --dataset mnist --fc-activation square`, "
                    + "or use --data-encrypted none)")
        }
        let (progress, box) = InferenceSupport.progress("data encryption (images encrypted)")
        let report = try InferenceSupport.run {
            try DataEncryptedRun.run(
                modelURL: URL(fileURLWithPath: squareModel), images: images,
                normalization: Dataset.mnist.normalization, progress: progress)
        }
        box.finish()
        return DataEncryptedBaseline(report: report)
    }

    /// One line for the summary.
    var summary: String {
        String(
            format: "data encryption (measured, N=%d, Square model %.2f %%)  %.1f s (cpu %.1f s), peak %@, "
                + "sent %@ (images %@ + relin keys %@, logits back %@), agreement %.2f %%",
            report.degree, report.accuracyPlain, report.secondsTotal, report.cpuSeconds,
            InferenceSupport.bytes(report.peakRSSBytes) as NSString, InferenceSupport.bytes(wireBytes) as NSString,
            InferenceSupport.bytes(report.uploadBytes) as NSString, InferenceSupport.bytes(report.keyBytes) as NSString,
            InferenceSupport.bytes(report.downloadBytes) as NSString, report.agreement)
    }
}
