import CKKS
import Foundation
import NN
import NTT

#if canImport(Glibc)
    import Glibc
#endif

/// CKKS parameters of the full-encryption baseline (depth 9).
public enum FullEncryptionPreset: String, CaseIterable, Sendable, Codable {
    /// The smallest secure chain for depth 9 at 40-bit scales: N = 32768, {60, 40×9, 60} (480 of the 881 bits
    /// allowed at 128-bit security). N = 16384 allows only 438 bits, which would force ~36-bit scales; by a noise
    /// estimate the logit error would then grow to ~10⁻³ through the four squares, too close to the smallest top-2
    /// logit margin of the test half (~9·10⁻³) for the predictions to be trusted. With 40-bit scales the measured
    /// error is 1.6·10⁻⁴.
    case auto
    /// The original's full mode (spec §9.2): N = 32768, {60, 40×12, 60}; the three unused top primes are skipped
    /// by encrypting and encoding directly at the level with ten primes.
    case privdnn

    /// Degree and prime bit sizes (special prime last).
    public var shape: (degree: Int, bitSizes: [Int]) {
        switch self {
        case .auto: (32768, [60] + [Int](repeating: 40, count: 9) + [60])
        case .privdnn: (32768, [60] + [Int](repeating: 40, count: 12) + [60])
        }
    }

    /// The preset's encryption parameters (SEAL's `CoeffModulus::Create` primes).
    /// - Throws: `CKKSError`/`NTTError` only if prime generation fails.
    public func encryptionParameters() throws -> EncryptionParameters {
        try EncryptionParameters(polyModulusDegree: shape.degree, bitSizes: shape.bitSizes)
    }
}

/// The outcome of a measured full-encryption run.
public struct FullEncryptionReport: Sendable, Codable {
    /// Images evaluated.
    public var images: Int
    /// Ring degree N.
    public var degree: Int
    /// Prime bit sizes (special prime last).
    public var bitSizes: [Int]
    /// Accuracy of the plaintext model (the Square-activation LeNet-5), in percent.
    public var accuracyPlain: Double
    /// Accuracy of the decrypted logits, in percent.
    public var accuracyEncrypted: Double
    /// Percentage of images whose encrypted prediction equals the plaintext model's.
    public var agreement: Double
    /// max |encrypted − plaintext logit| over all images and classes.
    public var maxLogitDifference: Double
    /// Seconds per phase: keys, package (weight encryption), conv1, activation, conv2, fc, decrypt.
    public var phases: PhaseTimes
    /// Wall time of the whole run (including loading the model and the plaintext reference).
    public var secondsTotal: Double
    /// User + system CPU seconds of the process during the run.
    public var cpuSeconds: Double
    /// Peak resident memory of the process (VmHWM).
    public var peakRSSBytes: Int
    /// Operation counts by kind, counted by the code that ran (per run, all batches).
    public var operations: [String: Int]
    /// 1-minute load average at the start and at the end (the machine may be shared).
    public var loadAverage: [Double]
}

