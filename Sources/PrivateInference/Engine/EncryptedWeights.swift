import Foundation
import NN

/// The owner's encrypted filters: every scalar of the pooled kernels of the selected filters (and each bias)
/// as a symmetric ciphertext in seeded form, at the level where the pipeline uses it.
struct EncryptedWeights: Sendable {
    /// Selected conv1 filters, ascending.
    var conv1Filters: [Int]
    /// Selected conv2 filters, ascending.
    var conv2Filters: [Int]
    /// Per selected conv1 filter: its (k+1)² taps, then the bias (4 primes).
    var conv1: [[SeededCipher]]
    /// Per selected conv2 filter: channel-major taps (C1 · (k+1)²), then the bias (2 primes).
    var conv2: [[SeededCipher]]
}

extension HEContext {
    /// Encrypts the selected filters' pooled kernels at the plan's scales (owner side).
    func encryptWeights(
        _ kernels: PooledKernels, conv1Filters: [Int], conv2Filters: [Int], plan: ScalePlan, secret: SecretKeyWords
    ) -> EncryptedWeights {
        let k1 = PipelineLevels.conv1Primes, k2 = PipelineLevels.conv2Primes
        let conv1 = conv1Filters.map { f -> [SeededCipher] in
            var values = kernels.conv1[f].map { ($0, plan.conv1WeightScale) }
            values.append((kernels.conv1Bias[f], plan.inputScale * plan.conv1WeightScale))
            return Workers.map(values.count) { encryptConstantSeeded(values[$0].0, scale: values[$0].1, primes: k1, secret: secret) }
        }
        let conv2 = conv2Filters.map { o -> [SeededCipher] in
            var values = kernels.conv2[o].flatMap { $0 }.map { ($0, plan.conv2WeightScale) }
            values.append((kernels.conv2Bias[o], plan.squareScale * plan.conv2WeightScale))
            return Workers.map(values.count) { encryptConstantSeeded(values[$0].0, scale: values[$0].1, primes: k2, secret: secret) }
        }
        return EncryptedWeights(conv1Filters: conv1Filters, conv2Filters: conv2Filters, conv1: conv1, conv2: conv2)
    }
}

extension HEContext {
    /// The owner's packaging step in memory: the scale plan from the worst-case bounds of `selection`, and
    /// the encrypted filters.
    func prepare(_ kernels: PooledKernels, selection: FilterSelection, secret: SecretKeyWords) -> (ScalePlan, EncryptedWeights) {
        let bounds = kernels.bounds(conv2Filters: selection[2])
        let plan = ScalePlan(
            primes: (0..<4).map { prime($0) }, conv1Bound: bounds.conv1, squareBound: bounds.square,
            resultBound: bounds.result)
        let weights = encryptWeights(
            kernels, conv1Filters: selection[1], conv2Filters: selection[2], plan: plan, secret: secret)
        return (plan, weights)
    }
}
