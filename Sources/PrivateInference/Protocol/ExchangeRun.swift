import CKKS
import Foundation
import NN
import NTT

/// The outcome of a full owner/user exchange over a set of labelled images.
public struct InferenceReport: Sendable, Codable {
    /// Images evaluated.
    public var images: Int
    /// A_o: the plaintext model.
    public var accuracyPlain: Double
    /// A_s: the plaintext "separate" model (what the encrypted pipeline computes).
    public var accuracySeparate: Double
    /// Accuracy of the encrypted exchange's predictions.
    public var accuracyEncrypted: Double
    /// Fraction of images whose encrypted prediction equals the separate model's.
    public var agreement: Double
    /// max |encrypted logit − separate logit| over all images and classes.
    public var maxLogitDifference: Double
    /// Seconds per phase (package, load, plain, conv1, activation, conv2, protect, decrypt, finish).
    public var phases: PhaseTimes
    /// Wall time of the whole exchange: packaging, loading and every batch's infer, decrypt and finish (the
    /// plaintext reference models evaluated afterwards for the comparison are not part of it).
    public var secondsTotal: Double
    /// Peak resident memory of the exchange: the process's VmHWM, reset when the exchange starts (so work done
    /// before it in the same process, such as the demo's greedy selection, does not count; resident data such
    /// as the images does).
    public var peakRSSBytes: Int
    /// Package size.
    public var packageBytes: Int
    /// Request size (all batches).
    public var requestBytes: Int
    /// Response size (all batches).
    public var responseBytes: Int
    /// Chunks per request (tiles of the engine's plan, or images in the pixels packing).
    public var chunks: Int = 1
    /// The packing of the package and its requests.
    public var packing: Packing = .batch
    /// Wall time of the owner's packaging, the first part of ``secondsTotal`` (made once per model and selection);
    /// the rest (loading the package, user infer, owner decrypt, user finish) is ``secondsExchange``.
    public var secondsPackage: Double = 0
    /// ``secondsTotal`` less the packaging.
    public var secondsExchange: Double { secondsTotal - secondsPackage }
    /// CPU time of the process during the exchange (both cores: up to twice the wall time).
    public var cpuSeconds: Double = 0
    /// Each image's label and predicted classes, which the accuracies and the agreement above count.
    public var predictions = ImagePredictions()
}