/// The full-encryption (CryptoNets-style) baseline of spec §9.9, really run: the owner encrypts every weight and
/// bias of a LeNet-5 whose activations are all squares (one seeded symmetric ciphertext per scalar, streamed per
/// filter or neuron block and dropped after use), the user evaluates every layer homomorphically on images
/// batched across slots (`FullEncryptionEvaluator`), and the owner decrypts the ten logit ciphertexts.
///
/// Both parties run in this process (it is a cost baseline, not a protocol): the weights travel in memory
/// instead of as a package of tens of gigabytes.
public enum FullEncryptionRun {
    /// Runs the baseline and compares it with the plaintext model.
    /// - Parameters:
    ///   - modelURL: a LeNet-5 trained with Square FC activations (`privdnn train --fc-activation square`).
    ///   - images: labelled images (batched by N/2).
    ///   - preset: CKKS parameters.
    ///   - parameters: explicit parameters instead of the preset (tests; at least 10 data primes).
    ///   - security: security level (`.none` only for toy parameters in tests).
    ///   - normalization: the dataset's input transform.
    ///   - progress: called with (steps done, total steps).
    /// - Returns: accuracies, agreement, phase times, CPU time, peak memory and operation counts.
    /// - Throws: ``InferenceError`` for a model without Square FC activations or too short a modulus chain;
    ///   `CKKSError` for unusable parameters.
    public static func run(
        modelURL: URL, images: LabeledImages, preset: FullEncryptionPreset = .auto,
        parameters: EncryptionParameters? = nil, security: SecurityLevel = .tc128, normalization: Normalization = .unit,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> FullEncryptionReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = cpuSeconds()
        let loadStart = loadAverage()
        var phases = PhaseTimes()
        let model = try phases.measure("load") { try Model(contentsOf: modelURL) }
        let weights = try fullWeights(model, normalization: normalization, file: modelURL.path)
        let context = try HEContext(
            parameters: try parameters ?? preset.encryptionParameters(), securityLevel: security)
        let dataPrimes = context.parameters.coeffModulus.count - 1
        let top = FullEncryptionEvaluator.depth + 1
        guard dataPrimes >= top else {
            throw InferenceError.invalidArgument(
                "full encryption needs depth \(FullEncryptionEvaluator.depth): at least \(top) data primes, got \(dataPrimes)"
            )
        }
        let keys = try phases.measure("keys") { try context.generateKeys() }
        let owner = FullEncryptionOwner(
            context: context, encryptor: try Encryptor(context: context.ckks, secretKey: keys.secret))
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        let batch = context.degree / 2
        let batches = (images.count + batch - 1) / batch
        var evaluator = FullEncryptionEvaluator(
            context: context, weights: weights, owner: owner, relinKeys: keys.relinKeys, top: top,
            targetScale: exp2(log2(context.prime(1)).rounded()))
        let counter = StepCounter(total: batches * evaluator.progressSteps, report: progress)
        evaluator.progress = { counter.tick() }
        let side = weights.kernels.geometry.inputSide * weights.kernels.geometry.inputSide
        let classes = weights.fc.last?.bias.count ?? 0
        var logits = [Double](repeating: 0, count: images.count * classes)
        var counts: [String: Int] = [:]
        var done = 0
        while done < images.count {
            let count = min(batch, images.count - done)
            let pixels = Array(images.pixels[(done * side)..<((done + count) * side)])
            let outputs = try evaluator.evaluate(pixels: pixels, count: count, times: &phases, counts: &counts)
            let values = try phases.measure("decrypt") {
                try outputs.map { ct in try context.encoder.decode(try decryptor.decrypt(ct)) }
            }
            counts["decrypt", default: 0] += outputs.count
            for (c, slots) in values.enumerated() {
                for i in 0..<count { logits[(done + i) * classes + c] = slots[i] }
            }
            done += count
        }
        let plain = phases.measure("reference") { ModelFile.logits(model, images, normalization: normalization) }
        func argmax<T: Comparable>(_ data: [T], _ i: Int) -> Int {
            var best = 0
            for c in 1..<classes where data[i * classes + c] > data[i * classes + best] { best = c }
            return best
        }
        var correctPlain = 0, correctEncrypted = 0, agree = 0
        var maxDiff = 0.0
        for i in 0..<images.count {
            let label = Int(images.labels[i])
            let e = argmax(logits, i), p = argmax(plain, i)
            if p == label { correctPlain += 1 }
            if e == label { correctEncrypted += 1 }
            if e == p { agree += 1 }
            for c in 0..<classes {
                maxDiff = max(maxDiff, abs(logits[i * classes + c] - Double(plain[i * classes + c])))
            }
        }
        let total = Double(max(1, images.count))
        return FullEncryptionReport(
            images: images.count, degree: context.degree,
            bitSizes: context.parameters.coeffModulus.map { Int(Word.bitWidth - $0.value.leadingZeroBitCount) },
            accuracyPlain: 100 * Double(correctPlain) / total,
            accuracyEncrypted: 100 * Double(correctEncrypted) / total,
            agreement: 100 * Double(agree) / total, maxLogitDifference: maxDiff, phases: phases,
            secondsTotal: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            cpuSeconds: cpuSeconds() - cpuStart, peakRSSBytes: PeakMemory.bytes(), operations: counts,
            loadAverage: [loadStart, loadAverage()])
    }

    /// The model's weights in the baseline's form.
    /// - Throws: ``InferenceError/unsupportedModel(_:)`` unless it is a LeNet-5 with Square FC activations.
    static func fullWeights(_ model: Model, normalization: Normalization, file: String) throws -> FullEncryptionWeights
    {
        guard model.hiddenActivation == .square else {
            throw InferenceError.unsupportedModel(
                "\(file): full encryption needs Square activations after fc1/fc2 (the model has "
                    + "\(model.hiddenActivation.rawValue)); train one with `privdnn train --fc-activation square`")
        }
        guard model.architecture == .lenet5MNIST || model.architecture == .lenet5EMNIST else {
            throw InferenceError.unsupportedModel(
                "\(file): the full-encryption baseline runs the LeNet-5 networks only")
        }
        let kernels = try LayerKernels(model: model, normalization: normalization)
        let fc = try ["fc1", "fc2", "fc3"].map { name -> (weights: [[Double]], bias: [Double]) in
            guard let layer = model.network.entries.first(where: { $0.name == name })?.layer as? Linear else {
                throw InferenceError.unsupportedModel("\(file): no \(name) layer")
            }
            let w = layer.weight.value.data.map(Double.init), inputs = layer.inFeatures
            return (
                (0..<layer.outFeatures).map { Array(w[($0 * inputs)..<(($0 + 1) * inputs)]) },
                layer.bias.value.data.map(Double.init)
            )
        }
        let flattened = kernels.geometry.conv2Channels * kernels.geometry.positions
        guard fc[0].weights.first?.count == flattened else {
            throw InferenceError.unsupportedModel("\(file): fc1 does not take the \(flattened) conv2 outputs")
        }
        return FullEncryptionWeights(kernels: kernels, fc: fc)
    }

    /// User + system CPU seconds of this process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The 1-minute load average (0 where /proc is unavailable).
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return 0 }
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }
}
