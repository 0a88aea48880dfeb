import CKKS
import Foundation
import NN
import NTT

/// One image through the pixels packing in memory: the owner's packaging (keys, Galois keys for the folding steps,
/// the selected filters encrypted in the layout), the user's encrypted layers, and the owner's flooded decryption
/// of the result slots, and the user's finish from the remainder model. It measures the packing's one-image cost;
/// the packing does not yet have its own package, request and response files (the batch exchange's masks and
/// budget are not applied here).
package enum PixelsRun {
    /// What one run measured.
    package struct Report: Sendable {
        /// The layout's shape: outputs, cipher lanes and plain lanes per chunk, folding rotations.
        package var outputs: Int, cipherLanes: Int, plainLanes: Int, rotations: Int
        /// Owner: keys, Galois keys and encrypted weights.
        package var secondsPackage: Double
        /// User: the plaintext activations and the encrypted layers, per image (the median of the repeats).
        package var secondsUser: Double
        /// Owner: flooded decryption and decoding of the result slots, per image (median).
        package var secondsDecrypt: Double
        /// User: the rest of the network from conv2's outputs, per image (median; 0 for a residual network, whose
        /// shortcut needs conv1's decrypted squares, which this packing does not return yet).
        package var secondsFinish: Double
        /// Whether the encrypted prediction equals the separate model's (`nil` without a finish), and
        /// max |encrypted logit − separate logit|.
        package var agrees: Bool?, maxLogitDifference: Double
        /// Phase times of the last repeat's encrypted layers.
        package var phases: PhaseTimes
        /// Bytes of the encrypted weights and of the Galois keys (seeded, as saved), and of one request (the output
        /// ciphertexts at the decryption level).
        package var weightBytes: Int, galoisKeyBytes: Int, requestBytes: Int
        /// max |decrypted − plaintext| over the encrypted filters' outputs, and max |plaintext|.
        package var maxDifference: Double, largest: Double
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
    ///   - pixels: the image's `C · H · W` bytes.
    ///   - security: `.none` only for toy rings in tests.
    package static func run(
        model: Model, normalization: Normalization, selection: SelectedNeurons, parameters: EncryptionParameters,
        security: SecurityLevel = .tc128, pixels: [UInt8], repeats: Int = 5
    ) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        func since(_ t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        let context = try HEContext(parameters: parameters, securityLevel: security)
        let kernels = try LayerKernels(model: model, normalization: normalization)
        let geometry = kernels.geometry, structure = try EncryptedStructure(model)
        let layout = try PixelsLayout(
            geometry: geometry, slots: context.degree / 2, cipherChannels: selection[1], filters: selection[2])
        let generator = KeyGenerator(context: context.ckks)
        let keys = try context.generateKeys(generator)
        let galoisKeys = try generator.createGaloisKeys(steps: layout.rotationSteps, seeded: true)
        let plan = context.plan(kernels, selection: selection)
        let weights = try context.encryptPixelsWeights(
            kernels, layout: layout, plan: plan, encryptor: try Encryptor(context: context.ckks, secretKey: keys.secret))
        let secondsPackage = since(started)
        let evaluator = PixelsEvaluator(
            context: context, plan: plan, layout: layout, weights: weights, inputShift: kernels.inputShift,
            relinKeys: keys.relinKeys, galoisKeys: galoisKeys)
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        let bits = parameters.coeffModulus.map { $0.value.bitWidth - $0.value.leadingZeroBitCount }
        let sigma = FloodingParameters.defaults(for: bits).sigma(resultScale: plan.resultScale)
        let side = geometry.inputSide
        let x = Tensor(
            shape: [1, geometry.inputChannels, side, side],
            data: pixels.enumerated().map { i, byte in
                let c = i / (side * side)
                return Float((Double(byte) / 255 - normalization.mean(c)) / normalization.std(c))
            })
        // The user holds the remainder (encrypted filters zeroed, the separate rule applied), not the model.
        let remainder = try ModelFile.remainder(of: model, selection: selection)
        let separate = Model(model.architecture, hiddenActivation: model.hiddenActivation)
        try separate.load(Dictionary(uniqueKeysWithValues: model.stateDict()))
        try separate.applyMask(selection, mode: .separate)
        let expectedLogits = separate.network.forward(x, training: false).data
        let reference = structure.conv2(model, model.network.forward(x, from: 0, through: structure.squareIndex, training: false))
        var user: [Double] = [], decrypt: [Double] = [], finish: [Double] = [], phases = PhaseTimes()
        var worst = 0.0, largest = 0.0, agrees: Bool?, logitDifference = 0.0
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            // The user's plaintext channels (the remainder's encrypted channels are zero and not read).
            let activations = remainder.network.forward(x, from: 0, through: structure.squareIndex, training: false)
            var times = PhaseTimes()
            let outputs = try evaluator.evaluate(pixels: pixels, activations: activations.data, times: &times)
            user.append(since(t0))
            phases = times
            let t1 = DispatchTime.now().uptimeNanoseconds
            let moduli = context.moduli(PipelineLevels.finalPrimes)
            let decrypted = try Parallelism.map(outputs.count) { o -> Result<[(filter: Int, position: Int, value: Double)], Error> in
                Result {
                    var poly = try context.decryptToCoefficients(outputs[o], decryptor: decryptor)
                    Flooding.add(sigma: sigma, to: &poly, moduli: moduli)
                    let values = try context.decodeCoefficients(
                        poly, primes: PipelineLevels.finalPrimes, scale: outputs[o].scale)
                    return layout.results(output: o).map { (filter: $0.filter, position: $0.position, value: values[$0.slot]) }
                }
            }.map { try $0.get() }
            decrypt.append(since(t1))
            for (filter, position, value) in decrypted.joined() {
                let expected = Double(
                    reference.data[layout.filters[filter] * geometry.positions + position])
                worst = max(worst, abs(value - expected))
                largest = max(largest, abs(expected))
            }
            guard !structure.readsConv1Result else { continue }
            // The user's finish: the plaintext filters' conv2 outputs with the decrypted ones in place, then the rest.
            let t2 = DispatchTime.now().uptimeNanoseconds
            var conv2 = structure.conv2(remainder, activations)
            for (filter, position, value) in decrypted.joined() {
                conv2.data[layout.filters[filter] * geometry.positions + position] = Float(value)
            }
            let logits = try structure.finish(remainder, conv2: conv2, conv1Result: nil).data
            finish.append(since(t2))
            func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }
            agrees = (agrees ?? true) && argmax(logits) == argmax(expectedLogits)
            for (a, b) in zip(logits, expectedLogits) {
                let difference = Double(abs(a - b))
                logitDifference = max(logitDifference, difference)
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let n = context.degree
        let seededBytes = { (k: Int) in k * n * 8 + 64 }  // c0 plus a seed
        let conv1Count = weights.conv1.reduce(0) { $0 + $1.count }
        let conv2Count =
            weights.cipher.reduce(0) { $0 + $1.count } + weights.plain.reduce(0) { $0 + $1.count } + weights.bias.count
        let weightBytes: Int =
            conv1Count * seededBytes(PipelineLevels.conv1Primes) + conv2Count * seededBytes(PipelineLevels.conv2Primes)
        let keyWords = parameters.coeffModulus.count * n * (parameters.coeffModulus.count - 1)
        return Report(
            outputs: layout.outputs, cipherLanes: layout.cipherLanes, plainLanes: layout.plainLanes,
            rotations: layout.rotationSteps.count, secondsPackage: secondsPackage, secondsUser: median(user),
            secondsDecrypt: median(decrypt), secondsFinish: finish.isEmpty ? 0 : median(finish), agrees: agrees,
            maxLogitDifference: logitDifference, phases: phases, weightBytes: weightBytes,
            galoisKeyBytes: layout.rotationSteps.count * (keyWords * 8 + 64 * (parameters.coeffModulus.count - 1)),
            requestBytes: layout.outputs * 2 * PipelineLevels.finalPrimes * n * 8, maxDifference: worst,
            largest: largest)
    }
}
