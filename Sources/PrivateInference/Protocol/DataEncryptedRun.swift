import CKKS
import Foundation
import NN
import NTT

/// CKKS parameters of the data-encrypted baseline (depth 9).
public enum DataEncryptedPreset: String, CaseIterable, Sendable, Codable {
    /// The smallest secure ring for depth 9: N = 16384 (438 bits allowed at 128-bit security) with
    /// {60, 30, 40, 30, 40, 30, 40, 30, 40, 30, 60} = 430 bits. Linear layers rescale by the 30-bit primes (the
    /// plaintext weights are encoded at ≈ 2^30, a rounding error of 2^-31 per weight), squares by the 40-bit primes
    /// (activations at 2^40, as in the full baseline), and the 60-bit q_0 holds the logits at 2^40. Forty-bit primes
    /// throughout (480 bits) would need N = 32768, twice the work and memory per ciphertext.
    case auto

    /// Degree and prime bit sizes (special prime last).
    public var shape: (degree: Int, bitSizes: [Int]) {
        switch self {
        case .auto: (16384, [60] + Array(repeating: [30, 40], count: 4).flatMap { $0 } + [30, 60])
        }
    }

    /// The preset's encryption parameters (SEAL's `CoeffModulus::Create` primes).
    /// - Throws: `CKKSError`/`NTTError` only if prime generation fails.
    public func encryptionParameters() throws -> EncryptionParameters {
        try EncryptionParameters(polyModulusDegree: shape.degree, bitSizes: shape.bitSizes)
    }
}

/// The outcome of a measured data-encrypted run.
public struct DataEncryptedReport: Sendable, Codable {
    /// Images evaluated.
    public var images: Int
    /// Ring degree N.
    public var degree: Int
    /// Prime bit sizes (special prime last).
    public var bitSizes: [Int]
    /// Accuracy of the plaintext Square-activation LeNet-5, in percent.
    public var accuracyPlain: Double
    /// Accuracy of the decrypted logits, in percent.
    public var accuracyEncrypted: Double
    /// Percentage of images whose encrypted prediction equals the plaintext model's.
    public var agreement: Double
    /// max |encrypted − plaintext logit| over all images and classes.
    public var maxLogitDifference: Double
    /// Seconds per phase: load, keys, encrypt (user), receive (owner parsing), conv1, activation, conv2, fc,
    /// send (owner serializing the logits), decrypt (user), plain.
    public var phases: PhaseTimes
    /// Wall time of the whole run (including loading the model and the plaintext reference).
    public var secondsTotal: Double
    /// User + system CPU seconds of the process during the run.
    public var cpuSeconds: Double
    /// Peak resident memory (VmHWM) since the run started (reset at its start where Linux allows it).
    public var peakRSSBytes: Int
    /// Bytes of the encrypted images the user sends (SEAL serialization, seeded, uncompressed).
    public var uploadBytes: Int
    /// Bytes of the relinearization keys the user sends once (seeded, uncompressed).
    public var keyBytes: Int
    /// Bytes of the encrypted logits the owner returns (uncompressed).
    public var downloadBytes: Int
    /// Operation counts by kind, counted by the code that ran.
    public var operations: [String: Int]
    /// 1-minute load average at the start and at the end (the machine may be shared).
    public var loadAverage: [Double]
}

