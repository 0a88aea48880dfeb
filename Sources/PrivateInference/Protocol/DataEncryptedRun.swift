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
    /// How the images sat in the slots: across slots (batch) or one image's values across slots (pixels).
    public var packing: Packing
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
    /// Seconds per phase: load, keys, prepare (pixels: the owner encoding its diagonals), encrypt (user), receive
    /// (owner parsing), conv1, activation, conv2, fc,
    /// send (owner serializing the logits), decrypt (user), plain.
    public var phases: PhaseTimes
    /// Wall time of the whole run (including loading the model and the plaintext reference).
    public var secondsTotal: Double
    /// Exchange seconds per image: encrypt, receive, evaluate, send and decrypt (not the keys, the owner's
    /// preparation or the plaintext reference), divided by the images.
    public var secondsPerImage: Double
    /// User + system CPU seconds of the process during the run.
    public var cpuSeconds: Double
    /// Peak resident memory (VmHWM) since the run started (reset at its start where Linux allows it).
    public var peakRSSBytes: Int
    /// Bytes of the encrypted images the user sends (SEAL serialization, seeded, uncompressed).
    public var uploadBytes: Int
    /// Bytes of the evaluation keys the user sends once (seeded, uncompressed): relinearization keys, plus the
    /// Galois keys in the pixels packing.
    public var keyBytes: Int
    /// Of ``keyBytes``, the Galois keys (0 in the batch packing).
    public var galoisKeyBytes: Int
    /// Bytes of the encrypted logits the owner returns (uncompressed).
    public var downloadBytes: Int
    /// Bytes of the plaintexts the owner prepares once per model and keeps (the pixels packing's encoded diagonals;
    /// 0 in the batch packing, whose plaintext weights are scalars).
    public var preparedBytes: Int
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
    ///   - images: labelled images (batched by N/2, or one at a time in the pixels packing).
    ///   - packing: ``Packing/batch`` (images across slots, CryptoNets) or ``Packing/pixels`` (each image's values
    ///     across slots, one image per exchange, as LoLa: a few ciphertexts per image in the convolution
    ///     representation, every later layer a plaintext matrix applied by the diagonal method with Galois keys
    ///     the user sends once).
    ///   - preset: CKKS parameters.
    ///   - parameters: explicit parameters instead of the preset (tests; at least 10 data primes).
    ///   - security: security level (`.none` only for toy parameters in tests).
    ///   - normalization: the dataset's input transform.
    ///   - progress: called with (steps done, total steps).
    /// - Returns: accuracies, agreement, phase times, CPU time, peak memory, bytes exchanged and operation counts.
    /// - Throws: ``InferenceError`` naming the model file for a model without Square activations or of another
    ///   architecture, or for too short a modulus chain; `CKKSError` for unusable parameters.
    public static func run(
        modelURL: URL, images: LabeledImages, packing: Packing = .batch, preset: DataEncryptedPreset = .auto,
        parameters: EncryptionParameters? = nil, security: SecurityLevel = .tc128, normalization: Normalization = .unit,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> DataEncryptedReport {
        // What an earlier run in this process freed stays resident under ProcessMemory.useOneHeap(): return it first,
        // so that the peak is this run's.
        ProcessMemory.releaseFreeMemory()
        PeakMemory.reset()
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
        // The user makes the keys; the owner receives only the evaluation keys' bytes (relinearization, and Galois
        // keys for the pixels packing's rotations).
        let user = try phases.measure("keys") {
            try DataEncryptedUser(
                context: context, geometry: geometry,
                shift: LayerKernels.inputShift(geometry, normalization: normalization), scale: targetScale,
                primes: top)
        }
        let keyBytes = try phases.measure("keys") { try user.relinKeyBytes() }
        let relinKeys = try phases.measure("keys") { try RelinKeys(serialized: keyBytes, context: context.ckks) }
        let perImage = geometry.inputChannels * geometry.inputSide * geometry.inputSide
        let classes = weights.fc.last?.bias.count ?? 0
        var logits = [Double](repeating: 0, count: images.count * classes)
        var counts: [String: Int] = [:]
        var upload = 0, download = 0, extraKeyBytes = 0, prepared = 0
        var transfer = PhaseTimes()
        if packing == .pixels {
            let galois = try phases.measure("keys") {
                try user.galoisKeyBytes(
                    steps: DataEncryptedPixelsOwner.rotationSteps(weights: weights, slots: context.degree / 2))
            }
            extraKeyBytes = galois.count
            let owner = try phases.measure("prepare") {
                try DataEncryptedPixelsOwner(
                    context: context, weights: weights, relinKeys: relinKeys,
                    galoisKeys: try GaloisKeys(serialized: galois, context: context.ckks), top: top,
                    targetScale: targetScale)
            }
            prepared = owner.preparedBytes
            let counter = StepCounter(total: images.count, report: progress)
            for i in 0..<images.count {
                let bytes = try transfer.measure("encrypt") {
                    try user.encryptImage(
                        Array(images.pixels[(i * perImage)..<((i + 1) * perImage)]), layout: owner.layout)
                }
                upload += bytes.reduce(0) { $0 + $1.count }
                counts["encrypt", default: 0] += bytes.count
                let inputs = try transfer.measure("receive") {
                    try bytes.map { try Ciphertext(serialized: $0, context: context.ckks) }
                }
                let output = try owner.evaluate(inputs, times: &phases, counts: &counts)
                let sent = try phases.measure("send") { try output.serialized() }
                download += sent.count
                let values = try phases.measure("decrypt") { try user.decrypt([sent]) }
                counts["decrypt", default: 0] += 1
                for c in 0..<classes { logits[i * classes + c] = values[0][c] }
                counter.tick()
            }
        } else {
            try runBatch(
                context: context, weights: weights, relinKeys: relinKeys, user: user, top: top,
                targetScale: targetScale, images: images, logits: &logits, phases: &phases, transfer: &transfer,
                counts: &counts, upload: &upload, download: &download, progress: progress)
        }
        phases.merge(transfer)
        let plain = phases.measure("reference") { ModelFile.logits(model, images, normalization: normalization) }
        let comparison = compare(logits, plain, labels: images.labels, classes: classes)
        let exchange = ["encrypt", "receive", "conv1", "activation", "conv2", "fc", "send", "decrypt"].reduce(0.0) {
            $0 + (phases.seconds[$1] ?? 0)
        }
        return DataEncryptedReport(
            images: images.count, packing: packing, degree: context.degree,
            bitSizes: context.parameters.coeffModulus.map { Int(Word.bitWidth - $0.value.leadingZeroBitCount) },
            accuracyPlain: comparison.plain, accuracyEncrypted: comparison.encrypted,
            agreement: comparison.agreement, maxLogitDifference: comparison.maxDifference, phases: phases,
            secondsTotal: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            secondsPerImage: exchange / Double(max(1, images.count)),
            cpuSeconds: FullEncryptionRun.cpuSeconds() - cpuStart, peakRSSBytes: PeakMemory.bytes(),
            uploadBytes: upload, keyBytes: keyBytes.count + extraKeyBytes, galoisKeyBytes: extraKeyBytes,
            downloadBytes: download, preparedBytes: prepared, operations: counts,
            loadAverage: [loadStart, FullEncryptionRun.loadAverage()])
    }

    /// The batch packing's loop: images across slots, N/2 per batch, rows of means encrypted as conv1 needs them.
    static func runBatch(
        context: HEContext, weights: FullEncryptionWeights, relinKeys: RelinKeys, user: DataEncryptedUser, top: Int,
        targetScale: Double, images: LabeledImages, logits: inout [Double], phases: inout PhaseTimes,
        transfer: inout PhaseTimes, counts: inout [String: Int], upload: inout Int, download: inout Int,
        progress: (@Sendable (Int, Int) -> Void)?
    ) throws {
        let geometry = weights.kernels.geometry
        var owner = DataEncryptedOwner(
            context: context, weights: weights, relinKeys: relinKeys, top: top, targetScale: targetScale)
        let batch = context.degree / 2
        let batches = (images.count + batch - 1) / batch
        let counter = StepCounter(total: batches * owner.progressSteps, report: progress)
        owner.progress = { counter.tick() }
        let perImage = geometry.inputChannels * geometry.inputSide * geometry.inputSide
        let classes = weights.fc.last?.bias.count ?? 0
        var encrypted = 0
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
        counts["encrypt"] = encrypted
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
            for c in 0..<classes {
                maxDiff = max(maxDiff, abs(encrypted[i * classes + c] - Double(plain[i * classes + c])))
            }
        }
        let total = Double(max(1, labels.count))
        return (
            100 * Double(correctPlain) / total, 100 * Double(correctEncrypted) / total, 100 * Double(agree) / total,
            maxDiff
        )
    }
}
