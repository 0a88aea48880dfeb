import Foundation

/// The inputs a regression attacker sends through the encrypted pipeline.
public enum QueryProbe: String, Sendable, Codable, CaseIterable {
    /// The attacker's own MNIST images (drawn from the training split, never the test half).
    case mnist
    /// Images of independent uniform random bytes.
    case uniform
    /// Unit impulses: an all-black image, then black images with one white pixel, in a seeded random order.
    case impulse
}

/// What the regression attack recovered from a number of queries.
public struct RegressionAttackResult: Sendable, Codable, Equatable {
    /// The probe kind.
    public var probe: QueryProbe
    /// Images sent (each yields every encrypted conv2 filter's pooled outputs).
    public var queries: Int
    /// Whether the deployed model hides each encrypted conv2 channel behind a secret obscure kernel.
    public var obfuscated: Bool
    /// Whether the attacker fits obscure kernels (it knows the defence); without, it fits plain conv2 filters.
    public var fitsKernels: Bool
    /// Standard deviation of the flooding noise on each decrypted output.
    public var noiseSigma: Double
    /// Encrypted scalars of the deployed model (conv1 and conv2 filters with biases, obscure kernels).
    public var encryptedScalars: Int
    /// ‖Ŵ − W‖/‖W‖ of the encrypted conv2 filters' weights on plaintext conv1 channels and their biases
    /// (per-filter scale fixed when kernels are fitted: a kernel's scale moves into the filter).
    public var knownInputError: Double
    /// The same for the encrypted conv1 filters and the conv2 weights reading their channels, after fixing the
    /// gauge (each such channel is squared, so a filter's scale s and sign move into the conv2 weights as 1/s²,
    /// and the encrypted conv1 filters can be permuted); `nil` without encrypted conv1 filters.
    public var hiddenInputError: Double?
    /// Over every encrypted conv1/conv2 scalar, gauge fixed as above.
    public var weightError: Double
    /// Relative RMS error of the recovered filters' leak on the test half (gauge-free).
    public var outputError: Double
    /// Test accuracy of the deployed model: A_s, or the obfuscated variant's accuracy.
    public var deployedAccuracy: Double
    /// Test accuracy with the recovered filters in place of the encrypted ones.
    public var recoveredAccuracy: Double
    /// Accepted Levenberg–Marquardt steps of the best start.
    public var steps: Int
    /// Wall-clock seconds.
    public var seconds: Double
}

/// The model under attack, prepared once: true parameters, the deployed obscure kernels, and the test half's
/// plaintext outputs and true leak, so that many attacks can be scored cheaply.
public final class RegressionTarget {
    let leak: LeNetLeak
    /// The encrypted filters.
    public let selection: SelectedNeurons
    let conv1: [[Double]]
    let conv2: [[Double]]
    let kernels: [[Double]?]
    let model: Model
    let normalization: Normalization
    let testImages: [Double]
    let testLabels: [Int]
    let testPooled: Tensor
    let testLeak: [[[Double]]]
    /// Test accuracy of the deployed model (separate rule, and obscure kernels if any).
    public private(set) var deployedAccuracy: Double
    /// Deployed encrypted scalars.
    public let encryptedScalars: Int

