import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn demo --one-image`: whether to measure one picture at a time as well.
enum OneImageChoice: String, ExpressibleByArgument, CaseIterable {
    /// Run both one-image exchanges on the first test image.
    case run
    /// Skip them.
    case none
}

/// One picture, as an app classifies it: PrivDNN's pixels packing beside the data-encrypted baseline's one-image
/// (LoLa-style) run, each on the same first test image and measured in this process, and beside the
/// full-encryption baseline, whose one image costs a whole batch.
///
/// Like with like: the time compared is each exchange for the image with its one-time work done (PrivDNN: user
/// infer, owner decrypt, user finish with the package loaded; data encryption: encrypting the image, the owner's
/// evaluation, decrypting the logits); the one-time work (PrivDNN's package and loading it, data encryption's
/// keys and the owner's encoded diagonals) is reported beside it, and counted in the peak memory and in the bytes
/// on the wire (PrivDNN's package, data encryption's evaluation keys).
struct OneImageComparison {
    /// PrivDNN's exchange of the image (pixels packing).
    var partial: InferenceReport
    /// The data-encrypted run of the image, if measured.
    var data: DataEncryptedReport?
    /// The full-encryption baseline (every weight encrypted), if the demo has one.
    ///
    /// It has no one-image layout: every weight is one ciphertext whatever the number of images, so one image costs
    /// what its batch costs.
    var full: FullBaseline? = nil

    /// PrivDNN's bytes on the wire: the package (once), the request and the response.
    var partialWire: Int { partial.packageBytes + partial.requestBytes + partial.responseBytes }
    /// Data encryption's bytes on the wire: the evaluation keys (once), the encrypted image and the logits.
    var dataWire: Int? { data.map { $0.keyBytes + $0.uploadBytes + $0.downloadBytes } }

    /// PrivDNN's seconds for the image with the package loaded (the exchange less loading it): like data
    /// encryption's per-image time, which leaves out its one-time keys and encoded weights.
    var partialSeconds: Double { partial.secondsExchange - (partial.phases.seconds["load"] ?? 0) }

    /// Savings of PrivDNN against data encryption for the image, in percent (negative where PrivDNN costs more).
    var savings: (time: Double, memory: Double, wire: Double)? {
        guard let data, let dataWire else { return nil }
        return (
            100 * (1 - partialSeconds / data.secondsPerImage),
            100 * (1 - Double(partial.peakRSSBytes) / Double(data.peakRSSBytes)),
            100 * (1 - Double(partialWire) / Double(dataWire))
        )
    }

    /// Savings of PrivDNN's one image against the full-encryption baseline's batch (its cost for one image), in
    /// percent; the bytes only where the baseline recorded them.
    var savingsVersusFull: (time: Double, memory: Double, wire: Double?)? {
        guard let full else { return nil }
        return (
            100 * (1 - partialSeconds / full.secondsTotal),
            100 * (1 - Double(partial.peakRSSBytes) / full.peakBytes),
            full.wireBytes.map { 100 * (1 - Double(partialWire) / $0) }
        )
    }

    /// Runs both on the first of `images`.
    /// - Returns: nil for `none` or no images.
    /// - Throws: ``ToolError`` naming the model when a run fails.
    static func make(
        _ choice: OneImageChoice, modelURL: URL, selection: SelectedNeurons, preset: ParameterPreset,
        squareModel: String?, images: LabeledImages
    ) throws -> OneImageComparison? {
        guard choice == .run, images.count > 0 else { return nil }
        let first = images.subset([0])
        let partial = try InferenceSupport.run {
            try ExchangeRun.run(
                modelURL: modelURL, selection: selection, images: first, preset: preset,
                normalization: Dataset.mnist.normalization, packing: .pixels)
        }
        let data = try squareModel.map { path in
            try InferenceSupport.run {
                try DataEncryptedRun.run(
                    modelURL: URL(fileURLWithPath: path), images: first, packing: .pixels,
                    normalization: Dataset.mnist.normalization)
            }
        }
        return OneImageComparison(partial: partial, data: data)
    }

    /// The JSON keys of the demo's one-image part.
    var json: [String: Any] {
        var out: [String: Any] = [
            "one_image_seconds": partialSeconds, "one_image_seconds_exchange": partial.secondsExchange,
            "one_image_seconds_package": partial.secondsPackage,
            "one_image_peak_bytes": partial.peakRSSBytes, "one_image_wire_bytes": partialWire,
            "one_image_cpu_seconds": partial.cpuSeconds,
            "one_image_agreement": partial.agreement,
        ]
        if let v = savingsVersusFull {
            out["saving_vs_full_encryption_one_image_time_percent"] = v.time
            out["saving_vs_full_encryption_one_image_memory_percent"] = v.memory
            if let wire = v.wire { out["saving_vs_full_encryption_one_image_wire_percent"] = wire }
        }
        if let data, let savings, let dataWire {
            out["data_encrypted_one_image_seconds"] = data.secondsPerImage
            out["data_encrypted_one_image_seconds_setup"] =
                (data.phases.seconds["keys"] ?? 0) + (data.phases.seconds["prepare"] ?? 0)
            out["data_encrypted_one_image_peak_bytes"] = data.peakRSSBytes
            out["data_encrypted_one_image_cpu_seconds"] = data.cpuSeconds
            out["data_encrypted_one_image_wire_bytes"] = dataWire
            out["data_encrypted_one_image_key_bytes"] = data.keyBytes
            out["data_encrypted_one_image_upload_bytes"] = data.uploadBytes
            out["data_encrypted_one_image_download_bytes"] = data.downloadBytes
            out["data_encrypted_one_image_agreement"] = data.agreement
            out["saving_vs_data_encrypted_one_image_time_percent"] = savings.time
            out["saving_vs_data_encrypted_one_image_memory_percent"] = savings.memory
            out["saving_vs_data_encrypted_one_image_wire_percent"] = savings.wire
        }
        return out
    }

    /// Lines for the summary.
    var summary: [String] {
        func bytes(_ n: Int) -> String { InferenceSupport.bytes(n) }
        var lines = [
            String(
                format: "one image, partial (pixels packing)  %.3f s with the package loaded (loading it %.2f s and "
                    + "making it %.2f s, once), peak %@, sent %@ (package %@ once, request %@, response %@), "
                    + "agreement %.0f %%",
                partialSeconds, partial.phases.seconds["load"] ?? 0, partial.secondsPackage,
                bytes(partial.peakRSSBytes) as NSString,
                bytes(partialWire) as NSString, bytes(partial.packageBytes) as NSString,
                bytes(partial.requestBytes) as NSString, bytes(partial.responseBytes) as NSString, partial.agreement)
        ]
        if let full, let v = savingsVersusFull {
            lines.append(
                String(
                    format: "saving against full encryption for one image (no one-image layout there: one image "
                        + "costs its batch, %.0f s, %@): time %.2f %%, memory %.1f %%",
                    full.secondsTotal, full.kind as NSString, v.time, v.memory)
                    + (v.wire.map { String(format: ", bytes on the wire %.1f %%", $0) } ?? ""))
        }
        guard let data, let savings, let dataWire else { return lines }
        lines.append(
            String(
                format: "one image, data encryption (LoLa-style)  exchange %.3f s (keys and encoded weights %.2f s "
                    + "once), peak %@, sent %@ (evaluation keys %@ once, image %@, logits %@), agreement %.0f %%",
                data.secondsPerImage, (data.phases.seconds["keys"] ?? 0) + (data.phases.seconds["prepare"] ?? 0),
                bytes(data.peakRSSBytes) as NSString, bytes(dataWire) as NSString, bytes(data.keyBytes) as NSString,
                bytes(data.uploadBytes) as NSString, bytes(data.downloadBytes) as NSString, data.agreement))
        lines.append(
            String(
                format: "saving against data encryption for one image: time %.1f %%, memory %.1f %%, bytes on the "
                    + "wire %.1f %%", savings.time, savings.memory, savings.wire))
        var worse: [String] = []
        if savings.time < 0 { worse.append("slower") }
        if savings.memory < 0 { worse.append("uses more memory") }
        if savings.wire < 0 { worse.append("sends more bytes") }
        if !worse.isEmpty {
            lines.append("  partial encryption \(worse.joined(separator: ", ")) than data encryption for one image")
        }
        return lines
    }
}
