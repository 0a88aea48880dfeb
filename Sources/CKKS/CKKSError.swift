import NTT

/// The errors the CKKS layer throws for bad input: every case names the object or file and the problem,
/// and none carries secret material.
public enum CKKSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Parameters that SEAL would refuse, or that the security table forbids.
    case invalidParameters(String)
    /// An argument outside its documented range (a programming or user error, not corrupt data).
    case invalidArgument(String)
    /// A serialized object that cannot be read: the object kind and what is wrong with it.
    case invalidData(object: String, reason: String)
    /// A stream that ends before the object it should hold: the object kind, bytes needed and available.
    case truncated(object: String, needed: Int, available: Int)
    /// A SEAL header whose magic number is not 0xA15E.
    case wrongMagic(found: UInt16)
    /// A SEAL header whose version this reader does not know.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// A SEAL header whose compression mode this reader does not know or cannot use.
    case unsupportedCompression(UInt8)
    /// A sized field that disagrees with the parameters or with the header: the object, field and values.
    case sizeMismatch(object: String, field: String, expected: Int, found: Int)
    /// A `parms_id` that names no level of the context.
    case unknownParmsID(object: String, parmsID: ParmsID)
    /// A file could not be read or written: the path and the system's reason.
    case fileError(path: String, reason: String)
    /// A CKKS scale that is not positive, not finite, or too large for the level's modulus.
    case scaleOutOfBounds(Double)
    /// Two operands whose scales differ (SEAL's `are_close` test fails): the two scales.
    case scaleMismatch(Double, Double)
    /// Two operands at different levels, or an operand at a level the operation cannot use.
    case parameterMismatch(String)
    /// A rescale or modulus switch asked of a ciphertext already at the last level.
    case endOfModulusChain
    /// A rotation or automorphism whose Galois key is absent: the step (or nil) and the Galois element.
    case missingGaloisKey(step: Int?, element: UInt64)
    /// An operation whose result would be transparent (every polynomial but c0 is zero).
    case transparentResult

    /// A human-readable one-line message.
    public var description: String {
        switch self {
        case .invalidParameters(let why): "invalid encryption parameters: \(why)"
        case .invalidArgument(let why): "invalid argument: \(why)"
        case .invalidData(let object, let reason): "invalid \(object): \(reason)"
        case .truncated(let object, let needed, let available):
            "truncated \(object): needs \(needed) bytes, only \(available) available"
        case .wrongMagic(let found):
            "not a SEAL object: magic number 0x\(String(found, radix: 16, uppercase: true)) is not 0xA15E"
        case .unsupportedVersion(let major, let minor): "unsupported SEAL version \(major).\(minor)"
        case .unsupportedCompression(let mode): "unsupported compression mode \(mode)"
        case .sizeMismatch(let object, let field, let expected, let found):
            "\(object) \(field) is \(found), expected \(expected)"
        case .unknownParmsID(let object, let parmsID): "\(object) parms_id \(parmsID) is not in the context"
        case .fileError(let path, let reason): "\(path): \(reason)"
        case .scaleOutOfBounds(let scale): "scale \(scale) is out of bounds for the modulus"
        case .scaleMismatch(let a, let b): "scale mismatch: \(a) vs \(b)"
        case .parameterMismatch(let why): "parameter mismatch: \(why)"
        case .endOfModulusChain: "end of modulus switching chain reached: the ciphertext is at the last level"
        case .missingGaloisKey(let step, let element):
            if let step {
                "Galois key for rotation step \(step) (element \(element)) is not present"
            } else {
                "Galois key for element \(element) is not present"
            }
        case .transparentResult: "result ciphertext is transparent"
        }
    }
}
