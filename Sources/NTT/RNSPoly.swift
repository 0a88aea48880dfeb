/// A polynomial of Z[X]/(X^N + 1) in RNS form: one row ("limb") of N residues per prime, limb-major in one
/// contiguous array, in coefficient or NTT form.
///
/// Word `j·N + i` is coefficient (or NTT slot) i modulo q_j, SEAL's layout for ciphertexts and plaintexts.
/// Operations take the moduli (or NTT tables) of the level; a list longer than `moduliCount` is fine because
/// a level's primes are always a prefix of the key level's, and only its first `moduliCount` entries are used.
public struct RNSPoly: Sendable, Hashable {
    /// The residues, `degree · moduliCount` words; row j is the polynomial mod q_j.
    public var coefficients: [UInt64]
    /// N.
    public let degree: Int
    /// Whether the rows hold NTT values (SEAL's `is_ntt_form`) rather than coefficients.
    public var isNTTForm: Bool

    /// The number of limbs (primes).
    public var moduliCount: Int { coefficients.count / degree }

    /// A zero polynomial.
    ///
    /// - Parameters:
    ///   - degree: N ≥ 1.
    ///   - moduliCount: the number of limbs.
    ///   - isNTTForm: the form the words are in.
    /// - Throws: ``NTTError/invalidArgument(_:)`` for a degree below 1 or a negative limb count.
    public init(degree: Int, moduliCount: Int, isNTTForm: Bool = false) throws {
        guard degree > 0, moduliCount >= 0, moduliCount <= Int.max / degree else {
            throw NTTError.invalidArgument(
                "an RNSPoly needs a positive degree and limb count, got \(degree) and \(moduliCount)")
        }
        coefficients = [UInt64](repeating: 0, count: degree * moduliCount)
        self.degree = degree
        self.isNTTForm = isNTTForm
    }

    /// Wraps existing limb-major words.
    ///
    /// - Parameters:
    ///   - coefficients: `degree · k` words, row j reduced mod q_j.
    ///   - degree: N ≥ 1, dividing `coefficients.count`.
    ///   - isNTTForm: the form the words are in.
    /// - Throws: ``NTTError/invalidArgument(_:)`` for a degree below 1 or a word count it does not divide.
    public init(coefficients: [UInt64], degree: Int, isNTTForm: Bool) throws {
        guard degree > 0, coefficients.count % degree == 0 else {
            throw NTTError.invalidArgument("\(coefficients.count) words are not limbs of degree \(degree)")
        }
        self.coefficients = coefficients
        self.degree = degree
        self.isNTTForm = isNTTForm
    }

    /// The words of limb j.
    ///
    /// - Parameter j: the limb index.
    /// - Returns: N residues mod q_j.
    public func limb(_ j: Int) -> ArraySlice<UInt64> { coefficients[j * degree..<(j + 1) * degree] }

    /// Removes the last `count` limbs (SEAL's mod-switch drop: the level's primes are a prefix).
    ///
    /// - Parameter count: how many limbs to drop, at most `moduliCount`.
    /// - Throws: ``NTTError/invalidArgument(_:)`` for a negative count or more limbs than exist.
    public mutating func dropLastLimbs(_ count: Int = 1) throws {
        guard count >= 0, count <= moduliCount else {
            throw NTTError.invalidArgument("cannot drop \(count) of \(moduliCount) limbs")
        }
        coefficients.removeLast(count * degree)
    }

    /// Runs `body` with mutable pointers to self's and another polynomial's words, limb by limb.
    @inlinable
    mutating func forEachLimb(
        with other: RNSPoly, moduli: [Modulus],
        _ body: (UnsafeMutablePointer<UInt64>, UnsafePointer<UInt64>, Modulus) -> Void
    ) throws {
        try checkShape(other)
        try checkModuli(moduli)
        let n = degree
        let k = moduliCount
        other.coefficients.withUnsafeBufferPointer { theirs in
            coefficients.withUnsafeMutableBufferPointer { mine in
                guard let b = theirs.baseAddress, let a = mine.baseAddress else { return }
                for j in 0..<k { body(a + j * n, b + j * n, moduli[j]) }
            }
        }
    }

    /// Runs `body` with a mutable pointer to each limb and its modulus.
    @inlinable
    mutating func forEachLimb(moduli: [Modulus], _ body: (UnsafeMutablePointer<UInt64>, Int, Modulus) -> Void) throws {
        try checkModuli(moduli)
        let n = degree
        let k = moduliCount
        coefficients.withUnsafeMutableBufferPointer { mine in
            guard let a = mine.baseAddress else { return }
            for j in 0..<k { body(a + j * n, j, moduli[j]) }
        }
    }

    /// Throws unless `other` has self's degree and limb count.
    @inlinable
    func checkShape(_ other: RNSPoly) throws {
        guard other.degree == degree, other.moduliCount == moduliCount else {
            throw NTTError.invalidArgument(
                "RNSPoly shapes differ: \(moduliCount) limbs of degree \(degree) and \(other.moduliCount) "
                    + "of \(other.degree)")
        }
    }

    /// Throws unless there is a modulus for every limb.
    @inlinable
    func checkModuli(_ moduli: [Modulus]) throws {
        guard moduli.count >= moduliCount else {
            throw NTTError.invalidArgument("\(moduli.count) moduli for \(moduliCount) limbs")
        }
    }
}
