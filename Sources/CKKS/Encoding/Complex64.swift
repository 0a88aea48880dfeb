/// A complex number of two `Double`s with a fixed, documented operation order.
///
/// The CKKS encoder must round exactly as SEAL's `std::complex<double>` does (GCC, no FMA): every product and
/// sum is rounded once, in the order written here. Swift never contracts `a * c - b * d` into a fused
/// multiply-add unless asked to, so these one-line formulas are bit-exact with SEAL.
public struct Complex64: Sendable, Hashable {
    /// The real part.
    public var real: Double
    /// The imaginary part.
    public var imaginary: Double

    /// A complex number from its two parts.
    @inlinable
    public init(_ real: Double, _ imaginary: Double = 0) {
        self.real = real
        self.imaginary = imaginary
    }

    /// Zero.
    public static let zero = Complex64(0, 0)

    /// The complex conjugate.
    @inlinable
    public var conjugate: Complex64 { Complex64(real, -imaginary) }

    /// The sum, part by part.
    @inlinable
    public static func + (a: Complex64, b: Complex64) -> Complex64 {
        Complex64(a.real + b.real, a.imaginary + b.imaginary)
    }

    /// The difference, part by part.
    @inlinable
    public static func - (a: Complex64, b: Complex64) -> Complex64 {
        Complex64(a.real - b.real, a.imaginary - b.imaginary)
    }

    /// The negation of both parts.
    @inlinable
    public static prefix func - (a: Complex64) -> Complex64 {
        Complex64(-a.real, -a.imaginary)
    }

    /// The product `(ac - bd) + (ad + bc)i`, each product and sum rounded once, as GCC's `complex<double>`.
    @inlinable
    public static func * (a: Complex64, b: Complex64) -> Complex64 {
        Complex64(a.real * b.real - a.imaginary * b.imaginary, a.real * b.imaginary + a.imaginary * b.real)
    }

    /// The product with a real number: both parts multiplied by it.
    @inlinable
    public static func * (a: Complex64, s: Double) -> Complex64 {
        Complex64(a.real * s, a.imaginary * s)
    }
}
