/// Element-wise kernels on one row of residues (`count` words mod one q), the building blocks of `RNSPoly`
/// arithmetic; CKKS calls them directly on ciphertext storage.
///
/// Inputs are canonical residues in `[0, q)` and so are outputs; `output` may alias either input.
/// - Note: SEAL: util/polyarithsmallmod.h
@usableFromInline package enum PolyArithmetic {
    /// output[i] = a[i] + b[i] mod q.
    ///
    /// - Parameters:
    ///   - a: `count` residues.
    ///   - b: `count` residues.
    ///   - output: `count` words, may alias `a` or `b`.
    ///   - count: the row length.
    ///   - modulus: q.
    /// - Note: SEAL: util/polyarithsmallmod.h `add_poly_coeffmod`
    @inlinable
    package static func add(
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>,
        count: Int, modulus: Modulus
    ) {
        let q = modulus.value
        for i in 0..<count {
            assert(a[i] < q && b[i] < q)
            let s = a[i] &+ b[i]
            output[i] = s >= q ? s &- q : s
        }
    }

    /// output[i] = a[i] − b[i] mod q.
    ///
    /// - Parameters:
    ///   - a: `count` residues.
    ///   - b: `count` residues.
    ///   - output: `count` words, may alias `a` or `b`.
    ///   - count: the row length.
    ///   - modulus: q.
    /// - Note: SEAL: util/polyarithsmallmod.h `sub_poly_coeffmod`
    @inlinable
    package static func subtract(
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>,
        count: Int, modulus: Modulus
    ) {
        let q = modulus.value
        for i in 0..<count {
            assert(a[i] < q && b[i] < q)
            let d = a[i] &- b[i]
            output[i] = a[i] < b[i] ? d &+ q : d
        }
    }

    /// output[i] = −a[i] mod q (0 stays 0).
    ///
    /// - Parameters:
    ///   - a: `count` residues.
    ///   - output: `count` words, may alias `a`.
    ///   - count: the row length.
    ///   - modulus: q.
    /// - Note: SEAL: util/polyarithsmallmod.h `negate_poly_coeffmod`
    @inlinable
    package static func negate(
        _ a: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>, count: Int, modulus: Modulus
    ) {
        let q = modulus.value
        for i in 0..<count {
            assert(a[i] < q)
            output[i] = a[i] == 0 ? 0 : q &- a[i]
        }
    }

    /// output[i] = a[i] · b[i] mod q (the dyadic product of NTT-form rows).
    ///
    /// - Parameters:
    ///   - a: `count` residues.
    ///   - b: `count` residues.
    ///   - output: `count` words, may alias `a` or `b`.
    ///   - count: the row length.
    ///   - modulus: q.
    /// - Note: SEAL: util/polyarithsmallmod.h `dyadic_product_coeffmod`
    @inlinable
    package static func multiply(
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>,
        count: Int, modulus: Modulus
    ) {
        for i in 0..<count {
            output[i] = modulus.multiplyMod(a[i], b[i])
        }
    }

    /// output[i] += a[i] · b[i] mod q.
    ///
    /// - Parameters:
    ///   - a: `count` residues.
    ///   - b: `count` residues.
    ///   - output: `count` residues, updated in place.
    ///   - count: the row length.
    ///   - modulus: q.
    @inlinable
    package static func multiplyAdd(
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>,
        count: Int, modulus: Modulus
    ) {
        let q = modulus.value
        for i in 0..<count {
            let s = output[i] &+ modulus.multiplyMod(a[i], b[i])
            output[i] = s >= q ? s &- q : s
        }
    }

    /// output[i] = a[i] · w mod q for a fixed residue w.
    ///
    /// - Parameters:
    ///   - a: `count` words (any value; the Shoup product reduces them).
    ///   - scalar: w with its Shoup quotient for q.
    ///   - output: `count` words, may alias `a`.
    ///   - count: the row length.
    ///   - modulus: q.
    /// - Note: SEAL: util/polyarithsmallmod.h `multiply_poly_scalar_coeffmod`
    @inlinable
    package static func multiply(
        _ a: UnsafePointer<UInt64>, by scalar: ShoupOperand, into output: UnsafeMutablePointer<UInt64>,
        count: Int, modulus: Modulus
    ) {
        for i in 0..<count {
            output[i] = scalar.multiplyMod(a[i], modulus: modulus)
        }
    }

    /// output[i] = a[i] mod q for words of any size (moving a row to another prime).
    ///
    /// - Parameters:
    ///   - a: `count` words.
    ///   - output: `count` words, may alias `a`.
    ///   - count: the row length.
    ///   - modulus: q.
    /// - Note: SEAL: util/polyarithsmallmod.h `modulo_poly_coeffs`
    @inlinable
    package static func reduce(
        _ a: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>, count: Int, modulus: Modulus
    ) {
        for i in 0..<count {
            output[i] = modulus.reduce(a[i])
        }
    }
}
