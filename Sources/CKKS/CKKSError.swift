import NTT

/// The errors the CKKS layer throws for bad input: every case names the object or file and the problem,
/// and none carries secret material.
public enum CKKSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Parameters that SEAL would refuse, or that the security table forbids.
    case invalidParameters(String)

    /// A human-readable one-line message.
    public var description: String {
        switch self {
        case .invalidParameters(let why): "invalid encryption parameters: \(why)"
        }
    }
}
