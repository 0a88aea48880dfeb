import CKKS
import Foundation
import NN
import NTT

/// One image at a time through the real two-party exchange in the pixels packing, with the package already loaded
/// (what an app pays per picture): the owner packages once (a pixels-only package in a scratch directory), the user
/// loads it once in a ``UserSession``, then each repeat is one image's request (the user's encrypted layers,
/// re-randomization and masks), the owner's checked, counted and flooded decryption
/// (``OwnerRole/decryptChunk(keys:chunk:response:authorize:)``'s path, the key store read from disk as a service
/// does per request) and the user's finish.
package enum PixelsRun {
    /// What one run measured.
    package struct Report: Sendable {
        /// The layout's shape: output ciphertexts per image, cipher lanes and plain lanes per chunk, folding
        /// rotations.
        package var outputs: Int, cipherLanes: Int, plainLanes: Int, rotations: Int
        /// Owner: keys, Galois keys and encrypted weights, written as a package.
        package var secondsPackage: Double
        /// User: loading the package and building the evaluator (once).
        package var secondsLoad: Double
        /// User: the plaintext part, the encrypted layers and the request's protection, per image (median of the
        /// repeats).
        package var secondsUser: Double
        /// Owner: the request chunk checked, counted, decrypted, flooded and projected, per image (median).
        package var secondsDecrypt: Double
        /// User: unmasking, decoding and the rest of the network, per image (median).
        package var secondsFinish: Double
        /// Whether every repeat's prediction equals the separate model's, and max |encrypted − separate| logit.
        package var agrees: Bool, maxLogitDifference: Double
        /// Phase times of the last repeat.
        package var phases: PhaseTimes
        /// Bytes of the package's encrypted weights and of its Galois keys (as saved), and of one image's request.
        package var weightBytes: Int, galoisKeyBytes: Int, requestBytes: Int
    }

    /// ``run(model:normalization:selection:parameters:security:pixels:repeats:)`` with the model read from a file.
    package static func run(
        modelURL: URL, normalization: Normalization, selection: SelectedNeurons, parameters: EncryptionParameters,
        pixels: [UInt8], repeats: Int = 5
    ) throws -> Report {
        try run(
            model: try Model(contentsOf: modelURL), normalization: normalization, selection: selection,
            parameters: parameters, security: .tc128, pixels: pixels, repeats: repeats)
    }

    /// Runs `repeats` times on one image.
    /// - Parameters:
    ///   - model: the model.
    ///   - normalization: the data set's input normalization.
    ///   - selection: the filters to encrypt.
    ///   - parameters: the CKKS parameters.
    ///   - security: `.none` only for toy rings in tests.
    ///   - pixels: the image's `C · H · W` bytes.
    ///   - repeats: how many times the exchange runs (the report takes medians).
    /// - Returns: the medians of each phase, sizes and the prediction's agreement with the separate model.
    /// - Throws: ``InferenceError`` for a selection or model the pixels packing cannot serve; `CKKSError` from the
    ///   scheme.
    package static func run(
        model: Model, normalization: Normalization, selection: SelectedNeurons, parameters: EncryptionParameters,
        security: SecurityLevel = .tc128, pixels: [UInt8], repeats: Int = 5
    ) throws -> Report {
        func since(_ t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-pixels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let modelURL = root.appendingPathComponent("model.safetensors")
        try model.write(to: modelURL)
        let keys = root.appendingPathComponent("keys"), package = root.appendingPathComponent("package")
        let started = DispatchTime.now().uptimeNanoseconds
        _ = try OwnerRole.package(
            modelURL: modelURL, selection: selection, out: package, preset: .auto, keys: keys,
            normalization: normalization, parameters: parameters, security: security, packings: [.pixels])
        let secondsPackage = since(started)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let session = try UserSession(package: package)
        guard let pixelsPackage = session.pkg.pixels else {
            throw InferenceError.invalidArgument("internal: the package holds no pixels packing")
        }
        _ = try pixelsPackage.evaluator()
        let secondsLoad = since(loadStart)
        let layout = pixelsPackage.layout

        let separate = Model(model.architecture, hiddenActivation: model.hiddenActivation)
        try separate.load(Dictionary(uniqueKeysWithValues: model.stateDict()))
        try separate.applyMask(selection, mode: .separate)
        let x = RequestWriter.normalizedImages(session.pkg, pixels: pixels, range: 0..<1)
        let expected = separate.network.forward(x, training: false).data

        var user: [Double] = [], decrypt: [Double] = [], finish: [Double] = [], phases = PhaseTimes()
        var agrees = true, logitDifference = 0.0, requestBytes = 0
        for _ in 0..<max(1, repeats) {
            var owner = 0.0
            let result = try session.classify(pixels: pixels, count: 1, packing: .pixels, work: root) {
                request, response, index, chunks, times in
                requestBytes = ExchangeRun.fileSize(request)
                var first: ChunkDirectory.Identity?
                let t = DispatchTime.now().uptimeNanoseconds
                times.merge(
                    try OwnerRole.decryptChunk(
                        keys: keys, chunk: request, position: index, files: chunks, first: &first, response: response
                    ).times)
                owner += since(t)
            }
            phases = result.times
            let finishSeconds = result.times.seconds["finish"] ?? 0
            decrypt.append(owner)
            finish.append(finishSeconds)
            user.append(result.times.total - owner - finishSeconds)
            func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }
            agrees = agrees && argmax(result.logits.data) == argmax(expected)
            for (a, b) in zip(result.logits.data, expected) {
                logitDifference = max(logitDifference, Double(abs(a - b)))
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func bytes(_ names: [String]) -> Int {
            names.reduce(0) { $0 + ExchangeRun.fileSize(package.appendingPathComponent($1)) }
        }
        let weightNames =
            layout.conv1WeightSets().lanes.indices.map { PackageFiles.pixelsConv1(lane: $0) }
            + (0..<layout.outputs).map { PackageFiles.pixelsOutput($0) }
        return Report(
            outputs: layout.outputs, cipherLanes: layout.cipherLanes, plainLanes: layout.plainLanes,
            rotations: layout.rotationSteps.count, secondsPackage: secondsPackage, secondsLoad: secondsLoad,
            secondsUser: median(user), secondsDecrypt: median(decrypt), secondsFinish: median(finish), agrees: agrees,
            maxLogitDifference: logitDifference, phases: phases, weightBytes: bytes(weightNames),
            galoisKeyBytes: bytes([PackageFiles.galoisKeys]), requestBytes: requestBytes)
    }
}