/// Runs both roles with separate key stores in a temporary directory, as two parties would.
public enum ExchangeRun {
    /// Packages, evaluates, decrypts and finishes, then compares with the plaintext models.
    /// - Parameters:
    ///   - modelURL: the trained LeNet-5.
    ///   - selection: encrypted filters.
    ///   - images: labelled images (batched by N/2 per request).
    ///   - preset: CKKS parameters.
    ///   - parameters: explicit parameters (tests).
    ///   - security: security level for explicit parameters.
    ///   - normalization: the dataset's input transform.
    ///   - workDirectory: where the parties' directories go (a fresh temporary directory if nil).
    ///   - memoryBudget: bytes the user's engine may take (`TilePlan`): the request is cut into that many chunks,
    ///     each decrypted by the owner and decoded by the user as soon as it is written, then removed.
    ///   - packing: the packing (by default ``Packing/automatic(images:)`` for the number of images, or batch for
    ///     a residual network); the package holds that one only.
    ///   - progress: called with (steps done, total steps) as the encrypted layers advance.
    /// - Returns: accuracies, agreement, phase times, peak memory and file sizes.
    /// - Throws: ``InferenceError`` from either role.
    public static func run(
        modelURL: URL, selection: SelectedNeurons, images: LabeledImages, preset: ParameterPreset = .auto,
        parameters: EncryptionParameters? = nil, security: SecurityLevel = .tc128, normalization: Normalization = .unit,
        workDirectory: URL? = nil, memoryBudget: Int = UserRole.defaultMemoryBudget, packing: Packing? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> InferenceReport {
        // The automatic choice, where the network can use the pixels packing (``Packing/servable(by:)``); the
        // model is read for that only when the choice would be pixels (a few images), not for a test set.
        let packing = try packing ?? automaticPacking(modelURL: modelURL, images: images.count)
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = ProcessMemory.cpuSeconds()
        // What an earlier run in this process freed stays resident under ProcessMemory.useOneHeap(): return it first,
        // so that the peak is this run's.
        ProcessMemory.releaseFreeMemory()
        PeakMemory.reset()
        let root =
            workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-\(UUID().uuidString)")
        let ownerDir = root.appendingPathComponent("owner"), userDir = root.appendingPathComponent("user")
        try? FileManager.default.createDirectory(at: ownerDir, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(at: userDir, withIntermediateDirectories: true)
        defer { if workDirectory == nil { try? FileManager.default.removeItem(at: root) } }
        var phases = PhaseTimes()
        let package = userDir.appendingPathComponent("package")
        let summary = try OwnerRole.package(
            modelURL: modelURL, selection: selection, out: package, preset: preset,
            keys: ownerDir.appendingPathComponent("keys"), normalization: normalization, parameters: parameters,
            security: security, packings: [packing])
        phases.merge(summary.times)
        let packageSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        ProcessMemory.releaseFreeMemory()  // the owner is done; the user starts from what is live
        let session = try UserSession(package: package)
        phases.seconds["load", default: 0] += session.loadSeconds
        var requestBytes = 0, responseBytes = 0
        let keys = ownerDir.appendingPathComponent("keys")
        // Each chunk goes to the owner, back to the user and is removed as soon as it is written: one chunk is on
        // disk at a time.
        var first: ChunkDirectory.Identity?, lastChunks = 0
        let result = try session.classify(
            pixels: images.pixels, count: images.count, packing: packing, memoryBudget: memoryBudget, work: userDir,
            progress: progress
        ) { request, response, index, chunks, times in
            if index == 0 { first = nil }
            lastChunks = chunks
            times.merge(
                try OwnerRole.decryptChunk(
                    keys: keys, chunk: request, position: index, files: chunks, first: &first, response: response
                ).times)
            requestBytes += fileSize(request)
            responseBytes += fileSize(response)
        }
        phases.merge(result.times)
        let logits = result.logits.data
        let exchangeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuSeconds = ProcessMemory.cpuSeconds() - cpuStart
        let exchangePeak = PeakMemory.bytes()
        let model = try Model(contentsOf: modelURL)
        let plain = ModelFile.logits(model, images, normalization: normalization)
        try model.applyMask(selection, mode: .separate)
        let separate = ModelFile.logits(model, images, normalization: normalization)
        let classes = plain.count / max(1, images.count)
        func argmax(_ data: [Float], _ i: Int) -> Int {
            var best = 0
            for c in 1..<classes where data[i * classes + c] > data[i * classes + best] { best = c }
            return best
        }
        let indices = 0..<images.count
        let predictions = ImagePredictions(
            labels: images.labels.map(Int.init), plain: indices.map { argmax(plain, $0) },
            separate: indices.map { argmax(separate, $0) }, encrypted: indices.map { argmax(logits, $0) })
        var maxDiff = 0.0
        for (e, s) in zip(logits, separate) { maxDiff = max(maxDiff, Double(abs(e - s))) }
        return InferenceReport(
            images: images.count, accuracyPlain: predictions.accuracyPlain,
            accuracySeparate: predictions.accuracySeparate, accuracyEncrypted: predictions.accuracyEncrypted,
            agreement: predictions.agreement, maxLogitDifference: maxDiff, phases: phases,
            secondsTotal: exchangeSeconds, peakRSSBytes: exchangePeak,
            packageBytes: summary.bytes, requestBytes: requestBytes, responseBytes: responseBytes,
            chunks: lastChunks, packing: packing, secondsPackage: packageSeconds, cpuSeconds: cpuSeconds,
            predictions: predictions)
    }

    /// The packing `run` takes when none is given.
    ///
    /// It is ``Packing/automatic(images:)`` for `images` images, except batch for a network the pixels packing
    /// cannot serve (``Packing/servable(by:)``). The model is read only when the choice would be pixels (a few images),
    /// not for a test set. Slices of one run (`inference --shard`) pass the whole run's count so that every slice
    /// takes the packing the whole run would.
    /// - Throws: `NNError` for a model file that cannot be read, ``InferenceError`` for a network the encrypted
    ///   layers do not fit.
    public static func automaticPacking(modelURL: URL, images: Int) throws -> Packing {
        let automatic = Packing.automatic(images: images)
        guard automatic == .pixels else { return automatic }
        return try Packing.servable(by: try Model(contentsOf: modelURL)).contains(.pixels) ? automatic : .batch
    }

    static func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
