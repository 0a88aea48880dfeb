import CKKS
import Foundation
import NN

/// A package directory as the user reads it, once its manifest and parameters are known: every file checked
/// against the manifest's hashes, and key and weight files against its parameters and key id, before anything in
/// them is used.
///
/// Sendable, so that the loaded package can read keys and weights again when they are needed (they are not kept
/// resident).
struct PackageReader: Sendable {
    /// The package directory.
    let dir: URL
    /// The checked manifest (``UserRole/readManifest(_:)``).
    let manifest: PackageManifest
    /// The context of the manifest's parameters, which keys and weights are parsed with.
    let context: HEContext
    /// The key level's parms_id as key files state it.
    let keyParms: String

    /// The manifest's path, for messages about what it states.
    var manifestPath: String { dir.appendingPathComponent(PackageFiles.manifest).path }

    /// A package file with its header checked against the manifest's content hash.
    func exchangeFile(_ name: String) throws -> PackageExchangeFile {
        try PackageExchangeFile(dir.appendingPathComponent(name), expectedHash: manifest.files[name])
    }

    /// A key file with its header, fields and payload hash checked.
    func keyFile(_ name: String, _ kind: ExchangeFile.Kind) throws -> PackageExchangeFile {
        let file = try exchangeFile(name)
        let path = file.url.path
        guard file.header.kind == kind, file.header.parmsID == keyParms,
            file.header.fields["keyID"] == manifest.keyID
        else {
            throw InferenceError.mismatch(path: path, reason: "kind, parms_id or key id does not fit the manifest")
        }
        guard ContentHasher.hash(file.bytes, range: file.payload) == file.header.payloadHash else {
            throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
        }
        return file
    }

    /// The key a checked key file holds, parsed with the package's context.
    func key<T: SEALLoadable>(_ type: T.Type, _ file: PackageExchangeFile) throws -> T {
        try SEALObject.load(type, file.bytes, range: file.payload, context: context, path: file.url.path)
    }

    /// The public key, read and checked again at each call (it is not kept resident during conv1).
    ///
    /// The key id is the BLAKE2b-256 of the serialized public key (``OwnerKeyStore/keyID(_:)``): the public key
    /// file's payload hash, which ``keyFile(_:_:)`` has just verified.
    func publicKey() throws -> PublicKey {
        let file = try keyFile(PackageFiles.publicKey, .publicKey)
        guard file.header.payloadHash == manifest.keyID else {
            throw InferenceError.mismatch(
                path: file.url.path, reason: "public key does not match the manifest's key id")
        }
        return try key(PublicKey.self, file)
    }

    /// The relinearization keys (s², s³), read and checked again at each call: conv2's last step needs them.
    func relinKeys() throws -> RelinKeys {
        try key(RelinKeys.self, try keyFile(PackageFiles.relinKeys, .relinKeys))
    }

    /// The ciphertexts of an encrypted-weights file (`count` of them at `primes` primes), each passed through
    /// `transform` by the worker that parsed it.
    func weights<T: Sendable>(
        _ name: String, count: Int, primes: Int, _ transform: @escaping @Sendable (Ciphertext) -> T
    ) throws -> [T] {
        let file = try exchangeFile(name)
        let path = file.url.path
        guard file.header.kind == .encryptedWeights, file.header.parmsID == context.parmsIDs[primes].description
        else {
            throw InferenceError.mismatch(path: path, reason: "kind or parms_id does not fit the manifest")
        }
        // The payload hash (one sequential BLAKE2b stream, ~13 ms for a conv2 part) runs on its own thread
        // beside the parsing, whose seed expansion fills the cores; nothing parsed is returned unless the
        // hash matches (the parser checks every field itself, as for any untrusted file).
        let payload = file.payload
        let bytes = file.bytes
        let hashed = Background { ContentHasher.hash(bytes, range: payload) }
        let parsed = Result {
            try FilterFile.parse(
                bytes, range: payload, count: count, primes: primes, context: context, path: path,
                transform: transform)
        }
        guard try hashed.value() == file.header.payloadHash else {
            throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
        }
        return try parsed.get()
    }

