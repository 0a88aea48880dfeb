import CKKS
import Foundation
import NTT

/// Named CKKS parameter choices for the encrypted part of LeNet-5 (`--params`).
public enum ParameterPreset: String, CaseIterable, Sendable, Codable {
    /// The smallest secure choice for depth 3 plus noise flooding at the last level:
    /// N = 16384 (8,192 slots: the whole 5,000-image test half in one batch), four 60-bit data primes and a
    /// 60-bit special prime (300 of the 438 bits allowed at 128-bit security). N = 8192 (218 bits) would hold
    /// depth 3 only with ~40-bit scales, leaving no precision for flooding.
    case auto
    /// The original's N = 16384, {60, 40, 40, 40, 40, 60} (for like-for-like timing; the top 40-bit prime is
    /// dropped by a mod-switch before conv1 because only depth 3 is needed).
    case privdnn

    /// Degree and prime bit sizes (special prime last).
    public var shape: (degree: Int, bitSizes: [Int]) {
        switch self {
        case .auto: (16384, [60, 60, 60, 60, 60])
        case .privdnn: (16384, [60, 40, 40, 40, 40, 60])
        }
    }

    /// The preset's encryption parameters (SEAL's `CoeffModulus::Create` primes).
    /// - Throws: `CKKSError`/`NTTError` only if prime generation fails.
    public func encryptionParameters() throws -> EncryptionParameters {
        try EncryptionParameters(polyModulusDegree: shape.degree, bitSizes: shape.bitSizes)
    }
}

/// The data primes the pipeline walks through, named by prime count: conv1 runs on `conv1Primes` (= 4),
/// rescales after conv1, after the square and after conv2, and the result is mod-switched to one prime.
enum PipelineLevels {
    /// Primes of the encoded inputs and conv1 weights.
    static let conv1Primes = 4
    /// Primes of the squared activations, the conv2 weights and the encoded plaintext channels.
    static let conv2Primes = 2
    /// Primes of the request, the response and the decryption.
    static let finalPrimes = 1
}