    /// Prepares the target.
    /// - Parameters:
    ///   - model: the owner's trained LeNet-5 (its masks are cleared afterwards).
    ///   - selection: the encrypted filters; layer 2 must not be empty (nothing would be decrypted).
    ///   - test: the reporting images.
    ///   - normalization: the data set's input transform (for the attacker's byte probes).
    ///   - kernels: the deployed obscure kernel (3×3) of each encrypted conv2 filter, in selection order; `nil`
    ///     for the undefended pipeline.
    /// - Throws: ``NNError/shapeMismatch(_:)`` for another architecture or bad kernels,
    ///   ``NNError/invalidSelection(_:)`` for a selection without conv2 filters.
    public init(
        _ model: Model, selection: SelectedNeurons, test: LabeledTensor, normalization: Normalization,
        kernels: [[Float]]? = nil
    ) throws {
        leak = try LeNetLeak(model)
        try model.validate(selection)
        try model.validateInput(test.images)
        try model.validateLabels(test.labels, count: test.count)
        guard !selection[2].isEmpty else {
            throw NNError.invalidSelection(
                "the regression attack needs encrypted conv2 filters (the decrypted outputs)")
        }
        if let kernels, kernels.count != selection[2].count || kernels.contains(where: { $0.count != 9 }) {
            throw NNError.shapeMismatch("need one 3×3 obscure kernel per encrypted conv2 filter")
        }
        self.selection = selection
        self.model = model
        self.normalization = normalization
        let w1 = model.conv1.weight.value.data, b1 = model.conv1.bias?.value.data
        let taps1 = leak.k1 * leak.k1
        conv1 = (0..<leak.c1).map { c in
            w1[(c * taps1)..<((c + 1) * taps1)].map(Double.init) + [Double(b1?[c] ?? 0)]
        }
        let w2 = model.conv2.weight.value.data, b2 = model.conv2.bias?.value.data
        let per = leak.linearCount - 1
        conv2 = selection[2].map { f in w2[(f * per)..<((f + 1) * per)].map(Double.init) + [Double(b2?[f] ?? 0)] }
        self.kernels = kernels.map { $0.map { $0.map(Double.init) } } ?? selection[2].map { _ in nil }
        testImages = test.images.data.map(Double.init)
        testLabels = test.labels
        try model.applyMask(selection, mode: .separate)
        var parts: [Tensor] = []
        for start in stride(from: 0, to: test.count, by: 500) {
            parts.append(
                model.network.forward(
                    test.images.items(start..<min(test.count, start + 500)), from: 0, through: 4, training: false))
        }
        model.clearMasks()
        testPooled = Tensor.concatenate(parts)
        let (c1, c2, k) = (conv1, conv2, self.kernels)
        testLeak = Self.leaks(leak, testImages, count: test.count) { leak, image in
            leak.leak(image, conv1: c1, conv2: c2, kernels: k)
        }
        var scalars = selection[1].count * leak.conv1Count + selection[2].count * leak.linearCount
        if kernels != nil { scalars += selection[2].count * 9 }
        encryptedScalars = scalars
        deployedAccuracy = 0
        deployedAccuracy = accuracy(testLeak)
    }

    /// The noise-free leak of `images`: for each image, each encrypted conv2 filter's pooled (obscured) outputs,
    /// row-major over the pooled positions — what the user decrypts, before the flooding noise.
    /// - Parameter images: `[N, 1, H, W]`, normalised.
    /// - Returns: `[N][filters][positions]`.
    /// - Throws: ``NNError/datasetMismatch(_:)`` for images of another shape.
    public func leaks(of images: Tensor) throws -> [[[Double]]] {
        try model.validateInput(images)
        let (c1, c2, k) = (conv1, conv2, kernels)
        return Self.leaks(leak, images.data.map(Double.init), count: images.shape[0]) { leak, image in
            leak.leak(image, conv1: c1, conv2: c2, kernels: k)
        }
    }

    /// Leaks of `count` images stored back to back, computed in parallel.
    static func leaks(
        _ leak: LeNetLeak, _ images: [Double], count: Int, _ body: (LeNetLeak, ArraySlice<Double>) -> [[Double]]
    ) -> [[[Double]]] {
        let size = leak.side * leak.side
        var out = [[[Double]]](repeating: [], count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            Parallelism.forEachChunk(count, minimumChunk: 16) { _, range in
                for i in range { buffer[i] = body(leak, images[(i * size)..<((i + 1) * size)]) }
            }
        }
        return out
    }

