import CKKS
import Foundation
import NN

/// The owner's encrypted filters: every scalar of the pooled kernels of the selected filters (and each bias)
/// as a symmetric ciphertext, at the level where the pipeline uses it. Filters are produced on demand (from
/// the package's per-filter files) so that only one conv2 filter's ciphertexts are in memory at a time.
struct EncryptedWeights: Sendable {
    /// Selected conv1 filters, ascending.
    var conv1Filters: [Int]
    /// Selected conv2 filters, ascending.
    var conv2Filters: [Int]
    /// The ciphertexts of the `index`-th selected filter of `layer` (1 or 2): conv1: (k+1)² taps then the bias
    /// (4 primes); conv2: channel-major taps (C1·(k+1)²) then the bias (2 primes).
    var filter: @Sendable (_ layer: Int, _ index: Int) throws -> [Ciphertext]
}

extension HEContext {
    /// Encrypts one selected filter's pooled kernel and bias at the plan's scales (owner side).
    func encryptFilter(
        _ kernels: PooledKernels, layer: Int, filter: Int, plan: ScalePlan, encryptor: Encryptor
    ) throws -> [Ciphertext] {
        let values: [(Double, Double)]
        let primes: Int
        if layer == 1 {
            values = kernels.conv1[filter].map { ($0, plan.conv1WeightScale) }
                + [(kernels.conv1Bias[filter], plan.inputScale * plan.conv1WeightScale)]
            primes = PipelineLevels.conv1Primes
        } else {
            values = kernels.conv2[filter].flatMap { $0 }.map { ($0, plan.conv2WeightScale) }
                + [(kernels.conv2Bias[filter], plan.squareScale * plan.conv2WeightScale)]
            primes = PipelineLevels.conv2Primes
        }
        return try Workers.map(values.count) { i in
            Result { try encryptConstant(values[i].0, scale: values[i].1, primes: primes, encryptor: encryptor) }
        }.map { try $0.get() }
    }

    /// The scale plan for `selection`'s worst-case bounds.
    func plan(_ kernels: PooledKernels, selection: FilterSelection) -> ScalePlan {
        let bounds = kernels.bounds(conv2Filters: selection[2])
        return ScalePlan(
            primes: (0..<4).map { prime($0) }, conv1Bound: bounds.conv1, squareBound: bounds.square,
            resultBound: bounds.result)
    }

    /// The owner's packaging step in memory (tests and the full-encryption baseline): the plan and every
    /// selected filter encrypted.
    func prepare(_ kernels: PooledKernels, selection: FilterSelection, secret: SecretKey) throws -> (ScalePlan, EncryptedWeights) {
        let plan = plan(kernels, selection: selection)
        let encryptor = try Encryptor(context: ckks, secretKey: secret)
        let conv1 = try selection[1].map { try encryptFilter(kernels, layer: 1, filter: $0, plan: plan, encryptor: encryptor) }
        let conv2 = try selection[2].map { try encryptFilter(kernels, layer: 2, filter: $0, plan: plan, encryptor: encryptor) }
        let weights = EncryptedWeights(conv1Filters: selection[1], conv2Filters: selection[2]) { layer, index in
            layer == 1 ? conv1[index] : conv2[index]
        }
        return (plan, weights)
    }
}
