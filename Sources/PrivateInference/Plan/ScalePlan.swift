import Foundation

/// Exact CKKS scales of every stage, chosen from the primes and from worst-case value bounds so that no
/// product overflows its level and the final result keeps as many bits as the decryption level allows.
///
/// Chain (prime counts `PipelineLevels`: 5 → 4 → 3 → 2): inputs at `inputScale` × conv1 weights at
/// `conv1WeightScale` → rescale by q_4 → `conv1Scale` → square → rescale by q_3 → `squareScale` (plaintext
/// channels are encoded at this scale) × conv2 weights at `conv2WeightScale` → rescale by q_2 → `resultScale`
/// at q_0·q_1. Every scale is the exact double SEAL's rescale would produce (`scale / q`), so both parties
/// compute the same numbers.
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

    /// Bits kept free above the worst-case result at the decryption level (the result's coefficients are
    /// bounded by its largest slot value; flooding adds far less than one more bit).
    static let resultHeadroomBits = 3.0
    /// The input pixels are exact bytes, so their scale only needs to make the encoder's rounding negligible
    /// (2^-30 relative); everything else of the conv1 product's scale goes to the encrypted weights, whose fresh
    /// encryption noise is then tiny relative to them.
    static let maxInputScaleBits = 30.0

    /// Derives the scales.
    /// - Parameters:
    ///   - q: q_0 … q_{k-1} as doubles, k = ``PipelineLevels/conv1Primes``.
    ///   - conv1Bound: max |pooled conv1 output| of any input.
    ///   - squareBound: max |activation| entering conv2 (squared pooled conv1, any channel).
    ///   - resultBound: max |pooled conv2 output| of the encrypted filters.
    init(primes q: [Double], conv1Bound: Double, squareBound: Double, resultBound: Double) {
        let k1 = PipelineLevels.conv1Primes, k2 = PipelineLevels.conv2Primes, kf = PipelineLevels.finalPrimes
        let logQ = q.map(log2)
        func bits(_ range: Range<Int>) -> Double { range.reduce(0) { $0 + logQ[$1] } }
        let qa = q[k1 - 1], qb = q[k1 - 2], qc = q[k2 - 1]  // rescaling primes after conv1, square, conv2
        let m3 = max(resultBound, 1)
        let m2 = max(squareBound, 1)
        // The result must stay below q_0⋯q_{kf-1} / 2 with headroom (worst case over all inputs).
        let resultTarget = exp2((bits(0..<kf) - log2(m3) - Self.resultHeadroomBits).rounded(.down))
        // The key-dependent error of the result is dominated by the conv1 rescale's rounding (relative to
        // conv1Scale) and the conv2 weights' encryption noise (relative to conv2WeightScale). With
        // squareScale = conv1Scale² / q_b and squareScale · conv2WeightScale = resultTarget · q_c, the two are
        // equal when conv1Scale = conv2WeightScale = (resultTarget · q_b · q_c)^(1/3). Squared activations must
        // fit the conv2 level with three bits to spare.
        let squareCap = exp2(bits(0..<k2)) / (8 * m2)
        let conv1Balanced = exp2(((log2(resultTarget) + log2(qb) + log2(qc)) / 3).rounded(.down))
        let squareTarget = min(conv1Balanced * conv1Balanced / qb, squareCap)
        // conv1Scale² / q_b ≈ squareTarget; inputScale·conv1WeightScale / q_a = conv1Scale.
        let conv1Target = exp2((log2(squareTarget * qb) / 2).rounded(.down))
        let product = conv1Target * qa
        inputScale = exp2(min(Self.maxInputScaleBits, (log2(product) / 2 - 4).rounded(.down)))
        conv1WeightScale = product / inputScale
        conv1Scale = inputScale * conv1WeightScale / qa
        squareScale = conv1Scale * conv1Scale / qb
        conv2WeightScale = resultTarget * qc / squareScale
        resultScale = squareScale * conv2WeightScale / qc
        bounds = [conv1Bound, squareBound, resultBound]
    }
}