/// The data-encrypted (CryptoNets / nGraph-HE style) baseline, really run: the user generates the keys, encrypts
/// its images batched across slots (one ciphertext per 2×2 mean of the input plane, `DataEncryptedUser`) and sends
/// them with its relinearization keys; the owner evaluates the Square-activation LeNet-5 with its plaintext weights
/// (`DataEncryptedOwner`) and returns ten encrypted logits that only the user can decrypt.
///
/// What it protects: the user's images from the owner. The model stays with the owner. (PrivDNN protects the
/// model's core filters from the user, and the images never leave the user.)
///
/// Both parties run in this process, but everything between them goes through SEAL bytes: the owner parses the
/// user's relinearization keys and ciphertexts and never holds the secret key. Rows of means are encrypted and sent
/// as the owner needs them, so the encrypted batch never exists at once.
public enum DataEncryptedRun {
    /// Runs the baseline and compares it with the plaintext model.
    /// - Parameters:
    ///   - modelURL: a LeNet-5 trained with Square FC activations (`privdnn train --fc-activation square`).
    ///   - images: labelled images (batched by N/2).
    ///   - preset: CKKS parameters.
    ///   - parameters: explicit parameters instead of the preset (tests; at least 10 data primes).
    ///   - security: security level (`.none` only for toy parameters in tests).
    ///   - normalization: the dataset's input transform.
    ///   - progress: called with (steps done, total steps).
    /// - Returns: accuracies, agreement, phase times, CPU time, peak memory, bytes exchanged and operation counts.
    /// - Throws: ``InferenceError`` naming the model file for a model without Square activations or of another
    ///   architecture, or for too short a modulus chain; `CKKSError` for unusable parameters.
    public static func run(
        modelURL: URL, images: LabeledImages, preset: DataEncryptedPreset = .auto,
        parameters: EncryptionParameters? = nil, security: SecurityLevel = .tc128, normalization: Normalization = .unit,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> DataEncryptedReport {
        resetPeakMemory()
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = FullEncryptionRun.cpuSeconds()
        let loadStart = FullEncryptionRun.loadAverage()
        var phases = PhaseTimes()
        let file = modelURL.path
        let model = try phases.measure("load") { try Model(contentsOf: modelURL) }
        guard model.hiddenActivation == .square else {
            throw InferenceError.unsupportedModel(
                "\(file): the data-encrypted baseline needs Square activations after fc1/fc2 (the model has "
                    + "\(model.hiddenActivation.rawValue)); train one with `privdnn train --fc-activation square`")
        }
        let weights = try FullEncryptionRun.fullWeights(model, normalization: normalization, file: file)
        let context = try HEContext(
            parameters: try parameters ?? preset.encryptionParameters(), securityLevel: security)
        let top = DataEncryptedOwner.depth + 1
        guard context.parameters.coeffModulus.count - 1 >= top else {
            throw InferenceError.invalidArgument(
                "the data-encrypted baseline needs depth \(DataEncryptedOwner.depth): at least \(top) data primes, got "
                    + "\(context.parameters.coeffModulus.count - 1)")
        }
        let geometry = weights.kernels.geometry
        let targetScale = exp2(log2(context.prime(top - 2)).rounded())
        // The user makes the keys; the owner receives only the relinearization keys' bytes.
        let user = try phases.measure("keys") {
            try DataEncryptedUser(
                context: context, geometry: geometry,
                shift: LayerKernels.inputShift(geometry, normalization: normalization), scale: targetScale,
                primes: top)
        }
        let keyBytes = try phases.measure("keys") { try user.relinKeyBytes() }
        let relinKeys = try phases.measure("keys") { try RelinKeys(serialized: keyBytes, context: context.ckks) }
        var owner = DataEncryptedOwner(
            context: context, weights: weights, relinKeys: relinKeys, top: top, targetScale: targetScale)
        let batch = context.degree / 2
        let batches = (images.count + batch - 1) / batch
        let counter = StepCounter(total: batches * owner.progressSteps, report: progress)
        owner.progress = { counter.tick() }
        let perImage = geometry.inputChannels * geometry.inputSide * geometry.inputSide
        let classes = weights.fc.last?.bias.count ?? 0
        var logits = [Double](repeating: 0, count: images.count * classes)
        var counts: [String: Int] = [:]
        var upload = 0, download = 0, encrypted = 0
        var transfer = PhaseTimes()
        var done = 0
        while done < images.count {
            let count = min(batch, images.count - done)
            let pixels = Array(images.pixels[(done * perImage)..<((done + count) * perImage)])
            let outputs = try owner.evaluate(
                rows: { r in
                    let bytes = try transfer.measure("encrypt") { try user.encryptRow(r, pixels: pixels, count: count) }
                    upload += bytes.reduce(0) { $0 + $1.count }
                    encrypted += bytes.count
                    return try transfer.measure("receive") {
                        try Parallelism.map(bytes.count) { i in
                            Result { try Ciphertext(serialized: bytes[i], context: context.ckks) }
                        }.map { try $0.get() }
                    }
                }, times: &phases, counts: &counts)
            let sent = try phases.measure("send") { try outputs.map { try $0.serialized() } }
            download += sent.reduce(0) { $0 + $1.count }
            let values = try phases.measure("decrypt") { try user.decrypt(sent) }
            counts["decrypt", default: 0] += values.count
            for (c, slots) in values.enumerated() {
                for i in 0..<count { logits[(done + i) * classes + c] = slots[i] }
            }
            done += count
        }
        phases.merge(transfer)
        counts["encrypt"] = encrypted
        let plain = phases.measure("plain") { ModelFile.logits(model, images, normalization: normalization) }
        let comparison = compare(logits, plain, labels: images.labels, classes: classes)
        return DataEncryptedReport(
            images: images.count, degree: context.degree,
            bitSizes: context.parameters.coeffModulus.map { Int(Word.bitWidth - $0.value.leadingZeroBitCount) },
            accuracyPlain: comparison.plain, accuracyEncrypted: comparison.encrypted,
            agreement: comparison.agreement, maxLogitDifference: comparison.maxDifference, phases: phases,
            secondsTotal: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            cpuSeconds: FullEncryptionRun.cpuSeconds() - cpuStart, peakRSSBytes: PeakMemory.bytes(),
            uploadBytes: upload, keyBytes: keyBytes.count, downloadBytes: download, operations: counts,
            loadAverage: [loadStart, FullEncryptionRun.loadAverage()])
    }

    /// Accuracies (percent), agreement of the predictions (percent) and the largest logit difference.
    static func compare(_ encrypted: [Double], _ plain: [Float], labels: [Int32], classes: Int)
        -> (plain: Double, encrypted: Double, agreement: Double, maxDifference: Double)
    {
        func argmax<T: Comparable>(_ data: [T], _ i: Int) -> Int {
            var best = 0
            for c in 1..<classes where data[i * classes + c] > data[i * classes + best] { best = c }
            return best
        }
        var correctPlain = 0, correctEncrypted = 0, agree = 0
        var maxDiff = 0.0
        for i in labels.indices {
            let e = argmax(encrypted, i), p = argmax(plain, i)
            if p == Int(labels[i]) { correctPlain += 1 }
            if e == Int(labels[i]) { correctEncrypted += 1 }
            if e == p { agree += 1 }
            for c in 0..<classes { maxDiff = max(maxDiff, abs(encrypted[i * classes + c] - Double(plain[i * classes + c]))) }
        }
        let total = Double(max(1, labels.count))
        return (
            100 * Double(correctPlain) / total, 100 * Double(correctEncrypted) / total, 100 * Double(agree) / total,
            maxDiff
        )
    }

    /// Resets the process's peak resident memory (VmHWM) so that the report's peak is this run's, not that of
    /// whatever ran before in the same process (the demo runs the partial exchange first). Linux ≥ 4.0; elsewhere
    /// the peak stays the process's.
    static func resetPeakMemory() {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        try? handle.write(contentsOf: Data("5".utf8))
        try? handle.close()
    }
}