    /// One part of the batch packing's weights: part `part` of the `index`-th selected filter of conv `layer`
    /// (conv1: its taps and bias; conv2: its taps on input channel `part`, paired for an encrypted channel, or its
    /// bias after the last channel).
    func batchPart<T: Sendable>(
        _ layer: Int, _ index: Int, _ part: Int, geometry: StageGeometry,
        _ transform: @escaping @Sendable (Ciphertext) -> T
    ) throws -> [T] {
        let selection1 = manifest.selection["1"] ?? [], selection2 = manifest.selection["2"] ?? []
        let filters = layer == 1 ? selection1 : selection2
        guard (manifest.packings ?? []).contains(.batch), filters.indices.contains(index) else {
            throw InferenceError.badFile(path: manifestPath, reason: "the package holds no batch packing")
        }
        let cipherTaps = geometry.conv2Cipher.pairedTaps, plainTaps = geometry.conv2Plain.pairedTaps
        let expected =
            layer == 1
            ? geometry.conv1Taps + 1
            : (part < geometry.conv1Channels ? (selection1.contains(part) ? cipherTaps : plainTaps) : 1)
        return try weights(
            PackageFiles.part(layer: layer, filter: filters[index], part: part), count: expected,
            primes: layer == 1 ? PipelineLevels.conv1Primes : PipelineLevels.conv2Primes, transform)
    }

    /// The pixels packing: its layout and Galois keys checked now, its weights and keys read when the first image
    /// is evaluated.
    /// - Throws: ``InferenceError`` for a layout the geometry cannot take (a residual network whose conv2 cannot read
    ///   conv1's plane in place), or a Galois key file whose rotation steps differ from the layout's.
    func pixelsPackage(geometry: StageGeometry, structure: EncryptedStructure) throws -> PixelsPackage {
        let selection1 = manifest.selection["1"] ?? [], selection2 = manifest.selection["2"] ?? []
        let layout: PixelsLayout
        do {
            layout = try PixelsLayout(
                geometry: geometry, slots: context.degree / 2, cipherChannels: selection1, filters: selection2,
                carriesConv1Result: structure.readsConv1Result)
        } catch InferenceError.invalidArgument(let reason) {
            throw InferenceError.badFile(path: manifestPath, reason: reason)
        }
        let steps = layout.rotationSteps.map(String.init).joined(separator: ",")
        @Sendable func galoisFile() throws -> PackageExchangeFile {
            let file = try keyFile(PackageFiles.galoisKeys, .galoisKeys)
            guard file.header.fields["steps"] == steps else {
                throw InferenceError.mismatch(path: file.url.path, reason: "rotation steps differ from the layout's")
            }
            return file
        }
        _ = try galoisFile()
        let kernelsShift = LayerKernels.inputShift(
            geometry, normalization: Normalization(mean: manifest.normalizationMean, std: manifest.normalizationStd))
        let plan = manifest.plan
        let conv1Taps = geometry.conv1Taps
        return PixelsPackage(layout: layout) {
            let conv1 = try layout.conv1WeightSets().lanes.indices.map {
                try weights(
                    PackageFiles.pixelsConv1(lane: $0), count: conv1Taps + 1, primes: PipelineLevels.conv1Primes
                ) { $0 }
            }
            // One output's file at a time: its ciphertexts become kernel words and are freed before the next.
            var pixelsWeights = PixelsWeights(layout: layout, conv1: conv1)
            for output in 0..<layout.outputs {
                pixelsWeights.append(
                    try weights(
                        PackageFiles.pixelsOutput(output), count: HEContext.pixelsOutputCount(layout),
                        primes: PipelineLevels.conv2Primes
                    ) { $0 }, layout: layout)
            }
            return PixelsEvaluator(
                context: context, plan: plan, layout: layout, weights: pixelsWeights, inputShift: kernelsShift,
                relinKeys: try relinKeys(), galoisKeys: try key(GaloisKeys.self, try galoisFile()))
        }
    }
}
