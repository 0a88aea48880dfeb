extension RNSPoly {
    /// self ← self + other, limb by limb.
    ///
    /// - Parameters:
    ///   - other: a polynomial of the same shape and form.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `add_poly_coeffmod`
    @inlinable
    public mutating func add(_ other: RNSPoly, moduli: [Modulus]) {
        precondition(other.isNTTForm == isNTTForm, "RNSPoly forms differ")
        let n = degree
        forEachLimb(with: other, moduli: moduli) { a, b, q in
            PolyArithmetic.add(a, b, into: a, count: n, modulus: q)
        }
    }

    /// self ← self − other, limb by limb.
    ///
    /// - Parameters:
    ///   - other: a polynomial of the same shape and form.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `sub_poly_coeffmod`
    @inlinable
    public mutating func subtract(_ other: RNSPoly, moduli: [Modulus]) {
        precondition(other.isNTTForm == isNTTForm, "RNSPoly forms differ")
        let n = degree
        forEachLimb(with: other, moduli: moduli) { a, b, q in
            PolyArithmetic.subtract(a, b, into: a, count: n, modulus: q)
        }
    }

    /// self ← −self, limb by limb.
    ///
    /// - Parameter moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `negate_poly_coeffmod`
    @inlinable
    public mutating func negate(moduli: [Modulus]) {
        let n = degree
        forEachLimb(moduli: moduli) { a, _, q in PolyArithmetic.negate(a, into: a, count: n, modulus: q) }
    }

    /// self ← self ⊙ other, the dyadic (slot-wise) product of two NTT-form polynomials.
    ///
    /// - Parameters:
    ///   - other: an NTT-form polynomial of the same shape.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `dyadic_product_coeffmod`
    @inlinable
    public mutating func multiplyDyadic(_ other: RNSPoly, moduli: [Modulus]) {
        precondition(isNTTForm && other.isNTTForm, "dyadic products need NTT form")
        let n = degree
        forEachLimb(with: other, moduli: moduli) { a, b, q in
            PolyArithmetic.multiply(a, b, into: a, count: n, modulus: q)
        }
    }

    /// self ← self + a ⊙ b for NTT-form polynomials (one term of a ciphertext product).
    ///
    /// - Parameters:
    ///   - a: an NTT-form polynomial of self's shape.
    ///   - b: an NTT-form polynomial of self's shape.
    ///   - moduli: the level's primes (at least `moduliCount`).
    @inlinable
    public mutating func multiplyAdd(_ a: RNSPoly, _ b: RNSPoly, moduli: [Modulus]) {
        precondition(isNTTForm && a.isNTTForm && b.isNTTForm, "dyadic products need NTT form")
        precondition(a.degree == degree && a.moduliCount == moduliCount, "RNSPoly shapes differ")
        precondition(b.degree == degree && b.moduliCount == moduliCount, "RNSPoly shapes differ")
        precondition(moduli.count >= moduliCount, "fewer moduli than limbs")
        let n = degree
        let k = moduliCount
        a.coefficients.withUnsafeBufferPointer { aWords in
            b.coefficients.withUnsafeBufferPointer { bWords in
                coefficients.withUnsafeMutableBufferPointer { out in
                    guard let x = aWords.baseAddress, let y = bWords.baseAddress, let z = out.baseAddress else {
                        return
                    }
                    for j in 0..<k {
                        PolyArithmetic.multiplyAdd(x + j * n, y + j * n, into: z + j * n, count: n, modulus: moduli[j])
                    }
                }
            }
        }
    }

    /// self ← self · c for an integer constant c, reduced mod each prime.
    ///
    /// - Parameters:
    ///   - scalar: c, any word.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `multiply_poly_scalar_coeffmod`
    @inlinable
    public mutating func multiplyScalar(_ scalar: UInt64, moduli: [Modulus]) {
        let n = degree
        forEachLimb(moduli: moduli) { a, _, q in
            PolyArithmetic.multiply(a, by: ShoupOperand(q.reduce(scalar), modulus: q), into: a, count: n, modulus: q)
        }
    }

    /// self ← self · c_j on limb j, for one residue per prime (an RNS constant).
    ///
    /// - Parameters:
    ///   - scalars: c_j < q_j, one per limb.
    ///   - moduli: the level's primes (at least `moduliCount`).
    @inlinable
    public mutating func multiplyScalars(_ scalars: [UInt64], moduli: [Modulus]) {
        precondition(scalars.count >= moduliCount, "one scalar per limb")
        let n = degree
        forEachLimb(moduli: moduli) { a, j, q in
            PolyArithmetic.multiply(a, by: ShoupOperand(scalars[j], modulus: q), into: a, count: n, modulus: q)
        }
    }
}
