/// A machine word of the ring layer: every coefficient, modulus and residue is one.
@usableFromInline package typealias Word = UInt64

extension Word {
    /// Whether the value is a non-zero power of two.
    @inlinable
    package var isPowerOfTwo: Bool { self != 0 && (self & (self &- 1)) == 0 }

    /// The base-2 logarithm of a power of two (the index of its only set bit).
    ///
    /// Callers must only pass powers of two; the result for other values is the floor of the logarithm.
    @inlinable
    package var log2: Int { Word.bitWidth - 1 - leadingZeroBitCount }
}

extension Word {
    /// The lowest `bitCount` bits of the value in reverse order (SEAL's `reverse_bits(value, bit_count)`).
    ///
    /// - Parameter bitCount: how many low bits to reverse, in `0...64`; higher bits are dropped.
    /// - Returns: the reversed bits, right-aligned.
    /// - Note: SEAL: util/uintcore.h
    @inlinable
    package func reversedBits(_ bitCount: Int) -> Word {
        assert(bitCount >= 0 && bitCount <= 64)
        return bitCount == 0 ? 0 : bitReversed >> (64 - bitCount)
    }

    /// All 64 bits in reverse order.
    @inlinable
    package var bitReversed: Word {
        var x = self
        x = ((x & 0x5555_5555_5555_5555) << 1) | ((x >> 1) & 0x5555_5555_5555_5555)
        x = ((x & 0x3333_3333_3333_3333) << 2) | ((x >> 2) & 0x3333_3333_3333_3333)
        x = ((x & 0x0F0F_0F0F_0F0F_0F0F) << 4) | ((x >> 4) & 0x0F0F_0F0F_0F0F_0F0F)
        return x.byteSwapped
    }

    /// Subtracts `bound` once if the value is at least `bound`, without a data-dependent branch.
    ///
    /// Used by every lazy kernel to fold a word from `[0, 2·bound)` into `[0, bound)`. Valid while
    /// self < 2·bound, which holds for every range used here.
    /// - Parameter bound: the value to subtract.
    /// - Returns: self − bound when self ≥ bound, else self.
    @inlinable
    package func subtractingIfExceeds(_ bound: Word) -> Word {
        // When self < bound the subtraction wraps to a value above self, so the minimum picks the right one;
        // `min` lowers to cmov, which avoids the mispredicted branches a ternary becomes in NTT loops.
        Swift.min(self, self &- bound)
    }
}
