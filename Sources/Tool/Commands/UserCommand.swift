import ArgumentParser
import Foundation
import NN
import PrivateInference

/// The `privdnn user` command group.
///
/// `privdnn user`: the data holder's side (infer, finish). Never reads a secret key.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "User: evaluate a package on private images, finish with the owner's response.",
        subcommands: [UserInferCommand.self, UserFinishCommand.self, UserFetchCommand.self])
}

/// `privdnn user infer`.
struct UserInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run conv1 → pool → square → conv2 in mixed form; write the re-randomized, masked request.")

    @Option(help: "Model package directory.") var package: String
    @Option(help: "IDX image file (e.g. data/mnist/t10k-images-idx3-ubyte.gz).") var images: String
    @Option(help: "First image.") var offset = 0
    @Option(help: "Number of images (default: all from the offset, at most N/2).") var count: Int?
    @Option(help: "Request directory to write, one chunk file per tile (masks and images go to <out>.private/).")
    var out: String?
    @Option(help: "GiB the encrypted layers' working set may take; the request is cut into chunks to fit (default 3).")
    var memoryBudget: Double?
    @Option(help: "The owner's service (http://HOST:PORT): send each chunk there and finish, instead of --out.")
    var owner: String?
    @Option(help: "Your API token for --owner (from `privdnn owner user add`; default: $PRIVDNN_TOKEN).")
    var token: String?
    @Option(help: RemoteInference.caFileHelp) var caFile: String?
    @Flag(help: "With --owner: print one JSON object (images, accuracy, predictions).") var json = false
    @Option(help: "auto (the package's packing; if it holds both, pixels up to 8 images), batch or pixels.")
    var packing: PackingChoice = .auto

    func validate() throws {
        guard (owner == nil) != (out == nil) else {
            throw ValidationError("give either --out or --owner (with --token)")
        }
        guard owner != nil || (token == nil && caFile == nil) else {
            throw ValidationError("--token and --ca-file go with --owner")
        }
    }

    func run() throws {
        let budget = try InferenceSupport.memoryBudget(memoryBudget)
        let (pixels, n) = try InferenceSupport.images(images, offset: offset, count: count)
        if let owner {
            return try RemoteInference.run(
                package: package, images: images, offset: offset, pixels: pixels, count: n, owner: owner, token: token,
                caFile: caFile, packing: packing.packing, memoryBudget: budget, json: json)
        }
        guard let out else { throw ValidationError("--out is required") }
        let (progress, box) = InferenceSupport.progress("encrypted layers")
        let times = try InferenceSupport.run {
            try UserRole.infer(
                package: URL(fileURLWithPath: package), pixels: pixels, count: n, out: URL(fileURLWithPath: out),
                packing: packing.packing, memoryBudget: budget, progress: progress)
        }
        box.finish()
        print(String(format: "wrote %@ for %d images (%.2f s)", out, n, times.total))
    }
}

/// `privdnn user finish`.
struct UserFinishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finish", abstract: "Unmask and decode the response, complete the network, print predictions.")

    @Option(help: "Model package directory.") var package: String
    @Option(help: "The request directory (its .private directory must be beside it).") var request: String
    @Option(help: "The owner's response directory.") var response: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let (logits, _) = try InferenceSupport.run {
            try UserRole.finish(
                package: URL(fileURLWithPath: package), request: URL(fileURLWithPath: request),
                response: URL(fileURLWithPath: response))
        }
        let classes = logits.shape[1]
        let predictions = (0..<logits.shape[0]).map { i in
            (0..<classes).max { logits.data[i * classes + $0] < logits.data[i * classes + $1] } ?? 0
        }
        if json {
            let object: [String: Any] = ["predictions": predictions, "logits": logits.data.map(Double.init)]
            print(try JSONOutput.text(object: object))
        } else {
            for (i, p) in predictions.enumerated() { print("\(i)\t\(p)") }
        }
    }
}
