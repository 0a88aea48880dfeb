/// Errors of the ring layer; each case maps to an `@throws` line of SEAL's `util/` or `modulus.h`.
public enum NTTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A modulus value outside SEAL's range (0 is "unset", 1 is refused, at most 61 bits).
    case invalidModulus(UInt64)
    /// A polynomial degree that is not a power of two in SEAL's range, or that the operation cannot use.
    case invalidDegree(Int)
    /// A prime bit size outside `2...60` (`SEAL_USER_MOD_BIT_COUNT_MAX`).
    case invalidBitSize(Int)
    /// Too many primes asked for (more than 256, `SEAL_COEFF_MOD_COUNT_MAX`) or an empty list.
    case invalidModulusCount(Int)
    /// `CoeffModulus.create` found fewer primes of `bitSize` bits congruent to 1 mod 2N than requested.
    case notEnoughPrimes(bitSize: Int, degree: Int)
    /// The modulus has no primitive `2N`-th root of unity (it is not prime or not 1 mod 2N).
    case noPrimitiveRoot(modulus: UInt64, degree: Int)
    /// Two moduli of an RNS base share a factor.
    case moduliNotCoprime(UInt64, UInt64)
    /// A step whose Galois element does not exist (|step| must be below N/2).
    case invalidGaloisStep(step: Int, degree: Int)
    /// A Galois element that is even or not below 2N.
    case invalidGaloisElement(UInt64)
    /// Operands that do not fit together: shapes, forms or lengths (the message names them).
    case invalidArgument(String)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case .invalidModulus(let value): "invalid modulus \(value): must be 0 or in 2..<2^61"
        case .invalidDegree(let degree): "invalid polynomial degree \(degree): must be a power of two in 2...131072"
        case .invalidBitSize(let bits): "invalid prime bit size \(bits): must be in 2...60"
        case .invalidModulusCount(let count): "invalid number of moduli \(count): must be in 1...256"
        case .notEnoughPrimes(let bits, let degree):
            "not enough \(bits)-bit primes congruent to 1 mod \(2 * degree)"
        case .noPrimitiveRoot(let modulus, let degree):
            "modulus \(modulus) has no primitive \(2 * degree)-th root of unity"
        case .moduliNotCoprime(let a, let b): "moduli \(a) and \(b) are not coprime"
        case .invalidGaloisStep(let step, let degree): "invalid rotation step \(step) for degree \(degree)"
        case .invalidGaloisElement(let element): "invalid Galois element \(element): must be odd and below 2N"
        case .invalidArgument(let message): message
        }
    }
}
