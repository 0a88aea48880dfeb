import CKKS
import Foundation
import NN
import NTT
import TestSupport
import Testing

@testable import PrivateInference

/// Noise flooding: the bound B on the pipeline's key-dependent error, the security/precision trade-off, the
/// sampler, the decryption budget, and key independence of flooded decryptions.
@Suite struct FloodingTests {
    /// Centered lift of a residue.
    static func centered(_ x: UInt64, _ q: UInt64) -> Double { x > q / 2 ? -Double(q - x) : Double(x) }

    /// The centered integer a − b of two limb-major k-prime polynomials (Garner's mixed radix; exact while
    /// |a − b| < q_0 / 2, relative to 2^-50 beyond).
    static func difference(_ a: [UInt64], _ b: [UInt64], moduli: [Modulus]) -> [Double] {
        let k = moduli.count, n = a.count / k
        return (0..<n).map { i in
            var value = 0.0, radix = 1.0
            var digits: [UInt64] = []
            for j in 0..<k {
                let q = moduli[j]
                var x = q.subMod(a[j * n + i], b[j * n + i])
                // Subtract the digits found so far (mixed radix), then divide by the product of earlier primes.
                var weight: UInt64 = 1
                for (l, d) in digits.enumerated() {
                    x = q.subMod(x, q.multiplyMod(q.reduce(d), weight))
                    weight = q.multiplyMod(weight, q.reduce(moduli[l].value))
                }
                let digit = q.multiplyMod(x, q.inverse(weight) ?? 1)
                digits.append(digit)
                // The top digit is centered; lower ones are taken as they are (the value is small).
                let centered = j == k - 1 ? Self.centered(digit, q.value) : Double(digit)
                value += centered * radix
                radix *= Double(q.value)
            }
            // A small negative value has all-high lower digits: recenter around zero.
            let total = radix
            return value > total / 2 ? value - total : (value < -total / 2 ? value + total : value)
        }
    }

