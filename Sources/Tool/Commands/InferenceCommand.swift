import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn inference`: both roles end to end, with separate key stores in temporary directories.
struct InferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract:
            "Run the whole owner/user exchange on the test half; report accuracy and agreement with the separate model.",
        discussion: "With --synthetic and no --model, a seeded random-initialised model of the data set's network runs."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var trained: ModelOption
    @Option(help: "Selection JSON.") var selection: String?
    @Option(
        help:
            "Encrypt this percentage of conv1's and conv2's filters, chosen by L2-norm pruning (instead of --selection)."
    )
    var share: Double?
    @Option(help: "Use only the first K test images.") var limit: Int?
    @Option(help: "Run on N seeded random images of the data set's shape instead of its test split.")
    var synthetic: Int?
    @Option(help: "Seed of the synthetic images and model.") var seed: UInt64 = 0
    @Option(help: "CKKS parameters.") var params: ParameterPreset = .auto
    @Option(help: "GiB the user's encrypted layers may take; the request is cut into chunks to fit (default 3).")
    var memoryBudget: Double?
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Run only the user's side against the owner's service at this URL (with --token and --package).")
    var owner: String?
    @Option(help: "Your API token for --owner (default: $PRIVDNN_TOKEN).") var token: String?
    @Option(help: RemoteInference.caFileHelp) var caFile: String?
    @Option(help: "The package ID to fetch from --owner.") var package: String?
    @Option(
        help:
            "auto (pixels up to 8 images, batch above), batch (images across slots) or pixels (one image's positions across slots)."
    )
    var packing: PackingChoice = .auto
    @Option(help: "Run only slice i of n (0-based, 0/3 … 2/3) of the selected images; merge with `privdnn merge`.")
    var shard: String?
    @Option(help: "Write this run's result file (per-image predictions, figures, run identity) for `privdnn merge`.")
    var out: String?

    func run() throws {
        let budget = try InferenceSupport.memoryBudget(memoryBudget)
        guard owner != nil || caFile == nil else { throw ToolError("--ca-file goes with --owner") }
        let slice = try ShardSlice(shard)
        guard owner == nil || (shard == nil && out == nil) else {
            throw ToolError("--shard and --out are for the local exchange, not --owner")
        }
        // A result file that cannot be written would only show at the end of a long run.
        if let out,
            !FileManager.default.isWritableFile(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path)
        {
            throw ToolError("--out \(out): its folder does not exist or is not writable")
        }
        if let owner {
            guard let package, trained.model == nil, selection == nil, share == nil else {
                throw ToolError("--owner takes --package (and --token), and no --model, --selection or --share")
            }
            return try RemoteInference.dataset(
                data, owner: owner, token: token, caFile: caFile, package: package, limit: limit,
                synthetic: synthetic, seed: seed, packing: packing.packing, memoryBudget: budget, json: json)
        }
        let set = data.dataset
        let images = try InferenceSupport.testImages(data, limit: limit, synthetic: synthetic, seed: seed)
        // A random-initialised model of the data set's architecture stands in where no trained one exists (time and
        // memory do not depend on the weights).
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("privdnn-model-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let modelURL: URL
        if let model = trained.model {
            modelURL = URL(fileURLWithPath: model)
        } else {
            guard synthetic != nil else { throw ToolError("--model is required unless --synthetic is given") }
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            modelURL = scratch.appendingPathComponent("random.safetensors")
            try Model(set.architecture, seed: seed).write(to: modelURL, metadata: ["seed": String(seed)])
        }
        let chosen: SelectedNeurons
        switch (selection, share) {
        case (let path?, nil): chosen = try InferenceSupport.selection(path)
        case (nil, let percent?):
            guard percent > 0, percent <= 100 else { throw ToolError("--share takes a percentage in (0, 100]") }
            chosen = SelectedNeurons.pruning(
                try Model(contentsOf: modelURL, architecture: set.architecture), percent: percent)
        default: throw ToolError("give either --selection or --share")
        }
        let automatic = { try ExchangeRun.automaticPacking(modelURL: modelURL, images: images.count) }
        let chosenPacking = try packing.packing ?? InferenceSupport.run(automatic)
        let identity = try InferenceRunIdentity(
            dataset: set, synthetic: synthetic != nil, seed: seed, randomModel: trained.model == nil,
            modelURL: modelURL,
            images: images, selection: chosen, share: share, params: params, packing: chosenPacking,
            memoryBudget: budget)
        let range = slice.range(of: images.count)
        guard !range.isEmpty else {
            throw ToolError(
                shard == nil
                    ? "no images selected (--limit)"
                    : "--shard \(slice.text): \(images.count) images leave this slice empty "
                        + "(use at most \(images.count) shards)")
        }
        let (progress, box) = InferenceSupport.progress("encrypted inference")
        let report = try InferenceSupport.run {
            try ExchangeRun.run(
                modelURL: modelURL, selection: chosen, images: images.subset(Array(range)), preset: params,
                normalization: set.normalization, memoryBudget: budget, packing: chosenPacking, progress: progress)
        }
        box.finish()
        if let out {
            try InferenceResultFile(slice: slice, firstImage: range.lowerBound, run: identity, report: report)
                .write(to: out)
        }
        if json {
            let fields = identity.jsonFields.merging(shard == nil ? [:] : ["shard": slice.text]) { $1 }
            print(try InferenceReportJSON.encode(report, extra: fields))
        } else {
            print(InferenceReportJSON.table(report))
        }
    }
}

/// Text and JSON renderings of an ``InferenceReport``.
enum InferenceReportJSON {
    /// Phase times as a JSON list in pipeline order (`[{"phase": "package", "seconds": 1.4}, …]`): a JSON object's
    /// keys come out sorted alphabetically, which scrambles the order the exchange runs in.
    static func phaseList(_ seconds: [String: Double]) -> [[String: Any]] {
        PhaseTimes.ordered(seconds).map { ["phase": $0.phase, "seconds": $0.seconds] }
    }

    static func dictionary(_ r: InferenceReport) -> [String: Any] {
        [
            "images": r.images, "accuracy_plain": r.accuracyPlain, "accuracy_separate": r.accuracySeparate,
            "accuracy_encrypted": r.accuracyEncrypted, "agreement": r.agreement,
            "max_logit_difference": r.maxLogitDifference, "seconds_total": r.secondsTotal,
            "seconds_package": r.secondsPackage, "seconds_exchange": r.secondsExchange,
            "peak_rss_bytes": r.peakRSSBytes, "phases": phaseList(r.phases.seconds), "package_bytes": r.packageBytes,
            "request_bytes": r.requestBytes, "response_bytes": r.responseBytes, "chunks": r.chunks,
            "packing": r.packing.rawValue,
            "cpu_seconds": r.cpuSeconds,
        ]
    }

    static func encode(_ r: InferenceReport, extra: [String: Any] = [:]) throws -> String {
        try JSONOutput.text(object: dictionary(r).merging(extra) { $1 })
    }

    /// The report as aligned lines; `remove` (A_r, the model without the encrypted filters) joins the accuracies
    /// when the caller measured it, so that every accuracy is printed once, in one place.
    static func table(_ r: InferenceReport, remove: Double? = nil) -> String {
        var lines = [
            "images                 \(r.images) (\(r.packing.rawValue) packing)",
            String(format: "A_o (plain)            %.2f %%", r.accuracyPlain),
            String(format: "A_s (separate)         %.2f %%", r.accuracySeparate),
        ]
        if let remove { lines.append(String(format: "A_r (remove)           %.2f %%", remove)) }
        lines += [
            String(format: "encrypted              %.2f %%", r.accuracyEncrypted),
            String(format: "agreement with A_s     %.2f %%", r.agreement),
            String(format: "max |Δ logit|          %.2e", r.maxLogitDifference),
        ]
        for (phase, s) in r.phases.ordered {
            lines.append(
                "  " + phase.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: " %8.3f s", s))
        }
        lines.append(String(format: "total                  %.2f s (CPU %.2f s)", r.secondsTotal, r.cpuSeconds))
        lines.append("chunks per request     \(r.chunks)")
        lines.append("peak RSS               \(InferenceSupport.bytes(r.peakRSSBytes))")
        lines.append(
            "package / request / response  \(InferenceSupport.bytes(r.packageBytes)) / \(InferenceSupport.bytes(r.requestBytes)) / \(InferenceSupport.bytes(r.responseBytes))"
        )
        return lines.joined(separator: "\n")
    }
}