    /// Test accuracy when the encrypted conv2 channels carry `leaks` (one per test image) and the plaintext
    /// channels their separate-model values.
    func accuracy(_ leaks: [[[Double]]]) -> Double {
        var pooled = testPooled
        let channels = pooled.shape[1], plane = leak.outputs
        for (i, values) in leaks.enumerated() {
            for (j, f) in selection[2].enumerated() {
                for q in 0..<plane { pooled.data[(i * channels + f) * plane + q] = Float(values[j][q]) }
            }
        }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: leaks.count, by: 500) {
            parts.append(
                model.network.forward(pooled.items(start..<min(leaks.count, start + 500)), from: 5, training: false))
        }
        return Evaluation.score(logits: Tensor.concatenate(parts), labels: testLabels, topK: model.architecture.topK)
            .accuracy
    }
}

/// The regression attack on the decrypted conv2 outputs (protocol.md, "What still leaks by design").
///
/// The user of the encrypted pipeline sends images of its choice and, after the owner's flooded decryption, reads
/// each encrypted conv2 filter's pooled outputs with Gaussian noise of the flooding's size. Filters whose inputs
/// the user knows (plaintext conv1 channels) are linear in those outputs, so least squares recovers them; an
/// input channel from an encrypted conv1 filter is the square of an unknown pooled convolution, so its filter is
/// fitted too, by variable projection (see ``LeakFit``): the conv2 weights are solved exactly for every guess of
/// the unknown conv1 filters (and obscure kernels), and Levenberg–Marquardt moves the guess, from several random
/// starts. The leak is simulated in plaintext (the separate model's pooled outputs plus noise); a test checks that
/// the encrypted exchange's decrypted outputs match the simulation within the flooding noise.
public struct RegressionAttack: Sendable {
    /// Images sent.
    public var queries: Int
    /// What the images are.
    public var probe: QueryProbe
    /// Standard deviation of the noise on each decrypted output (the flooding's, ≈ 2^−13.5 at N = 16384).
    public var noiseSigma: Double
    /// Fit an obscure kernel per encrypted conv2 filter (an attacker aware of the defence).
    public var fitsKernels: Bool
    /// Random starts of the nonlinear fit, each screened with a few iterations; the best is continued.
    public var restarts: Int
    /// Levenberg–Marquardt iterations per start.
    public var iterations: Int
    /// Seeds the probes, the noise and the starts.
    public var seed: UInt64

    /// Iterations each random start gets before the best one is continued.
    static let screeningIterations = 10

    /// The slot noise of the owner's flooding for `auto` parameters: σ = resultScale·2^−20 per coefficient,
    /// times √(N/2)/resultScale on a decoded slot at N = 16384 (docs/usage.md).
    public static let floodingSlotSigma = exp2(-20.0) * Double(8192).squareRoot()

    /// Configures the attack.
    public init(
        queries: Int, probe: QueryProbe = .mnist, noiseSigma: Double = RegressionAttack.floodingSlotSigma,
        fitsKernels: Bool = true, restarts: Int = 6, iterations: Int = 60, seed: UInt64 = 0
    ) {
        self.queries = queries
        self.probe = probe
        self.noiseSigma = noiseSigma
        self.fitsKernels = fitsKernels
        self.restarts = restarts
        self.iterations = iterations
        self.seed = seed
    }

    /// The probe images as normalised pixels, back to back.
    /// - Parameters:
    ///   - target: the model under attack (for the image size and normalisation).
    ///   - pool: the attacker's own images for ``QueryProbe/mnist``.
    /// - Returns: `queries` images of the model's input size.
    /// - Throws: ``NNError/datasetMismatch(_:)`` when the pool is missing or too small.
    func probes(_ target: RegressionTarget, pool: LabeledTensor?) throws -> [Double] {
        let size = target.leak.side * target.leak.side
        var generator = Xoshiro256(seed: seed ^ 0x5052_4F42_4553)  // "PROBES"
        let mean = Double(target.normalization.mean.first ?? 0), std = Double(target.normalization.std.first ?? 1)
        func pixel(_ byte: Double) -> Double { (byte / 255 - mean) / std }
        switch probe {
        case .mnist:
            guard let pool, pool.count >= queries, pool.images.count == pool.count * size else {
                throw NNError.datasetMismatch(
                    "\(queries) MNIST probes need that many attacker images, have \(pool?.count ?? 0)")
            }
            let picked = generator.permutation(pool.count).prefix(queries)
            return picked.flatMap { i in pool.images.data[(i * size)..<((i + 1) * size)].map(Double.init) }
        case .uniform:
            return (0..<(queries * size)).map { _ in pixel(Double(generator.next() % 256)) }
        case .impulse:
            let order = generator.permutation(size)
            var images = [Double](repeating: pixel(0), count: queries * size)
            for i in 1..<max(1, queries) { images[i * size + order[(i - 1) % size]] = pixel(255) }
            return images
        }
    }

