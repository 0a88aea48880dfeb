/// A machine word of the ring layer: every coefficient, modulus and residue is one.
public typealias Word = UInt64

extension Word {
    /// Whether the value is a non-zero power of two.
    @inlinable
    public var isPowerOfTwo: Bool { self != 0 && (self & (self &- 1)) == 0 }

    /// The base-2 logarithm of a power of two (the index of its only set bit).
    ///
    /// Callers must only pass powers of two; the result for other values is the floor of the logarithm.
    @inlinable
    public var log2: Int { Word.bitWidth - 1 - leadingZeroBitCount }
}
