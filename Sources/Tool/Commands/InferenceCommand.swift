import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn inference`: both roles end to end, with separate key stores in temporary directories.
struct InferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Run the whole owner/user exchange on the test half; report accuracy and agreement with the separate model.")

    @Option(help: "Dataset (mnist or emnist).") var dataset: String = "mnist"
    @Option(help: "Trained LeNet-5 safetensors file.") var model: String
    @Option(help: "Selection JSON.") var selection: String
    @Option(help: "Use only the first K test images.") var limit: Int?
    @Option(help: "CKKS parameters.") var params: ParameterPreset = .auto
    @Option(help: "Data root (default: the dataset's).") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        guard let set = Dataset(name: dataset) else { throw ToolError("unknown dataset \(dataset)") }
        let selection = try InferenceSupport.selection(selection)
        var images = try InferenceSupport.run { try set.load(.test, root: data.map { URL(fileURLWithPath: $0) }) }
        if let limit { images = images.subset(Array(0..<min(limit, images.count))) }
        let (progress, box) = InferenceSupport.progress("encrypted inference")
        let report = try InferenceSupport.run {
            try ExchangeRun.run(
                modelURL: URL(fileURLWithPath: model), selection: selection, images: images, preset: params,
                normalization: set.normalization, progress: progress)
        }
        box.finish()
        if json {
            print(try InferenceReportJSON.encode(report))
        } else {
            print(InferenceReportJSON.table(report))
        }
    }
}

/// Text and JSON renderings of an ``InferenceReport``.
enum InferenceReportJSON {
    static func dictionary(_ r: InferenceReport) -> [String: Any] {
        [
            "images": r.images, "accuracy_plain": r.accuracyPlain, "accuracy_separate": r.accuracySeparate,
            "accuracy_encrypted": r.accuracyEncrypted, "agreement": r.agreement,
            "max_logit_difference": r.maxLogitDifference, "seconds_total": r.secondsTotal,
            "peak_rss_bytes": r.peakRSSBytes, "phases": r.phases.seconds, "package_bytes": r.packageBytes,
            "request_bytes": r.requestBytes, "response_bytes": r.responseBytes,
        ]
    }

    static func encode(_ r: InferenceReport, extra: [String: Any] = [:]) throws -> String {
        let object = dictionary(r).merging(extra) { $1 }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func table(_ r: InferenceReport) -> String {
        var lines = [
            "images                 \(r.images)",
            String(format: "A_o (plain)            %.2f %%", r.accuracyPlain),
            String(format: "A_s (separate)         %.2f %%", r.accuracySeparate),
            String(format: "encrypted              %.2f %%", r.accuracyEncrypted),
            String(format: "agreement with A_s     %.2f %%", r.agreement),
            String(format: "max |Δ logit|          %.2e", r.maxLogitDifference),
        ]
        for phase in r.phases.seconds.keys.sorted() {
            if let s = r.phases.seconds[phase] { lines.append("  " + phase.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %8.3f s", s)) }
        }
        lines.append(String(format: "total                  %.2f s", r.secondsTotal))
        lines.append("peak RSS               \(InferenceSupport.bytes(r.peakRSSBytes))")
        lines.append("package / request / response  \(InferenceSupport.bytes(r.packageBytes)) / \(InferenceSupport.bytes(r.requestBytes)) / \(InferenceSupport.bytes(r.responseBytes))")
        return lines.joined(separator: "\n")
    }
}
