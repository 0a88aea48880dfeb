import CKKS
import Foundation
import NN

/// The user's homomorphic part of any PrivDNN network for one image, in the pixels packing (``PixelsLayout``).
///
/// Per chunk of positions: each cipher lane is conv1 (one ct⊙pt product per conv1 tap, the tap's operand the image
/// encoded at the places the lane's blocks read), its bias, a rescale, a square and a rescale; each plain lane is one
/// encoding of the user's activations. Per output ciphertext: every lane times its weight ciphertext (the squares'
/// three components give four-component products, summed lazily in ``EvaluationForm``), the bias, one fused relinearize
/// (s², s³) and rescale, then the folding rotations. No feature map is rotated: shifted copies come from the plaintext
/// image.
struct PixelsEvaluator {
    let context: HEContext
    let plan: ScalePlan
    let layout: PixelsLayout
    let weights: PixelsWeights
    /// The bytes subtracted per input channel before encoding (``LayerKernels/inputShift``).
    let inputShift: [Double]
    let relinKeys: RelinKeys
    /// Keys for ``PixelsLayout/rotationSteps``.
    let galoisKeys: GaloisKeys
    /// Per cipher lane, its set of conv1 weights (``PixelsLayout/conv1WeightSets()``).
    let conv1Set: [Int]
    /// The distinct conv1 operands and each lane's index into them (``PixelsLayout/conv1OperandKeys()``), the same
    /// for every image.
    let operandKeys: (keys: [[Int]], index: [[Int]])

    init(
        context: HEContext, plan: ScalePlan, layout: PixelsLayout, weights: PixelsWeights, inputShift: [Double],
        relinKeys: RelinKeys, galoisKeys: GaloisKeys
    ) {
        self.context = context
        self.plan = plan
        self.layout = layout
        self.weights = weights
        self.inputShift = inputShift
        self.relinKeys = relinKeys
        self.galoisKeys = galoisKeys
        conv1Set = layout.conv1WeightSets().index
        operandKeys = layout.conv1OperandKeys()
    }

    /// conv1's source plane of one image per input channel (2×2 means of the padded bytes after a pool, the
    /// padded bytes otherwise, less the input shift), `[channel][row · side + col]`.
    func sourcePlanes(_ pixels: [UInt8]) -> [[Double]] {
        let geometry = layout.geometry, side = geometry.conv1.side
        return (0..<geometry.inputChannels).map { c in
            (0..<(side * side)).map { i in
                UserEvaluator.sourceValues(
                    geometry: geometry, inputShift: inputShift, pixels: pixels, count: 1, channel: c, row: i / side,
                    col: i % side)?[0] ?? 0
            }
        }
    }

