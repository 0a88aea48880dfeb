import Foundation

/// How well the owner reconstructed the user's inputs from the decrypted layer-2 channels.
public struct InputRecoveryResult: Sendable, Codable, Equatable {
    /// The conv2 channels the owner decrypts (the selected layer-2 filters).
    public var observedChannels: [Int]
    /// Images reconstructed.
    public var images: Int
    /// Mean squared error per pixel against the true images, in `[0, 1]` pixel units (after undoing the
    /// data set's normalisation).
    public var meanSquaredError: Double
    /// Peak signal-to-noise ratio in dB for a peak of 1 (`10·log10(1/MSE)`).
    public var psnr: Double
    /// The same error for the starting guess (every pixel 0.5), for scale.
    public var initialMeanSquaredError: Double
    /// Mean relative error of the owner's estimate of the user's per-channel blinding factors (`nil` when the
    /// user applied no blinding).
    public var blindingEstimateError: Double?
    /// Optimisation steps.
    public var iterations: Int
    /// Wall-clock seconds.
    public var seconds: Double
}

/// Input recovery by the owner (spec §8.5), generalised to any data set and measured.
///
/// The owner decrypts the selected conv2 channels of the user's batch. The user may blind each channel with a
/// secret factor U(0,1)·100; the owner undoes it as well as it can by matching each channel's root-mean-square to
/// that of the same channel on its own reference images (the original's "rescale" was a no-op through aliasing).
/// The owner then optimises an input batch, starting at 0.5 and projected into the valid pixel range after every
/// step, to minimise the relative squared error on the *observed channels only* (the original also forced the
/// unobserved channels to zero), plus `tvWeight`·total variation (squared differences of neighbours) and
/// `l2Weight`·mean(x²), with Adam.
public struct InputRecoveryAttack: Sendable {
    /// Optimisation steps (the original uses 1,000).
    public var iterations: Int
    /// Adam's rate on the input pixels.
    public var learningRate: Float
    /// Weight of the total-variation prior.
    public var tvWeight: Float
    /// Weight of the small-pixel prior.
    public var l2Weight: Float
    /// Whether the user blinds each channel with a secret random factor.
    public var blinding: Bool
    /// Seeds the blinding factors.
    public var seed: UInt64

    /// Configures the attack.
    /// - Parameters:
    ///   - iterations: Adam steps.
    ///   - learningRate: Adam's rate.
    ///   - tvWeight: total-variation weight.
    ///   - l2Weight: mean(x²) weight.
    ///   - blinding: the user blinds channels.
    ///   - seed: seeds the blinding.
    public init(
        iterations: Int = 1000, learningRate: Float = 0.01, tvWeight: Float = 0.1,
        l2Weight: Float = 0.01,
        blinding: Bool = true, seed: UInt64 = 0
    ) {
        self.iterations = iterations
        self.learningRate = learningRate
        self.tvWeight = tvWeight
        self.l2Weight = l2Weight
        self.blinding = blinding
        self.seed = seed
    }

