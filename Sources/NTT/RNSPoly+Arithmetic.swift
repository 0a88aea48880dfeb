extension RNSPoly {
    /// self ← self + other, limb by limb.
    ///
    /// - Parameters:
    ///   - other: a polynomial of the same shape and form.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `add_poly_coeffmod`
    /// - Throws: ``NTTError/invalidArgument(_:)`` for operands of other shapes or forms, or too few moduli.
    @inlinable
    public mutating func add(_ other: RNSPoly, moduli: [Modulus]) throws {
        try checkForm(other)
        let n = degree
        try forEachLimb(with: other, moduli: moduli) { a, b, q in
            PolyArithmetic.add(a, b, into: a, count: n, modulus: q)
        }
    }

    /// self ← self − other, limb by limb.
    ///
    /// - Parameters:
    ///   - other: a polynomial of the same shape and form.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `sub_poly_coeffmod`
    /// - Throws: ``NTTError/invalidArgument(_:)`` for operands of other shapes or forms, or too few moduli.
    @inlinable
    public mutating func subtract(_ other: RNSPoly, moduli: [Modulus]) throws {
        try checkForm(other)
        let n = degree
        try forEachLimb(with: other, moduli: moduli) { a, b, q in
            PolyArithmetic.subtract(a, b, into: a, count: n, modulus: q)
        }
    }

    /// self ← −self, limb by limb.
    ///
    /// - Parameter moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `negate_poly_coeffmod`
    /// - Throws: ``NTTError/invalidArgument(_:)`` for too few moduli.
    @inlinable
    public mutating func negate(moduli: [Modulus]) throws {
        let n = degree
        try forEachLimb(moduli: moduli) { a, _, q in PolyArithmetic.negate(a, into: a, count: n, modulus: q) }
    }

    /// self ← self ⊙ other, the dyadic (slot-wise) product of two NTT-form polynomials.
    ///
    /// - Parameters:
    ///   - other: an NTT-form polynomial of the same shape.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Note: SEAL: util/polyarithsmallmod.h `dyadic_product_coeffmod`
    /// - Throws: ``NTTError/invalidArgument(_:)`` for an operand not in NTT form or of another shape, or too few
    ///   moduli.
    @inlinable
    public mutating func multiplyDyadic(_ other: RNSPoly, moduli: [Modulus]) throws {
        guard isNTTForm, other.isNTTForm else { throw NTTError.invalidArgument("dyadic products need NTT form") }
        let n = degree
        try forEachLimb(with: other, moduli: moduli) { a, b, q in
            PolyArithmetic.multiply(a, b, into: a, count: n, modulus: q)
        }
    }

    /// self ← self + a ⊙ b for NTT-form polynomials (one term of a ciphertext product).
    ///
    /// - Parameters:
    ///   - a: an NTT-form polynomial of self's shape.
    ///   - b: an NTT-form polynomial of self's shape.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Throws: ``NTTError/invalidArgument(_:)`` for an operand not in NTT form or of another shape, or too few
    ///   moduli.
    @inlinable
    public mutating func multiplyAdd(_ a: RNSPoly, _ b: RNSPoly, moduli: [Modulus]) throws {
        guard isNTTForm, a.isNTTForm, b.isNTTForm else {
            throw NTTError.invalidArgument("dyadic products need NTT form")
        }
        try checkShape(a)
        try checkShape(b)
        try checkModuli(moduli)
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
    /// - Throws: ``NTTError/invalidArgument(_:)`` for too few moduli.
    @inlinable
    public mutating func multiplyScalar(_ scalar: UInt64, moduli: [Modulus]) throws {
        let n = degree
        try forEachLimb(moduli: moduli) { a, _, q in
            PolyArithmetic.multiply(a, by: ShoupOperand(q.reduce(scalar), modulus: q), into: a, count: n, modulus: q)
        }
    }

    /// self ← self · c_j on limb j, for one residue per prime (an RNS constant).
    ///
    /// - Parameters:
    ///   - scalars: c_j < q_j, one per limb.
    ///   - moduli: the level's primes (at least `moduliCount`).
    /// - Throws: ``NTTError/invalidArgument(_:)`` for too few scalars or moduli, or a scalar not below its prime.
    @inlinable
    public mutating func multiplyScalars(_ scalars: [UInt64], moduli: [Modulus]) throws {
        guard scalars.count >= moduliCount else {
            throw NTTError.invalidArgument("\(scalars.count) scalars for \(moduliCount) limbs")
        }
        try checkModuli(moduli)
        for j in 0..<moduliCount where scalars[j] >= moduli[j].value {
            throw NTTError.invalidArgument("scalar \(j) is not below its prime \(moduli[j].value)")
        }
        let n = degree
        try forEachLimb(moduli: moduli) { a, j, q in
            PolyArithmetic.multiply(a, by: ShoupOperand(scalars[j], modulus: q), into: a, count: n, modulus: q)
        }
    }

    /// Throws unless `other` is in self's form.
    @inlinable
    func checkForm(_ other: RNSPoly) throws {
        guard other.isNTTForm == isNTTForm else { throw NTTError.invalidArgument("RNSPoly forms differ") }
    }
}