    /// Runs the encrypted layers on one image.
    /// - Parameters:
    ///   - pixels: the image's `C · H · W` raw bytes.
    ///   - activations: the image's `conv1Channels · conv1Side²` activations entering conv2 (the plaintext filters'
    ///     squares; channels of encrypted filters are ignored).
    ///   - times: receives conv1, activation and conv2 times.
    /// - Returns: the output ciphertexts (``PixelsLayout/outputs``) at two primes and `resultScale`, whose
    ///   ``PixelsLayout/results(output:)`` slots hold the encrypted conv2 filters' outputs; then, if the layout
    ///   ``PixelsLayout/carriesConv1Result``, its ``PixelsLayout/resultCiphertexts`` (the lanes holding conv1's
    ///   result, relinearized, at two primes and `squareScale`).
    /// - Throws: ``InferenceError`` for inputs of the wrong size; `CKKSError` from the evaluator.
    func evaluate(pixels: [UInt8], activations: [Float], times: inout PhaseTimes) throws -> [Ciphertext] {
        let geometry = layout.geometry
        guard pixels.count == geometry.inputChannels * geometry.inputSide * geometry.inputSide else {
            throw InferenceError.invalidArgument(
                "an image has \(geometry.inputChannels * geometry.inputSide * geometry.inputSide) bytes, got \(pixels.count)"
            )
        }
        guard activations.count == geometry.conv1Channels * geometry.conv1Side * geometry.conv1Side else {
            throw InferenceError.invalidArgument("internal: \(activations.count) activations for one image")
        }
        let evaluator = context.evaluator
        let planes = sourcePlanes(pixels)
        var outputs: [Ciphertext] = [], results: [Ciphertext] = []
        for chunk in 0..<layout.chunks {
            let k2 = PipelineLevels.conv2Primes, n = context.degree, moduli = context.moduli(k2)
            // The squares in evaluation form (a ct⊗ct term then costs four products instead of six).
            let lanes = try times.measure("conv1") {
                let operands = try conv1Operands(chunk: chunk, planes: planes)
                return try Parallelism.map(layout.cipherLanes) { lane in
                    Result {
                        EvaluationForm.input(
                            WordBuffer(try cipherLane(lane, operands: operands).data), primes: k2, degree: n,
                            moduli: moduli)
                    }
                }.map { try $0.get() }
            }
            let plain = try times.measure("conv2.encode") {
                try Parallelism.map(layout.plainLanes) { lane in
                    Result { try plainLane(lane, chunk: chunk, activations: activations) }
                }.map { try $0.get() }
            }
            let cipher = !lanes.isEmpty, size = cipher ? 4 : 2
            let groups = try times.measure("conv2") {
                try Parallelism.map(layout.outputGroups) { group in
                    Result {
                        let output = chunk * layout.outputGroups + group
                        // Every lane's product in one lazy sum (ciphertext lanes, then plaintext lanes folded in).
                        let cipherWeights = weights.cipher[output], plainWeights = weights.plain[output]
                        // The weights stay in coefficient form: each is read once per image, so storing its values
                        // at ±1 would double the bytes read for two additions saved.
                        let cipherTerms = lanes.indices.map {
                            ProductTerm(
                                weight: cipherWeights[$0].pointer, input: lanes[$0].pointer, inputIsCipher: true,
                                inputComponents: 4, weightIsEvaluated: false)
                        }
                        let plainTerms = plain.indices.compactMap { lane in
                            plain[lane].map {
                                ProductTerm(
                                    weight: plainWeights[lane].pointer, input: $0.pointer, inputIsCipher: false,
                                    inputComponents: 2)
                            }
                        }
                        let total = WordBuffer(count: size * k2 * n)
                        withExtendedLifetime((lanes, plain, cipherWeights, plainWeights)) {
                            if !cipherTerms.isEmpty {
                                LazyAccumulator.sumAll(
                                    [cipherTerms], primes: k2, degree: n, moduli: moduli, outSize: 4,
                                    into: [total.pointer], accumulate: true, evaluation: true)
                            }
                            if !plainTerms.isEmpty {
                                LazyAccumulator.sumAll(
                                    [plainTerms], primes: k2, degree: n, moduli: moduli, outSize: 2,
                                    into: [total.pointer], accumulate: true, evaluation: cipher)
                            }
                        }
                        if cipher { EvaluationForm.interpolate(total.pointer, primes: k2, degree: n, moduli: moduli) }
                        var result = context.ciphertext(
                            total, size: size, primes: k2, scale: plan.squareScale * plan.conv2WeightScale)
                        try evaluator.addInPlace(&result, weights.bias[output])
                        if result.size > 2 {
                            try evaluator.relinearizeAndRescaleInPlace(&result, relinKeys: relinKeys)
                        } else {
                            try evaluator.rescaleToNextInPlace(&result)
                        }
                        // Each filter's term blocks folded: every block of its subgroup ends with the whole sum.
                        for step in layout.rotationSteps {
                            let rotated = try evaluator.rotateVector(result, steps: step, galoisKeys: galoisKeys)
                            try evaluator.addInPlace(&result, rotated)
                        }
                        return result
                    }
                }.map { try $0.get() }
            }
            outputs += groups
            results += try times.measure("conv1.result") {
                try conv1Result(lanes: Array(lanes[layout.resultLanes]))
            }
        }
        return outputs + results
    }

    /// The lanes holding conv1's result as ciphertexts the owner can decrypt (``HEContext/decryptableSquare(_:scale:relinKeys:)``).
    func conv1Result(lanes: [WordBuffer]) throws -> [Ciphertext] {
        try Parallelism.map(lanes.count) { i in
            Result { try context.decryptableSquare(lanes[i], scale: plan.squareScale, relinKeys: relinKeys) }
        }.map { try $0.get() }
    }