    /// Runs the attack against a prepared target.
    /// - Parameters:
    ///   - target: the model under attack.
    ///   - pool: the attacker's own images (needed for ``QueryProbe/mnist``).
    /// - Returns: recovery errors and accuracies.
    /// - Throws: ``NNError/datasetMismatch(_:)`` for too few pool images, ``NNError/shapeMismatch(_:)`` for
    ///   non-positive counts.
    public func run(_ target: RegressionTarget, pool: LabeledTensor? = nil) throws -> RegressionAttackResult {
        let started = Date()
        guard queries >= 1, restarts >= 1, iterations >= 0, noiseSigma >= 0 else {
            throw NNError.shapeMismatch("queries and restarts must be at least 1, iterations and noise non-negative")
        }
        let leak = target.leak
        let images = try probes(target, pool: pool)
        let size = leak.side * leak.side
        let unknown = target.selection[1]
        var noise = Xoshiro256(seed: seed ^ 0x4E4F_4953_45)  // "NOISE"
        let observed = RegressionTarget.leaks(leak, images, count: queries) { leak, image in
            leak.leak(image, conv1: target.conv1, conv2: target.conv2, kernels: target.kernels)
        }.map { $0.map { $0.map { $0 + noiseSigma * noise.nextGaussian() } } }
        let patches = (0..<queries).map { leak.patches(images[($0 * size)..<(($0 + 1) * size)]) }
        let known = patches.map { p in
            (0..<leak.c1).map { c in unknown.contains(c) ? [] : leak.preActivation(p, target.conv1[c]).map { $0 * $0 } }
        }
        let fit = LeakFit(
            leak: leak, patches: patches, known: known, targets: observed, unknownChannels: unknown,
            filters: target.selection[2].count, fitsKernels: fitsKernels)
        // Screen every random start with a few iterations, then run the best one to convergence.
        var best: (LeakFit.Point, Int)?
        var starts = Xoshiro256(seed: seed ^ 0x5354_4152_5453)  // "STARTS"
        let bound = 1 / Double(leak.k1 * leak.k1).squareRoot()
        let screening = min(iterations, Self.screeningIterations)
        for start in 0..<(fit.nonlinearCount == 0 ? 1 : restarts) {
            var theta = (0..<(unknown.count * leak.conv1Count)).map { _ in Double(starts.nextSymmetric(Float(bound))) }
            // Kernels start at the identity, perturbed after the first start.
            let spread: Float = start == 0 ? 0 : 0.5
            if fitsKernels {
                for _ in target.selection[2] {
                    theta += (0..<9).map { ($0 == 4 ? 1 : 0) + Double(starts.nextSymmetric(spread)) }
                }
            }
            let candidate = fit.minimise(from: theta, iterations: screening)
            if best == nil || candidate.0.cost < (best?.0.cost ?? .infinity) { best = candidate }
        }
        guard let (screened, screenedSteps) = best else { throw NNError.shapeMismatch("no start was run") }
        let (point, moreSteps) = fit.minimise(from: screened.theta, iterations: iterations - screening)
        let steps = screenedSteps + moreSteps
        return score(point, steps: steps, fit: fit, target: target, started: started)
    }