    /// Reconstructs `images` from their observed conv2 channels.
    /// - Parameters:
    ///   - model: the owner's model (the owner knows every weight); its masks are cleared.
    ///   - channels: the conv2 filters the owner decrypts (layer 2 of the selection).
    ///   - images: the user's true batch `[N, C, H, W]`, normalised; used to simulate what the owner sees and to
    ///     score the result, never by the optimisation.
    ///   - reference: the owner's own images, for undoing the blinding.
    ///   - normalization: the data set's normalisation (to clamp and to score in pixel units).
    ///   - progress: called every step with (steps done, steps total).
    /// - Returns: the scores and the reconstructed batch (normalised like `images`).
    /// - Throws: ``NNError/invalidSelection(_:)`` for no or bad channels, ``NNError/datasetMismatch(_:)`` for
    ///   images that do not fit, ``NNError/shapeMismatch(_:)`` for a network without a conv2 on its main path.
    public func run(
        _ model: Model, channels: [Int], images: Tensor, reference: Tensor,
        normalization: Normalization,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (result: InputRecoveryResult, reconstruction: Tensor) {
        let started = Date()
        try model.validateInput(images)
        try model.validateInput(reference)
        try model.validate(SelectedNeurons([2: channels]))
        guard !channels.isEmpty else {
            throw NNError.invalidSelection("input recovery needs observed conv2 channels")
        }
        guard iterations >= 0 else { throw NNError.shapeMismatch("iterations must be non-negative") }
        model.clearMasks()
        // The gradient with respect to the images is the whole point here; models normally skip it at conv1.
        let savedFlag = model.conv1.computesInputGradient
        model.conv1.computesInputGradient = true
        defer { model.conv1.computesInputGradient = savedFlag }
        let prefix = try LayerChain.throughConv2(model)
        let observedSet = Array(Set(channels)).sorted()
        let truth = LayerChain.forward(prefix, images, training: false)
        var target = Self.channelSlice(truth, observedSet)

        // The user's blinding, and the owner's estimate of it from its own data.
        var blindingError: Double?
        if blinding {
            var generator = Xoshiro256(seed: seed ^ 0x424C_494E_4400)  // "BLIND"
            let factors = observedSet.map { _ in generator.nextUnitFloat() * 100 + 1e-3 }
            Self.scaleChannels(&target, factors)
            let owner = Self.channelSlice(LayerChain.forward(prefix, reference, training: false), observedSet)
            let estimates = zip(Self.channelRMS(target), Self.channelRMS(owner)).map {
                $1 > 0 ? $0 / $1 : 1
            }
            Self.scaleChannels(&target, estimates.map { 1 / $0 })
            blindingError =
                zip(estimates, factors).map { Double(abs($0 / $1 - 1)) }.reduce(0, +)
                / Double(factors.count)
        }

        // Valid range of a normalised pixel per channel: (0 − mean)/std … (1 − mean)/std.
        let c = images.shape[1]
        let plane = images.shape[2] * images.shape[3]
        let low = (0..<c).map {
            (0 - Self.value(normalization.mean, $0, fallback: 0))
                / Self.value(normalization.std, $0, fallback: 1)
        }
        let high = (0..<c).map {
            (1 - Self.value(normalization.mean, $0, fallback: 0))
                / Self.value(normalization.std, $0, fallback: 1)
        }
        let start = Tensor(
            shape: images.shape,
            data: (0..<images.count).map { i in (low[(i / plane) % c] + high[(i / plane) % c]) / 2 })
        let x = Parameter(start)
        let adam = Adam([x], learningRate: learningRate)
        let targetEnergy = max(1e-12, target.data.reduce(Float(0)) { $0 + $1 * $1 })
        for step in 0..<iterations {
            adam.zeroGrad()
            let y = LayerChain.forward(prefix, x.value, training: true)
            // d/dy of Σ_observed (y − t)² / Σ t².
            var dy = Tensor(shape: y.shape)
            let n = y.shape[0]
            let cy = y.shape[1]
            let py = y.shape[2] * y.shape[3]
            let k = observedSet.count
            for b in 0..<n {
                for (j, ch) in observedSet.enumerated() {
                    for p in 0..<py {
                        let at = (b * cy + ch) * py + p
                        dy.data[at] = 2 * (y.data[at] - target.data[(b * k + j) * py + p]) / targetEnergy
                    }
                }
            }
            x.grad = LayerChain.backward(prefix, dy)
            Self.addPriorGradients(x.value, into: &x.grad, tvWeight: tvWeight, l2Weight: l2Weight)
            adam.step()
            for i in x.value.data.indices {
                let ch = (i / plane) % c
                x.value.data[i] = min(high[ch], max(low[ch], x.value.data[i]))
            }
            progress(step + 1, iterations)
        }
        for parameter in model.parameters { parameter.zeroGrad() }

        let mse = Self.pixelMSE(x.value, images, normalization)
        let initial = Self.pixelMSE(start, images, normalization)
        let result = InputRecoveryResult(
            observedChannels: observedSet, images: images.shape[0], meanSquaredError: mse,
            psnr: 10 * Foundation.log10(1 / max(mse, 1e-12)), initialMeanSquaredError: initial,
            blindingEstimateError: blindingError, iterations: iterations,
            seconds: Date().timeIntervalSince(started))
        return (result, x.value)
    }

    /// `[N, k, H, W]` of the listed channels of `[N, C, H, W]`.
    static func channelSlice(_ t: Tensor, _ channels: [Int]) -> Tensor {
        let n = t.shape[0]
        let cAll = t.shape[1]
        let plane = t.shape[2] * t.shape[3]
        let k = channels.count
        var out = Tensor(shape: [n, k, t.shape[2], t.shape[3]])
        for b in 0..<n {
            for (j, ch) in channels.enumerated() {
                let from = (b * cAll + ch) * plane
                let to = (b * k + j) * plane
                for p in 0..<plane { out.data[to + p] = t.data[from + p] }
            }
        }
        return out
    }

    static func scaleChannels(_ t: inout Tensor, _ factors: [Float]) {
        let k = t.shape[1]
        let plane = t.shape[2] * t.shape[3]
        for i in t.data.indices { t.data[i] *= factors[(i / plane) % k] }
    }

    static func channelRMS(_ t: Tensor) -> [Float] {
        let k = t.shape[1]
        let plane = t.shape[2] * t.shape[3]
        var sums = [Double](repeating: 0, count: k)
        for i in t.data.indices { sums[(i / plane) % k] += Double(t.data[i] * t.data[i]) }
        let per = Double(max(1, t.shape[0] * plane))
        return sums.map { Float(($0 / per).squareRoot()) }
    }

    /// Adds the gradients of `tvWeight`·mean of squared neighbour differences and `l2Weight`·mean(x²).
    static func addPriorGradients(
        _ x: Tensor, into grad: inout Tensor, tvWeight: Float, l2Weight: Float
    ) {
        let h = x.shape[2]
        let w = x.shape[3]
        let planes = x.shape[0] * x.shape[1]
        let count = Float(x.count)
        let tv = 2 * tvWeight / count
        let l2 = 2 * l2Weight / count
        for p in 0..<planes {
            let base = p * h * w
            for r in 0..<h {
                for col in 0..<w {
                    let at = base + r * w + col
                    let v = x.data[at]
                    var g = l2 * v
                    if col + 1 < w { g += tv * (v - x.data[at + 1]) }
                    if col > 0 { g += tv * (v - x.data[at - 1]) }
                    if r + 1 < h { g += tv * (v - x.data[at + w]) }
                    if r > 0 { g += tv * (v - x.data[at - w]) }
                    grad.data[at] += g
                }
            }
        }
    }

    /// Mean squared error in `[0, 1]` pixel units between two normalised batches.
    static func pixelMSE(_ a: Tensor, _ b: Tensor, _ normalization: Normalization) -> Double {
        let c = a.shape[1]
        let plane = a.shape[2] * a.shape[3]
        var sum = 0.0
        for i in a.data.indices {
            let d = Double(
                (a.data[i] - b.data[i]) * value(normalization.std, (i / plane) % c, fallback: 1))
            sum += d * d
        }
        return sum / Double(max(1, a.count))
    }

    /// A per-channel statistic (one value broadcasts; an empty list means `fallback`).
    static func value(_ list: [Float], _ channel: Int, fallback: Float) -> Float {
        list.isEmpty ? fallback : list[min(channel, list.count - 1)]
    }
}
