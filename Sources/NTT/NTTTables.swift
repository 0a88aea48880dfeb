/// Precomputed roots for the negacyclic NTT of one prime: bit-reversed powers of the minimal primitive 2N-th
/// root ψ with their Shoup quotients, the scrambled inverse powers, and N^-1 mod q.
///
/// Tables are immutable and shared; the transforms themselves live in `NTT.swift`.
/// - Note: SEAL: util/ntt.h, util/ntt.cpp `NTTTables::initialize`
public final class NTTTables: Sendable {
    /// N, the number of coefficients transformed.
    public let degree: Int
    /// log2(N).
    public let logDegree: Int
    /// The prime q, with q ≡ 1 (mod 2N).
    public let modulus: Modulus
    /// ψ, the smallest primitive 2N-th root of unity mod q (SEAL's `root_`).
    public let root: UInt64
    /// ψ^-1 mod q.
    public let inverseRoot: UInt64
    /// N^-1 mod q with its Shoup quotient (SEAL's `inv_degree_modulo_`).
    @usableFromInline package let inverseDegree: ShoupOperand

    /// Interleaved `(ψ^i, quotient)` pairs: pair `bitrev(i, logN)` holds ψ^i (SEAL's `root_powers_`).
    @usableFromInline
    let rootTable: [UInt64]
    /// Interleaved pairs: pair `bitrev(i − 1, logN) + 1` holds ψ^-i, pair 0 holds 1 (SEAL's `inv_root_powers_`),
    /// so the Gentleman–Sande loop reads them in order.
    @usableFromInline
    let inverseRootTable: [UInt64]
    /// The last inverse stage's root multiplied by N^-1, so that stage folds in the scaling.
    @usableFromInline
    let lastInverseRootScaled: ShoupOperand

    /// Builds the tables of one prime.
    ///
    /// - Parameters:
    ///   - degree: N, a power of two in `2...131072`.
    ///   - modulus: a prime q ≡ 1 (mod 2N).
    /// - Throws: `NTTError.invalidDegree` for a bad N, `NTTError.noPrimitiveRoot` when q has no 2N-th root.
    public init(degree: Int, modulus: Modulus) throws {
        guard CoeffModulus.degreeRange.contains(degree), UInt64(degree).isPowerOfTwo else {
            throw NTTError.invalidDegree(degree)
        }
        guard let psi = NumberTheory.minimalPrimitiveRoot(degree: UInt64(2 * degree), modulus: modulus),
            let psiInverse = modulus.inverse(psi),
            let nInverse = modulus.inverse(UInt64(degree))
        else { throw NTTError.noPrimitiveRoot(modulus: modulus.value, degree: degree) }
        let logN = UInt64(degree).log2
        self.degree = degree
        logDegree = logN
        self.modulus = modulus
        root = psi
        inverseRoot = psiInverse
        inverseDegree = ShoupOperand(nInverse, modulus: modulus)

        var forward = [UInt64](repeating: 0, count: 2 * degree)
        var power: UInt64 = 1
        for i in 0..<degree {
            let slot = Int(UInt64(i).reversedBits(logN))
            forward[2 * slot] = power
            forward[2 * slot + 1] = ShoupOperand(power, modulus: modulus).quotient
            power = modulus.multiplyMod(power, psi)
        }
        var inverse = [UInt64](repeating: 0, count: 2 * degree)
        inverse[0] = 1
        inverse[1] = ShoupOperand(1, modulus: modulus).quotient
        power = psiInverse
        for i in 1..<degree {
            let slot = Int(UInt64(i - 1).reversedBits(logN)) + 1
            inverse[2 * slot] = power
            inverse[2 * slot + 1] = ShoupOperand(power, modulus: modulus).quotient
            power = modulus.multiplyMod(power, psiInverse)
        }
        rootTable = forward
        inverseRootTable = inverse
        lastInverseRootScaled = ShoupOperand(
            modulus.multiplyMod(inverse[2 * (degree - 1)], nInverse), modulus: modulus)
    }

    /// ψ^bitrev… : the root SEAL stores at `root_powers_[index]` (ψ^bitrev(index, logN)).
    ///
    /// - Parameter index: in `0..<degree`.
    /// - Returns: the residue.
    public func rootPower(at index: Int) -> UInt64 { rootTable[2 * index] }

    /// The root SEAL stores at `inv_root_powers_[index]`.
    ///
    /// - Parameter index: in `0..<degree`.
    /// - Returns: the residue.
    public func inverseRootPower(at index: Int) -> UInt64 { inverseRootTable[2 * index] }
}
