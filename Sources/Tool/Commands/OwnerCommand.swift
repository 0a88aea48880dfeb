import ArgumentParser
import Foundation
import NN
import PrivateInference

/// The `privdnn owner` command group.
///
/// `privdnn owner`: the model owner's side (package, decrypt). Only this side ever reads the secret key.
struct OwnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owner", abstract: "Model owner: write a model package, decrypt user requests.",
        subcommands: [OwnerPackageCommand.self, OwnerDecryptCommand.self, OwnerUserCommand.self])
}

/// `privdnn owner package`.
struct OwnerPackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Encrypt the selected filters and write a model package (no secret key in it).")

    @OptionGroup var trained: ModelOption
    @Option(help: "Selection JSON ({\"1\": [..], \"2\": [..]}).") var selection: String
    @Option(help: "Package directory to write (replaced atomically).") var out: String
    @Option(help: "CKKS parameters: auto (N 16384, 4×60-bit) or privdnn (the original's).") var params:
        ParameterPreset = .auto
    @Option(help: "The owner's key store (created if missing; every package gets a fresh secret key in it).") var keys:
        String
    @OptionGroup var data: DatasetOption
    @Flag(help: "Do not use the package cache.") var noCache = false
    @Option(
        help:
            """
            Layouts the package serves: auto (every layout the network can serve: both for the five PrivDNN \
            networks), batch (images across slots, \
            for many images), pixels (one image's positions across slots, for an app) or both.
            """
    )
    var packing: PackageLayouts = .auto

    func validate() throws { _ = try trained.required() }

    func run() throws {
        let selectionFile = URL(fileURLWithPath: selection)
        let selection = try InferenceSupport.selection(selection)
        let model = try trained.required()
        let summary = try InferenceSupport.run {
            try OwnerRole.package(
                modelURL: URL(fileURLWithPath: model), selection: selection, out: URL(fileURLWithPath: out),
                preset: params, keys: URL(fileURLWithPath: keys), normalization: data.dataset.normalization,
                cache: noCache ? nil : PackageCache.defaultRoot, selectionFile: selectionFile,
                packings: try packing.packings(modelURL: URL(fileURLWithPath: model)))
        }
        print(
            "\(summary.reused ? "reused" : "wrote") \(out) (\(InferenceSupport.bytes(summary.bytes)), cache key "
                + "\(summary.cacheKey.prefix(16))…)")
    }
}

/// `privdnn owner decrypt`.
struct OwnerDecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt", abstract: "Decrypt a request to flooded plaintext polynomials (the response).")

    @Option(help: "The owner's key store.") var keys: String
    @Option(name: .customLong("in"), help: "Request directory (chunk files) from `user infer`.") var input: String
    @Option(help: "Response directory to write (one chunk file per request chunk).") var out: String

    func run() throws {
        let decryption = try InferenceSupport.run {
            try OwnerRole.decrypt(
                keys: URL(fileURLWithPath: keys), request: URL(fileURLWithPath: input),
                response: URL(fileURLWithPath: out))
        }
        print(
            String(
                format: "wrote %@ (decrypt %.2f s; %d of the key's %d flooded decryptions used)", out,
                decryption.times.total, decryption.used, decryption.limit))
        // Both counts are at most t ≤ 2^40 (the key store is validated): no overflow.
        if decryption.used >= decryption.limit - decryption.limit / 10 {
            FileHandle.standardError.write(
                Data(
                    "warning: this key is near its flooding bound t; make a new package (it gets a new key) soon\n".utf8
                ))
        }
    }
}
