/// A lazy multiply-accumulate: an exact 128-bit sum of 64-bit products, held in two words and reduced modulo q
/// once at the end (or whenever the caller's bound on the number of products says it must), instead of one
/// reduction and one modular addition per product.
///
/// The one copy of this arithmetic: CKKS's key switching and ciphertext products, and the encrypted engine's sums of
/// products (PrivateInference), all accumulate with it. Products of residues below 2^60 are below 2^120, so 255 of
/// them (plus a canonical start value) fit before the sum must be reduced; callers with 61- or 62-bit operands take
/// fewer (key switching: 8 products of operands below 4q).
///
/// `@usableFromInline` as well as `package` (as `ShoupOperand` is): Swift 6.3 does not inline a plain `package`
/// struct's `@inlinable` members into other modules (measured: every product became a call, 2.5× the instructions of
/// the engine's multiply-accumulate).
/// - Note: SEAL: evaluator.cpp `switch_key_inplace` (`t_poly_lazy`), util/uintarithsmallmod.h `barrett_reduce_128`
@usableFromInline
package struct WideSum {
    /// The low word.
    @usableFromInline package var low: UInt64
    /// The high word.
    @usableFromInline package var high: UInt64

    /// A sum starting from `start` (a canonical residue, or 0).
    @inlinable @inline(__always)
    package init(_ start: UInt64 = 0) {
        low = start
        high = 0
    }

    /// The sum holding the single product a·b.
    @inlinable @inline(__always)
    package init(_ a: UInt64, times b: UInt64) {
        let p = a.multipliedFullWidth(by: b)
        low = p.low
        high = p.high
    }

    /// Adds a·b (wrapping modulo 2^128: callers bound the number of products so that it never wraps).
    @inlinable @inline(__always)
    package mutating func add(_ a: UInt64, times b: UInt64) {
        let p = a.multipliedFullWidth(by: b)
        let (sum, overflow) = low.addingReportingOverflow(p.low)
        low = sum
        high = high &+ p.high &+ (overflow ? 1 : 0)
    }

    /// Adds another sum.
    @inlinable @inline(__always)
    package mutating func add(_ other: WideSum) {
        let (sum, overflow) = low.addingReportingOverflow(other.low)
        low = sum
        high = high &+ other.high &+ (overflow ? 1 : 0)
    }

    /// The sum mod q (one Barrett reduction of the 128-bit value).
    @inlinable @inline(__always)
    package func reduced(_ q: Modulus) -> UInt64 { q.reduce(high: high, low: low) }

    /// Adds `sum` to the sum kept in memory as the two words at `low` and `high` (sums of a block of coefficients
    /// kept in two rows of words, as the encrypted engine's kernels do).
    @inlinable @inline(__always)
    package static func add(_ sum: WideSum, low: UnsafeMutablePointer<UInt64>, high: UnsafeMutablePointer<UInt64>) {
        let (s, overflow) = low.pointee.addingReportingOverflow(sum.low)
        low.pointee = s
        high.pointee = high.pointee &+ sum.high &+ (overflow ? 1 : 0)
    }
}