    /// conv1's image operands of every cipher lane of `chunk`, each distinct one (``PixelsLayout/conv1OperandKeys()``)
    /// encoded once.
    ///
    /// Where a conv2 tap reads padding the operand holds whatever the plane has there: the conv2 weight of that slot is
    /// zero.
    /// - Returns: the encodings (`nil` where all zero) and, per lane and conv1 tap, the index of its encoding.
    func conv1Operands(chunk: Int, planes: [[Double]]) throws -> (encodings: [WordBuffer?], index: [[Int]]) {
        let geometry = layout.geometry, stage = geometry.conv1, wide = geometry.conv2Cipher
        let side = stage.side, s1 = stage.stride
        let blockSize = layout.blockSize, side2 = geometry.conv2Side
        let (keys, index) = operandKeys
        let encodings = try Parallelism.map(keys.count) { k -> Result<WordBuffer?, Error> in
            let key = keys[k], plane = planes[key[0]]
            var any = false
            let values = (0..<layout.slots).map { slot -> Double in
                let b = slot / blockSize, oy = key[1 + 2 * b], ox = key[2 + 2 * b]
                guard oy >= 0, let p = layout.position(chunk: chunk, slot: slot) else { return 0 }
                let row = s1 * (wide.stride * (p / side2) - wide.padding) + oy
                let col = s1 * (wide.stride * (p % side2) - wide.padding) + ox
                guard row >= 0, row < side, col >= 0, col < side else { return 0 }
                let value = plane[row * side + col]
                any = any || value != 0
                return value
            }
            // An operand that is zero everywhere (MNIST's border) adds nothing.
            guard any else { return .success(nil) }
            return Result {
                try context.encodeBuffer(values, scale: plan.inputScale, primes: PipelineLevels.conv1Primes)
            }
        }.map { try $0.get() }
        return (encodings, index)
    }

    /// Cipher lane `lane` of `chunk`: conv1 of each block's encrypted channel at the places its conv2 tap reads (one
    /// lazy sum of its taps' products with the shared operands), squared (three components at conv2's primes,
    /// `squareScale`).
    func cipherLane(_ lane: Int, operands: (encodings: [WordBuffer?], index: [[Int]])) throws -> Ciphertext {
        let evaluator = context.evaluator, taps = layout.geometry.conv1Taps
        let k1 = PipelineLevels.conv1Primes, n = context.degree
        let terms = (0..<taps).compactMap { i in
            operands.encodings[operands.index[lane][i]].map {
                ProductTerm(weight: weights.conv1[conv1Set[lane]][i].pointer, input: $0.pointer, inputIsCipher: false)
            }
        }
        var ct = weights.conv1Bias[conv1Set[lane]]
        if !terms.isEmpty {
            let sum = WordBuffer(count: 2 * k1 * n)
            withExtendedLifetime((operands.encodings, weights.conv1)) {
                LazyAccumulator.sumAll(
                    [terms], primes: k1, degree: n, moduli: context.moduli(k1), outSize: 2, into: [sum.pointer],
                    accumulate: false)
            }
            try evaluator.addInPlace(&ct, context.ciphertext(sum, size: 2, primes: k1, scale: ct.scale))
        }
        try evaluator.rescaleToNextInPlace(&ct)
        var square = try evaluator.square(ct)
        try evaluator.rescaleToNextInPlace(&square)
        return square
    }

    /// Plain lane `lane` of `chunk`: the user's activations (2×2 means after a pool) where each block's conv2 tap
    /// reads, encoded at `squareScale` on conv2's primes, or `nil` when all are zero.
    func plainLane(_ lane: Int, chunk: Int, activations: [Float]) throws -> WordBuffer? {
        var any = false
        let values = (0..<layout.slots).map { slot -> Double in
            guard let term = layout.term(lane: lane, slot: slot, cipher: false),
                let p = layout.position(chunk: chunk, slot: slot)
            else { return 0 }
            let (row, col) = layout.source(position: p, tap: term.tap, cipher: false)
            let value = UserEvaluator.plainSource(
                layout.geometry, activations, image: 0, channel: layout.plainChannels[term.channel], row: row, col: col)
            any = any || value != 0
            return value
        }
        guard any else { return nil }
        return try context.encodeBuffer(values, scale: plan.squareScale, primes: PipelineLevels.conv2Primes)
    }
}
