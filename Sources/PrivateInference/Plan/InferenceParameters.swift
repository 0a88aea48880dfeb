import CKKS
import Foundation
import NTT

/// Named CKKS parameter choices for the encrypted part of LeNet-5 (`--params`).
public enum ParameterPreset: String, CaseIterable, Sendable, Codable {
    /// The smallest secure choice for depth 3 plus noise flooding at the last level:
    /// N = 16384 (8,192 slots: the whole 5,000-image test half in one batch), five 60-bit data primes and a
    /// 60-bit special prime (360 of the 438 bits allowed at 128-bit security). Depth 3 needs three rescaling
    /// primes; the other two form the 120-bit decryption level, which holds the result at a ~2^110 scale so
    /// that flooding with s = 40 bits leaves ~20 bits of precision (docs/usage.md, "Re-randomization, masking,
    /// flooding"). With one 60-bit decryption prime the result scale is at most ~2^51 and the key-dependent
    /// rounding error ~2^12, which leaves no room for s ≥ 30.
    case auto
    /// The original's N = 16384, {60, 40, 40, 40, 40, 60} (for like-for-like timing): the three 40-bit
    /// rescaling primes, and 60 + 40 bits at the decryption level.
    case privdnn

    /// Degree and prime bit sizes (special prime last).
    public var shape: (degree: Int, bitSizes: [Int]) {
        switch self {
        case .auto: (16384, [60, 60, 60, 60, 60, 60])
        case .privdnn: (16384, [60, 40, 40, 40, 40, 60])
        }
    }

    /// The preset's encryption parameters (SEAL's `CoeffModulus::Create` primes).
    /// - Throws: `CKKSError`/`NTTError` only if prime generation fails.
    public func encryptionParameters() throws -> EncryptionParameters {
        try EncryptionParameters(polyModulusDegree: shape.degree, bitSizes: shape.bitSizes)
    }
}

/// The data primes the pipeline walks through, named by prime count: conv1 runs on `conv1Primes` (= 5),
/// rescales after conv1, after the square and after conv2, and the result stays at two primes.
///
/// Two primes at the decryption level (rather than one) are what make room for noise flooding: the result
/// scale can be ~2^110 instead of ~2^51 while the key-dependent error stays ~2^-60 of it (`FloodingTests`).
enum PipelineLevels {
    /// Primes of the encoded inputs and conv1 weights.
    static let conv1Primes = 5
    /// Primes of the squared activations, the conv2 weights and the encoded plaintext channels.
    static let conv2Primes = 3
    /// Primes of the request, the response and the decryption.
    static let finalPrimes = 2
}