    /// The committed model on real MNIST at N = 16384 under two independent keys: the key-dependent part of
    /// every decrypted result (re-randomized as the user sends it), in ℓ2 over the coefficients, must stay ≥ 2^4
    /// below the flooding bound B, and the flooded results must keep the documented precision.
    @Test(arguments: [ParameterPreset.auto, .privdnn])
    func keyDependentErrorStaysBelowTheFloodingBound(preset: ParameterPreset) throws {
        let model = try Model(
            contentsOf: RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors"))
        let selection = try SelectedNeurons([1: [0], 2: [15]])
        let context = try HEContext(parameters: preset.encryptionParameters(), securityLevel: .tc128)
        let kernels = try LayerKernels(model: model, normalization: .unit)
        let count = 5000  // the whole test half in one batch, as `privdnn demo` runs it
        let images = try EncryptedPipelineTests.images(count)
        let x = Tensor(shape: [count, 1, 28, 28], data: images.floats(at: 0..<count))
        let activations = model.network.forward(x, from: 0, through: 2, training: false)
        let kf = PipelineLevels.finalPrimes
        let moduli = context.moduli(kf)
        var runs: [[[UInt64]]] = []
        var plan: ScalePlan?
        for _ in 0..<2 {
            let keys = try context.generateKeys()
            let (p, weights) = try context.prepare(kernels, selection: selection, secret: keys.secret)
            plan = p
            let evaluator = UserEvaluator(
                context: context, plan: p, weights: weights, relinKeys: { [keys] in keys.relinKeys },
                geometry: kernels.geometry, inputShift: kernels.inputShift)
            var times = PhaseTimes()
            let outputs = try evaluator.evaluate(
                pixels: images.pixels, count: count, times: &times
            ) { _ in activations.data }
            let encryptor = try Encryptor(context: context.ckks, publicKey: keys.publicKey)
            let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
            runs.append(
                try outputs[0].map { result in
                    var ct = result
                    var zero = try encryptor.encryptZero(parmsID: context.parmsIDs[kf])
                    zero.scale = ct.scale
                    try context.evaluator.addInPlace(&ct, zero)
                    return try context.decryptToCoefficients(ct, decryptor: decryptor)
                })
        }
        let scale = try #require(plan).resultScale
        // The separate model's pooled conv2 outputs of filter 15 (the encrypted channel 0 squared, the rest plain).
        try model.applyMask(selection, mode: .separate)
        let reference = model.network.forward(x, from: 0, through: 4, training: false)
        var worstL2 = 0.0, worstSlot = 0.0, worstFlooded = 0.0
        let flooding = FloodingParameters.defaults(for: preset.shape.bitSizes)
        for pos in 0..<16 {
            let e = Self.difference(runs[0][pos], runs[1][pos], moduli: moduli)
            worstL2 = max(worstL2, e.reduce(0) { $0 + $1 * $1 }.squareRoot())
            var flooded = runs[0][pos]
            Flooding.add(sigma: flooding.sigma(resultScale: scale), to: &flooded, moduli: moduli)
            let clean = try context.decodeCoefficients(runs[0][pos], primes: kf, scale: scale)
            let noisy = try context.decodeCoefficients(flooded, primes: kf, scale: scale)
            for b in 0..<count {
                let expected = Double(reference.data[(b * 16 + 15) * 16 + pos])
                worstSlot = max(worstSlot, abs(clean[b] - expected))
                worstFlooded = max(worstFlooded, abs(noisy[b] - clean[b]))
            }
        }
        let beta = log2(scale / worstL2)
        let precision = flooding.precisionBits(degree: context.degree)
        print(
            "flooding \(preset): resultScale 2^\(log2(scale)), key-dependent ℓ2 error = resultScale · 2^-\(beta) "
                + "(B = 2^-\(flooding.noiseBoundBitsBelowScale)), s \(flooding.statisticalBits), t \(flooding.maxDecryptions), "
                + "σ = resultScale · 2^\(log2(flooding.sigma(resultScale: 1))), slot noise σ 2^-\(precision), "
                + "max |slot − separate| \(worstSlot) before and max |Δ| \(worstFlooded) from flooding")
        #expect(beta >= Double(flooding.noiseBoundBitsBelowScale + 4))
        #expect(worstSlot < 1e-3)
        #expect(worstFlooded < 10 * exp2(-precision))
        if preset == .auto {
            #expect(flooding.statisticalBits >= 40 && flooding.maxDecryptions >= 1 << 20 && precision >= 21)
        } else {
            #expect(flooding.statisticalBits >= 30 && flooding.maxDecryptions >= 1 << 8 && precision >= 12.5)
        }
    }

    /// The pixels packing's results (one image, LeNet-5 (1,1) on real MNIST, N = 16384) under two independent keys:
    /// their key-dependent part — now also the folding rotations' key switches — must stay ≥ 2^4 below the same
    /// flooding bound B, so that the batch packing's flooding covers them.
    @Test(arguments: [ParameterPreset.auto, .privdnn])
    func pixelsResultsStayBelowTheFloodingBound(preset: ParameterPreset) throws {
        let model = try Model(
            contentsOf: RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors"))
        let selection = try SelectedNeurons([1: [0], 2: [15]])
        let context = try HEContext(parameters: preset.encryptionParameters(), securityLevel: .tc128)
        let kernels = try LayerKernels(model: model, normalization: .unit)
        let images = try EncryptedPipelineTests.images(1)
        let x = Tensor(shape: [1, 1, 28, 28], data: images.floats(at: 0..<1))
        let activations = model.network.forward(x, from: 0, through: 2, training: false)
        let layout = try PixelsLayout(
            geometry: kernels.geometry, slots: context.degree / 2, cipherChannels: selection[1], filters: selection[2])
        let kf = PipelineLevels.finalPrimes, moduli = context.moduli(kf)
        let plan = context.plan(kernels, selection: selection)
        var runs: [[UInt64]] = []
        for _ in 0..<2 {
            let generator = KeyGenerator(context: context.ckks)
            let keys = try context.generateKeys(generator)
            let weights = try context.encryptPixelsWeights(
                kernels, layout: layout, plan: plan,
                encryptor: try Encryptor(context: context.ckks, secretKey: keys.secret))
            let evaluator = PixelsEvaluator(
                context: context, plan: plan, layout: layout, weights: weights, inputShift: kernels.inputShift,
                relinKeys: keys.relinKeys, galoisKeys: try generator.createGaloisKeys(steps: layout.rotationSteps))
            var times = PhaseTimes()
            let outputs = try evaluator.evaluate(pixels: images.pixels, activations: activations.data, times: &times)
            #expect(outputs.count == 1)
            var ct = try #require(outputs.first)
            var zero = try Encryptor(context: context.ckks, publicKey: keys.publicKey)
                .encryptZero(parmsID: context.parmsIDs[kf])
            zero.scale = ct.scale
            try context.evaluator.addInPlace(&ct, zero)
            runs.append(
                try context.decryptToCoefficients(
                    ct, decryptor: try Decryptor(context: context.ckks, secretKey: keys.secret)))
        }
        let e = Self.difference(runs[0], runs[1], moduli: moduli)
        let beta = log2(plan.resultScale / e.reduce(0) { $0 + $1 * $1 }.squareRoot())
        let flooding = FloodingParameters.defaults(for: preset.shape.bitSizes)
        print(
            "flooding \(preset), pixels packing: key-dependent ℓ2 error = resultScale · 2^-\(beta) (B = 2^-\(flooding.noiseBoundBitsBelowScale))"
        )
        #expect(beta >= Double(flooding.noiseBoundBitsBelowScale + 4))
    }

    /// Above 2^45 the sampler must still randomize the low bits (a double alone would add multiples of ~σ·2^-49).
    @Test func largeSigmaFloodsTheLowBits() throws {
        let q = try CoeffModulus.create(degree: 1024, bitSizes: [60, 60])
        var counts = [Int](repeating: 0, count: 64)
        for _ in 0..<16 {
            var poly = [UInt64](repeating: 0, count: 2 * 1024)
            Flooding.add(sigma: exp2(80), to: &poly, moduli: q)
            let values = Self.difference(poly, [UInt64](repeating: 0, count: 2 * 1024), moduli: q)
            for i in 0..<1024 {
                // Both residues hold the same integer (else the CRT value would be ~2^119); its residue's low
                // 6 bits must be uniform.
                #expect(abs(values[i]) < 10 * exp2(80))
                counts[Int(poly[i] % 64)] += 1
            }
        }
        let expected = Double(16 * 1024) / 64
        let statistic = counts.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        print("low-bit chi-square: \(statistic) (df 63)")
        #expect(statistic < 63 + 5 * (2 * 63.0).squareRoot())
    }

    /// The key store refuses decryptions beyond t and never counts a refused request.
    @Test func decryptionBudgetRefusesBeyondT() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let flooding = FloodingParameters(statisticalBits: 40, maxDecryptions: 40, noiseBoundBitsBelowScale: 56)
        try DecryptionBudget.start(dir: dir, keyID: "k")
        #expect(try DecryptionBudget.reserve(16, dir: dir, keyID: "k", flooding: flooding) == 16)
        #expect(try DecryptionBudget.reserve(16, dir: dir, keyID: "k", flooding: flooding) == 32)
        #expect(throws: InferenceError.self) {
            try DecryptionBudget.reserve(16, dir: dir, keyID: "k", flooding: flooding)
        }
        #expect(try DecryptionBudget.reserve(8, dir: dir, keyID: "k", flooding: flooding) == 40)
        #expect(throws: InferenceError.self) {
            try DecryptionBudget.reserve(1, dir: dir, keyID: "other", flooding: flooding)
        }
    }

    /// Concurrent reservations on one key store are all counted (read, check and write under one lock).
    @Test func concurrentDecryptionsAreAllCounted() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let flooding = FloodingParameters(statisticalBits: 40, maxDecryptions: 1000, noiseBoundBitsBelowScale: 56)
        try DecryptionBudget.start(dir: dir, keyID: "k")
        let failures = Parallelism.map(64) { _ in
            Result { try DecryptionBudget.reserve(3, dir: dir, keyID: "k", flooding: flooding) }
        }.filter { if case .failure = $0 { return true } else { return false } }
        #expect(failures.isEmpty)
        #expect(try DecryptionBudget.reserve(0, dir: dir, keyID: "k", flooding: flooding) == 192)
    }
}

