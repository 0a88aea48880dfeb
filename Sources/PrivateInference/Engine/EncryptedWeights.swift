import CKKS
import Foundation
import NN

/// The owner's encrypted filters.
///
/// The owner's encrypted filters: every scalar of the pooled kernels of the selected filters (and each bias)
/// as a symmetric ciphertext, at the level where the pipeline uses it. Filters are produced on demand (from
/// the package's per-filter files) so that only one conv2 filter's ciphertexts are in memory at a time.
struct EncryptedWeights: Sendable {
    /// Selected conv1 filters, ascending.
    var conv1Filters: [Int]
    /// Selected conv2 filters, ascending.
    var conv2Filters: [Int]
    /// The ciphertexts of one part of a selected filter.
    ///
    /// The ciphertexts of one part of the `index`-th selected filter of `layer`: for conv1 (part 0) its k² box
    /// taps on every input channel then the bias; for conv2, part c < C1 holds the paired taps on input channel c —
    /// on its squares if channel c is encrypted (a selected conv1 filter), on its activations otherwise (see
    /// ``LayerKernels``) — and part C1 the bias. conv2 is split by channel so that the user streams channel by channel.
    var part: @Sendable (_ layer: Int, _ index: Int, _ part: Int) throws -> [Ciphertext]
    /// The same part as word buffers (c0 rows then c1 rows), each made by the worker that loaded its ciphertext,
    /// or `nil` to copy them from ``part``.
    var partBuffers: (@Sendable (_ layer: Int, _ index: Int, _ part: Int) throws -> [WordBuffer])?

    /// Weights whose parts come from `part` (and, if given, straight as word buffers from `partBuffers`).
    init(
        conv1Filters: [Int], conv2Filters: [Int],
        partBuffers: (@Sendable (_ layer: Int, _ index: Int, _ part: Int) throws -> [WordBuffer])? = nil,
        part: @escaping @Sendable (_ layer: Int, _ index: Int, _ part: Int) throws -> [Ciphertext]
    ) {
        self.conv1Filters = conv1Filters
        self.conv2Filters = conv2Filters
        self.part = part
        self.partBuffers = partBuffers
    }

    /// One part's ciphertext words as the evaluator multiplies them: for a loaded package each buffer is filled
    /// as its ciphertext is parsed (in parallel, no second copy of the part and no part-sized transient).
    func buffers(_ layer: Int, _ index: Int, _ part: Int) throws -> [WordBuffer] {
        if let partBuffers { return try partBuffers(layer, index, part) }
        return try self.part(layer, index, part).map { WordBuffer($0.data) }
    }
}

extension HEContext {
    /// The parts of a filter of `layer` (see ``EncryptedWeights/part``).
    static func partCount(layer: Int, kernels: LayerKernels) -> Int {
        layer == 1 ? 1 : kernels.geometry.conv1Channels + 1
    }

    /// Encrypts one part of a selected filter at the plan's scales (owner side).
    func encryptPart(
        _ kernels: LayerKernels, layer: Int, filter: Int, part: Int, encryptedChannels: [Int], plan: ScalePlan,
        encryptor: Encryptor
    ) throws -> [Ciphertext] {
        let values: [(Double, Double)]
        let primes: Int
        if layer == 1 {
            values =
                kernels.conv1Taps[filter].map { ($0, plan.conv1WeightScale) }
                + [(kernels.conv1Bias[filter], plan.inputScale * plan.conv1WeightScale)]
            primes = PipelineLevels.conv1Primes
        } else if part < kernels.geometry.conv1Channels {
            let scale = plan.conv2WeightScale
            let taps =
                encryptedChannels.contains(part) ? kernels.conv2Cipher[filter][part] : kernels.conv2Plain[filter][part]
            let sign = try pairingUnit()
            return try Parallelism.map(taps.count) { i in
                Result {
                    let (a, b) = taps[i]
                    return try encryptor.encryptSymmetric(
                        encoder.encode(
                            sign.map { Complex64(a, -b * $0) }, scale: scale,
                            parmsID: parmsIDs[PipelineLevels.conv2Primes]),
                        seeded: true)
                }
            }.map { try $0.get() }
        } else {
            values = [(kernels.conv2Bias[filter], plan.squareScale * plan.conv2WeightScale)]
            primes = PipelineLevels.conv2Primes
        }
        return try Parallelism.map(values.count) { i in
            Result { try encryptConstant(values[i].0, scale: values[i].1, primes: primes, encryptor: encryptor) }
        }.map { try $0.get() }
    }

    /// The scale plan for `selection`'s worst-case bounds.
    func plan(_ kernels: LayerKernels, selection: SelectedNeurons) -> ScalePlan {
        let bounds = kernels.bounds(conv2Filters: selection[2])
        return ScalePlan(
            primes: (0..<PipelineLevels.conv1Primes).map { prime($0) }, conv1Bound: bounds.conv1,
            squareBound: bounds.square, resultBound: bounds.result)
    }

    /// The owner's packaging step in memory (tests and the full-encryption baseline): the plan and every
    /// selected filter encrypted.
    func prepare(_ kernels: LayerKernels, selection: SelectedNeurons, secret: SecretKey) throws -> (
        ScalePlan, EncryptedWeights
    ) {
        let plan = plan(kernels, selection: selection)
        let encryptor = try Encryptor(context: ckks, secretKey: secret)
        func parts(_ layer: Int) throws -> [[[Ciphertext]]] {
            try selection[layer].map { f in
                try (0..<Self.partCount(layer: layer, kernels: kernels)).map {
                    try encryptPart(
                        kernels, layer: layer, filter: f, part: $0, encryptedChannels: selection[1], plan: plan,
                        encryptor: encryptor)
                }
            }
        }
        let conv1 = try parts(1), conv2 = try parts(2)
        let weights = EncryptedWeights(conv1Filters: selection[1], conv2Filters: selection[2]) { layer, index, part in
            layer == 1 ? conv1[index][part] : conv2[index][part]
        }
        return (plan, weights)
    }
}
