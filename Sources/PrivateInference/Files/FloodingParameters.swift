import Foundation

/// How the owner floods decryptions (protocol.md, "Why flooding is needed"; docs/usage.md, "Re-randomization,
/// masking, flooding").
///
/// The owner adds to every decrypted coefficient an independent rounded Gaussian of standard deviation
/// σ = 2^(s/2) · √(12·t) · B (Li, Micciancio, Schultz, Sorrell, CRYPTO 2022; OpenFHE's NOISE_FLOODING_DECRYPT
/// uses the same σ with t = its number of adversarial queries). B bounds the ℓ2 norm, over the N coefficients,
/// of the key-dependent part of one decrypted ciphertext's error (what depends on the secret key and the
/// encryption randomness; the encoder's deterministic rounding does not), and t bounds how many ciphertexts
/// are decrypted under one key. The Gaussian mechanism's Rényi divergence then bounds the KL divergence
/// between all t flooded decryptions and a simulation that never touches the key by t·B²/(2σ²) = 2^-s/24:
/// s bits of statistical security in LMSS's (Micciancio–Walter) bit-security sense, i.e. statistical distance
/// ≤ 2^-(s/2)/√48 by Pinsker, and a key-recovery success probability that grows by at most a constant factor.
/// The key store counts decrypted ciphertexts and refuses a request that would exceed t.
///
/// B is stated relative to the result scale, B = resultScale · 2^-β; `FloodingTests` measures the
/// key-dependent error of the real pipeline (two independent keys on real MNIST) and requires B to stay ≥ 2^4
/// above it.
public struct FloodingParameters: Sendable, Codable, Equatable {
    /// s, the statistical security parameter in bits.
    public var statisticalBits: Int
    /// t, the most ciphertexts the owner decrypts under one key (each holds 16 pooled positions of one conv2
    /// filter for up to N/2 images).
    public var maxDecryptions: Int
    /// β: the error bound B is resultScale · 2^-β.
    public var noiseBoundBitsBelowScale: Int

    /// The constant c in σ = 2^(s/2) · √(c·t) · B (LMSS, OpenFHE).
    public static let queryConstant = 12.0

    /// The owner's default for the `auto` chain: s = 40, t = 2^20 and β = 60.
    ///
    /// Two 60-bit primes at the decryption level; the measured key-dependent error is resultScale · 2^-64.9
    /// (`FloodingTests`; conv2's paired products gather the squares' noise from two directions). A decoded slot keeps 21.7 bits: flooding noise of standard
    /// deviation 2^-21.7.
    public static let standard = FloodingParameters(
        statisticalBits: 40, maxDecryptions: 1 << 20, noiseBoundBitsBelowScale: 60)

    /// The default for the `privdnn` chain: s = 30, t = 2^8 and β = 40.
    ///
    /// {60, 40, 40, 40, 40, 60}: 40-bit rescaling primes leave smaller scales and a larger relative error,
    /// measured resultScale · 2^-44.9 (β keeps the 2^4 margin above it); 12.7 bits per slot remain.
    public static let privdnn = FloodingParameters(
        statisticalBits: 30, maxDecryptions: 1 << 8, noiseBoundBitsBelowScale: 40)

    /// The default flooding parameters for a prime chain (bit sizes, special prime last): ``privdnn`` when the
    /// smallest rescaling prime is below 50 bits, else ``standard``.
    public static func defaults(for bitSizes: [Int]) -> FloodingParameters {
        let rescaling = bitSizes.dropLast().prefix(PipelineLevels.conv1Primes).dropFirst(PipelineLevels.finalPrimes)
        return (rescaling.min() ?? 60) < 50 ? privdnn : standard
    }

    /// Creates flooding parameters.
    public init(statisticalBits: Int, maxDecryptions: Int, noiseBoundBitsBelowScale: Int) {
        self.statisticalBits = statisticalBits
        self.maxDecryptions = maxDecryptions
        self.noiseBoundBitsBelowScale = noiseBoundBitsBelowScale
    }

    /// The ranges a key store may hold: below 20 bits flooding is no defence, and t and β are bounded so that σ
    /// stays finite and the budget arithmetic cannot overflow.
    static let statisticalBitsRange = 20...128
    static let maxDecryptionsRange = 1...(1 << 40)
    static let noiseBoundBitsRange = 1...120

    /// Checks the parameters read from a key store.
    /// - Parameter path: the file they came from, for the error.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` naming the field out of range.
    func validate(path: String) throws {
        func check(_ value: Int, _ range: ClosedRange<Int>, _ name: String) throws {
            guard range.contains(value) else {
                throw InferenceError.badFile(
                    path: path, reason: "flooding \(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)"
                )
            }
        }
        try check(statisticalBits, Self.statisticalBitsRange, "statisticalBits")
        try check(maxDecryptions, Self.maxDecryptionsRange, "maxDecryptions")
        try check(noiseBoundBitsBelowScale, Self.noiseBoundBitsRange, "noiseBoundBitsBelowScale")
    }

    /// B for a result at `scale`.
    public func noiseBound(resultScale scale: Double) -> Double {
        scale * exp2(-Double(noiseBoundBitsBelowScale))
    }

    /// σ for a result at `scale`.
    public func sigma(resultScale scale: Double) -> Double {
        exp2(Double(statisticalBits) / 2) * (Self.queryConstant * Double(maxDecryptions)).squareRoot()
            * noiseBound(resultScale: scale)
    }

    /// Bits of precision left in a decoded slot: −log2 of the flooding noise's standard deviation there,
    /// σ · √(N/2) / resultScale (a slot is a ±1-weighted sum of the N coefficients' noise, real part).
    public func precisionBits(degree: Int) -> Double {
        -log2(sigma(resultScale: 1) * (Double(degree) / 2).squareRoot())
    }
}
