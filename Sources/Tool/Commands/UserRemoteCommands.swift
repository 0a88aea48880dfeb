import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn user fetch`: downloads a package from the owner's service.
struct UserFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Download a model package from the owner's service (privdnn-owner serve).")

    @Option(help: "The owner's service (http://HOST:PORT).") var owner: String
    @Option(help: "Your API token (from `privdnn owner user add`; default: $PRIVDNN_TOKEN, which `ps` does not show).")
    var token: String?
    @Option(help: "The package's ID (its folder name on the owner's side).") var package: String
    @Option(help: "Package directory to write (replaced atomically once complete).") var out: String
    @Option(help: RemoteInference.caFileHelp) var caFile: String?

    func run() throws {
        let client = try RemoteInference.client(owner: owner, token: token, caFile: caFile)
        let hash = try InferenceSupport.run { try client.fetchPackage(id: package, to: URL(fileURLWithPath: out)) }
        print("wrote \(out) (package \(package), content hash \(hash.prefix(16))…)")
    }
}

/// `privdnn user infer --owner URL --token T`: the request's chunks go to the service one at a time and the
/// predictions come back in one command.
enum RemoteInference {
    /// The help of `--ca-file`.
    static let caFileHelp = ArgumentHelp(
        "PEM file of the certificate authority that signed an https owner's certificate (trusted instead of the system's).",
        valueName: "pem")

    /// A client of `owner`, which must be an http(s) URL, with `token` or else `$PRIVDNN_TOKEN`, trusting the
    /// certificate authorities in `caFile` (https only) or else the system's.
    static func client(owner: String, token: String?, caFile: String? = nil) throws -> OwnerClient {
        guard let token = token ?? ProcessInfo.processInfo.environment["PRIVDNN_TOKEN"] else {
            throw ToolError("give --token, or the token in $PRIVDNN_TOKEN")
        }
        guard let url = URL(string: owner), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            url.host != nil
        else { throw ToolError("--owner takes the service's URL, e.g. http://127.0.0.1:8080") }
        guard !token.isEmpty, token.utf8.count <= 256, token.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw ToolError("--token is not an API token")
        }
        guard let caFile else { return OwnerClient(owner: url, token: token) }
        guard url.scheme?.lowercased() == "https" else { throw ToolError("--ca-file goes with an https:// --owner") }
        return try InferenceSupport.run {
            try OwnerClient(owner: url, token: token, caFile: URL(fileURLWithPath: caFile))
        }
    }

    /// Runs the exchange against the service and prints the predictions (and accuracy when labels lie beside the
    /// images: `…-labels-idx1-ubyte[.gz]` for `…-images-idx3-ubyte[.gz]`).
    static func run(
        package: String, images: String, offset: Int, pixels: [UInt8], count: Int, owner: String, token: String?,
        caFile: String? = nil, packing: Packing? = nil, memoryBudget: Int, json: Bool
    ) throws {
        let client = try client(owner: owner, token: token, caFile: caFile)
        let (progress, box) = InferenceSupport.progress("encrypted layers")
        let result = try InferenceSupport.run {
            try RemoteExchange.infer(
                package: URL(fileURLWithPath: package), pixels: pixels, count: count, client: client, packing: packing,
                memoryBudget: memoryBudget, progress: progress)
        }
        box.finish()
        let predictions = Predictions.of(result.logits)
        let labels = try self.labels(images, offset: offset, count: count)
        let correct = labels.map { l in zip(predictions, l).filter { $0 == Int($1) }.count }
        let accuracy = correct.map { 100 * Double($0) / Double(count) }
        if json {
            let object: [String: Any] = [
                "images": count, "accuracy": accuracy ?? NSNull(), "correct": correct ?? NSNull(),
                "predictions": predictions, "chunks": result.chunks, "seconds": result.times.total,
                "packing": result.packing.rawValue,
                "user_decrypted": result.decrypted, "user_budget": result.budget,
            ]
            print(try JSONOutput.text(object: object))
        } else {
            for (i, p) in predictions.enumerated() { print("\(i)\t\(p)") }
            if let accuracy { print(String(format: "accuracy %.2f %% (%d images)", accuracy, count)) }
        }
    }

    /// The labels of the chosen images, if a labels file lies beside the images file.
    static func labels(_ images: String, offset: Int, count: Int) throws -> [UInt8]? {
        let name = (images as NSString).lastPathComponent
        guard name.contains("images-idx3-ubyte") else { return nil }
        let path = ((images as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            name.replacingOccurrences(of: "images-idx3-ubyte", with: "labels-idx1-ubyte"))
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let (dims, bytes) = try InferenceSupport.run { try IDXLoader.read(URL(fileURLWithPath: path), rank: 1) }
        guard dims[0] >= offset + count, bytes.count >= offset + count else {
            throw ToolError("\(path): holds \(dims[0]) labels, fewer than the images chosen")
        }
        return Array(bytes[offset..<(offset + count)])
    }
}

extension RemoteInference {
    /// `privdnn inference --owner URL --token T --package ID`: fetches the package, runs the user's side on the
    /// data set's test half (or synthetic images) against the service and reports accuracy, time and peak memory.
    static func dataset(
        _ data: DataOptions, owner: String, token: String?, caFile: String? = nil, package: String, limit: Int?,
        synthetic: Int?, seed: UInt64, packing: Packing? = nil, memoryBudget: Int, json: Bool
    ) throws {
        let set = data.dataset
        let images = try InferenceSupport.testImages(data, limit: limit, synthetic: synthetic, seed: seed)
        guard images.count > 0 else { throw ToolError("no images selected") }
        let client = try client(owner: owner, token: token, caFile: caFile)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "privdnn-fetched-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let start = DispatchTime.now().uptimeNanoseconds
        PeakMemory.reset()
        _ = try InferenceSupport.run { try client.fetchPackage(id: package, to: scratch) }
        let (progress, box) = InferenceSupport.progress("encrypted inference")
        let result = try InferenceSupport.run {
            try RemoteExchange.infer(
                package: scratch, pixels: images.pixels, count: images.count, client: client, packing: packing,
                memoryBudget: memoryBudget, progress: progress)
        }
        box.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let predictions = Predictions.of(result.logits)
        let correct = zip(predictions, images.labels).filter { $0 == Int($1) }.count
        let accuracy = 100 * Double(correct) / Double(images.count)
        if json {
            let object: [String: Any] = [
                "dataset": set.rawValue, "synthetic": synthetic != nil, "images": images.count, "accuracy": accuracy,
                "seconds_total": seconds, "peak_rss_bytes": PeakMemory.bytes(),
                "phases": InferenceReportJSON.phaseList(result.times.seconds),
                "chunks": result.chunks, "user_decrypted": result.decrypted, "user_budget": result.budget,
                "packing": result.packing.rawValue,
            ]
            print(try JSONOutput.text(object: object))
        } else {
            print("images                 \(images.count)")
            print(String(format: "encrypted              %.2f %%", accuracy))
            print(String(format: "total                  %.2f s (package download included)", seconds))
            print("peak RSS               \(InferenceSupport.bytes(PeakMemory.bytes()))")
            print("decrypted for you      \(result.decrypted) of \(result.budget) ciphertexts")
        }
    }
}

/// Predicted classes.
enum Predictions {
    /// The predicted class of each row of `[B, classes]` logits.
    static func of(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { i in
            (0..<classes).max { logits.data[i * classes + $0] < logits.data[i * classes + $1] } ?? 0
        }
    }
}
