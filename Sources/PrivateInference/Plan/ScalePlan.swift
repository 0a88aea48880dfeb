import Foundation

/// Exact CKKS scales of every stage, chosen from the primes and from worst-case value bounds so that no
/// product overflows its level and the final result keeps as many bits as the last prime allows.
///
/// Chain (prime counts 4 → 1): inputs at `inputScale` × conv1 weights at `conv1WeightScale` → rescale by q_3
/// → `conv1Scale` → square → rescale by q_2 → `squareScale` (plaintext channels are encoded at this scale) ×
/// conv2 weights at `conv2WeightScale` → rescale by q_1 → `resultScale` → mod-switch to q_0. Every scale is the
/// exact double SEAL's rescale would produce (`scale / q`), so both parties compute the same numbers.
public struct ScalePlan: Sendable, Codable, Equatable {
    /// Scale of the encoded input pixels (raw bytes 0…255; normalization is folded into the conv1 weights).
    public var inputScale: Double
    /// Scale of the encrypted conv1 (pooled) weights.
    public var conv1WeightScale: Double
    /// Scale of the pooled conv1 outputs after the first rescale.
    public var conv1Scale: Double
    /// Scale of the squared activations after the second rescale.
    public var squareScale: Double
    /// Scale of the encrypted conv2 (pooled) weights.
    public var conv2WeightScale: Double
    /// Scale of the pooled conv2 outputs after the third rescale (the decrypted scale).
    public var resultScale: Double
    /// The worst-case bounds used: |pooled conv1|, |squared activation|, |pooled conv2|.
    public var bounds: [Double]

    /// Derives the scales.
    /// - Parameters:
    ///   - q: q_0 … q_3 as doubles.
    ///   - conv1Bound: max |pooled conv1 output| of any input.
    ///   - squareBound: max |activation| entering conv2 (squared pooled conv1, any channel).
    ///   - resultBound: max |pooled conv2 output| of the encrypted filters.
    init(primes q: [Double], conv1Bound: Double, squareBound: Double, resultBound: Double) {
        let m3 = max(resultBound, 1)
        let m2 = max(squareBound, 1)
        // The result (plus flooding headroom) must stay below q_0 / 2 after the mod-switch.
        let resultTarget = exp2((log2(q[0]) - ceil(log2(m3)) - 4).rounded(.down))
        // Balance the conv2 product's two noise sources: squared activations and weights get similar scales,
        // capped so that activations at squareScale fit q_0·q_1 with two bits to spare.
        let squareCap = q[0] * q[1] / (8 * m2)
        let squareTarget = min(exp2(((log2(resultTarget) + log2(q[1])) / 2).rounded(.down)), squareCap)
        // conv1Scale² / q_2 ≈ squareTarget; inputScale·conv1WeightScale / q_3 = conv1Scale.
        let conv1Target = exp2((log2(squareTarget * q[2]) / 2).rounded(.down))
        let product = conv1Target * q[3]
        inputScale = exp2((log2(product) / 2 - 4).rounded(.down))
        conv1WeightScale = product / inputScale
        conv1Scale = inputScale * conv1WeightScale / q[3]
        squareScale = conv1Scale * conv1Scale / q[2]
        conv2WeightScale = resultTarget * q[1] / squareScale
        resultScale = squareScale * conv2WeightScale / q[1]
        bounds = [conv1Bound, squareBound, resultBound]
    }
}