    /// Errors and accuracies of a fitted point.
    func score(
        _ point: LeakFit.Point, steps: Int, fit: LeakFit, target: RegressionTarget, started: Date
    ) -> RegressionAttackResult {
        let leak = target.leak, unknown = target.selection[1]
        let taps = leak.k2 * leak.k2
        var conv1 = target.conv1
        for (i, c) in unknown.enumerated() { conv1[c] = fit.conv1Filter(point.theta, i) }
        let kernels = (0..<target.conv2.count).map { fit.kernel(point.theta, $0) }
        let predicted = RegressionTarget.leaks(leak, target.testImages, count: target.testLabels.count) { leak, image in
            leak.leak(image, conv1: conv1, conv2: point.linear, kernels: kernels)
        }
        var diff = 0.0, energy = 0.0
        for (p, t) in zip(predicted, target.testLeak) {
            for (pf, tf) in zip(p, t) {
                for (a, b) in zip(pf, tf) {
                    diff += (a - b) * (a - b)
                    energy += b * b
                }
            }
        }
        // Gauge: match recovered unknown conv1 filters to true ones (best |cosine|), then scale each.
        var assigned: [Int] = []
        var scales: [Double] = []
        for i in unknown.indices {
            let w = fit.conv1Filter(point.theta, i)
            let j =
                unknown.indices.filter { !assigned.contains($0) }.max { a, b in
                    abs(Self.cosine(w, target.conv1[unknown[a]])) < abs(Self.cosine(w, target.conv1[unknown[b]]))
                } ?? i
            assigned.append(j)
            let truth = target.conv1[unknown[j]]
            scales.append(Self.dot(w, truth) / max(Self.dot(w, w), 1e-300))
        }
        var known = (0.0, 0.0), hidden = (0.0, 0.0)
        for (i, j) in assigned.enumerated() {
            let w = fit.conv1Filter(point.theta, i).map { $0 * scales[i] }
            let truth = target.conv1[unknown[j]]
            hidden.0 += zip(w, truth).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            hidden.1 += Self.dot(truth, truth)
        }
        for (f, truth) in target.conv2.enumerated() {
            // The recovered filter with each unknown channel's block moved to its matched true channel.
            var recovered = point.linear[f]
            for (i, j) in assigned.enumerated() {
                let s2 = scales[i] * scales[i]
                for t in 0..<taps { recovered[unknown[j] * taps + t] = point.linear[f][unknown[i] * taps + t] / s2 }
            }
            let scale = fitsKernels ? Self.dot(recovered, truth) / max(Self.dot(recovered, recovered), 1e-300) : 1
            for (index, value) in recovered.enumerated() {
                let d = (scale * value - truth[index]) * (scale * value - truth[index])
                let channel = index / taps
                if index < leak.linearCount - 1, unknown.contains(channel) {
                    hidden.0 += d
                    hidden.1 += truth[index] * truth[index]
                } else {
                    known.0 += d
                    known.1 += truth[index] * truth[index]
                }
            }
        }
        return RegressionAttackResult(
            probe: probe, queries: queries, obfuscated: target.kernels.contains { $0 != nil },
            fitsKernels: fitsKernels, noiseSigma: noiseSigma, encryptedScalars: target.encryptedScalars,
            knownInputError: (known.0 / max(known.1, 1e-300)).squareRoot(),
            hiddenInputError: unknown.isEmpty ? nil : (hidden.0 / max(hidden.1, 1e-300)).squareRoot(),
            weightError: ((known.0 + hidden.0) / max(known.1 + hidden.1, 1e-300)).squareRoot(),
            outputError: (diff / max(energy, 1e-300)).squareRoot(), deployedAccuracy: target.deployedAccuracy,
            recoveredAccuracy: target.accuracy(predicted), steps: steps, seconds: Date().timeIntervalSince(started))
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        dot(a, b) / max((dot(a, a) * dot(b, b)).squareRoot(), 1e-300)
    }
}

extension Xoshiro256 {
    /// A standard normal sample (Box–Muller on 53-bit uniforms).
    mutating func nextGaussian() -> Double {
        let u1 = (Double(next() >> 11) + 1) / 9_007_199_254_740_992.0
        let u2 = Double(next() >> 11) / 9_007_199_254_740_992.0
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