extension FloodingTests {
    /// Σ over coefficients of the 2×bins chi-square statistic comparing flooded decryptions of the same message
    /// under two keys (each key's ciphertext has its own key-dependent error).
    static func chiSquare(sigma: Double, samples: Int, coefficients: Int, bins: Int) throws -> (
        statistic: Double, df: Int
    ) {
        let parms = try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [50, 50, 50, 50, 50, 50])
        let context = try HEContext(parameters: parms, securityLevel: .none)
        let q = context.keyModuli[0]
        var decryptions: [[UInt64]] = []
        for _ in 0..<2 {
            let keys = try context.generateKeys()
            let encryptor = try Encryptor(context: context.ckks, secretKey: keys.secret)
            var ct = try context.encryptConstant(0.5, scale: exp2(30), primes: 2, encryptor: encryptor)
            try context.evaluator.modSwitchToInPlace(&ct, parmsID: context.parmsIDs[1])
            decryptions.append(
                try context.decryptToCoefficients(
                    ct, decryptor: Decryptor(context: context.ckks, secretKey: keys.secret)))
        }
        // Bin edges: quantiles of N(0, σ²) (flooding dominates), via the inverse error function's table.
        let z: [Double] = [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816]
        precondition(bins == z.count + 1)
        var counts = [[[Int]]](
            repeating: [[Int]](repeating: [Int](repeating: 0, count: bins), count: coefficients), count: 2)
        for key in 0..<2 {
            for _ in 0..<samples {
                var poly = decryptions[key]
                Flooding.add(sigma: sigma, to: &poly, moduli: [q])
                for i in 0..<coefficients {
                    let y = centered(poly[i + 1], q.value)  // coefficient 0 carries the message
                    counts[key][i][z.firstIndex { y < $0 * sigma } ?? z.count] += 1
                }
            }
        }
        var statistic = 0.0
        for i in 0..<coefficients {
            for b in 0..<bins {
                let total = Double(counts[0][i][b] + counts[1][i][b])
                guard total > 0 else { continue }
                for key in 0..<2 {
                    let expected = total / 2
                    statistic += pow(Double(counts[key][i][b]) - expected, 2) / expected
                }
            }
        }
        return (statistic, coefficients * (bins - 1))
    }

    @Test func floodedDecryptionsDoNotDependOnTheKey() throws {
        // A fresh encryption's error at N = 1024 has ℓ2 norm ≈ 3.2·√1024 ≈ 2^6.7; flood as the owner does with
        // s = 40, t = 1 over B = 2^7: σ = 2^20 · √12 · 2^7.
        let flooded = try Self.chiSquare(
            sigma: FloodingParameters(statisticalBits: 40, maxDecryptions: 1, noiseBoundBitsBelowScale: -7)
                .sigma(resultScale: 1), samples: 800, coefficients: 48, bins: 10)
        let threshold = Double(flooded.df) + 5 * Double(2 * flooded.df).squareRoot()
        print("chi-square flooded: \(flooded.statistic) (df \(flooded.df), threshold \(threshold))")
        #expect(flooded.statistic < threshold)
        // Control: with noise comparable to the error the two keys are told apart, so the test has power.
        let weak = try Self.chiSquare(sigma: 1.5, samples: 800, coefficients: 48, bins: 10)
        print("chi-square unflooded: \(weak.statistic)")
        #expect(weak.statistic > threshold)
    }
}
