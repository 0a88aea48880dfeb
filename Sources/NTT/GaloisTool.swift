/// Galois automorphisms X ↦ X^g of Z[X]/(X^N + 1): elements for rotation steps, SEAL's NTT-domain permutation
/// tables, and the coefficient-domain map.
///
/// - Note: SEAL: util/galois.h, util/galois.cpp `GaloisTool`
public enum GaloisTool {
    /// The generator of the rotation group: 3 has order N/2 modulo 2N (SEAL's `generator_`).
    public static let generator: UInt64 = 3

    /// The Galois element that rotates CKKS slots by `step` (left for positive steps).
    ///
    /// - Parameters:
    ///   - step: the rotation; 0 means complex conjugation; |step| < N/2.
    ///   - degree: N, a power of two ≥ 2.
    /// - Returns: 3^step mod 2N (3^(N/2 − |step|) for negative steps), or 2N − 1 for step 0.
    /// - Throws: `NTTError.invalidDegree` for a bad N, `NTTError.invalidGaloisStep` when |step| ≥ N/2.
    /// - Note: SEAL: util/galois.cpp `GaloisTool::get_elt_from_step`
    public static func galoisElement(step: Int, degree: Int) throws -> UInt64 {
        guard degree >= 2, UInt64(degree).isPowerOfTwo else { throw NTTError.invalidDegree(degree) }
        let twoN = UInt64(2 * degree)
        if step == 0 { return twoN - 1 }
        let rowSize = degree >> 1
        guard step.magnitude < UInt(rowSize) else { throw NTTError.invalidGaloisStep(step: step, degree: degree) }
        let exponent = step > 0 ? Int(step.magnitude) : rowSize - Int(step.magnitude)
        // Repeated multiplication mod 2N, as SEAL builds the power.
        var element: UInt64 = 1
        for _ in 0..<exponent { element = (element * generator) & (twoN - 1) }
        return element
    }

    /// The Galois elements of several steps.
    ///
    /// - Parameters:
    ///   - steps: rotation steps, each with |step| < N/2 (0 for conjugation).
    ///   - degree: N.
    /// - Returns: one element per step, in order.
    /// - Throws: as `galoisElement(step:degree:)`.
    /// - Note: SEAL: util/galois.cpp `GaloisTool::get_elts_from_steps`
    public static func galoisElements(steps: [Int], degree: Int) throws -> [UInt64] {
        try steps.map { try galoisElement(step: $0, degree: degree) }
    }

    /// The element of complex conjugation, 2N − 1.
    ///
    /// - Parameter degree: N.
    /// - Returns: 2N − 1.
    public static func conjugateElement(degree: Int) -> UInt64 { UInt64(2 * degree - 1) }

    /// The index of a Galois element in SEAL's Galois-key vector, (g − 1) / 2.
    ///
    /// - Parameter element: an odd element.
    /// - Returns: (g − 1) / 2.
    /// - Note: SEAL: util/galois.h `GaloisTool::GetIndexFromElt`
    package static func index(ofElement element: UInt64) -> Int { Int((element - 1) >> 1) }

    /// Checks that a Galois element is valid for degree N: odd and below 2N.
    ///
    /// - Parameters:
    ///   - element: g.
    ///   - degree: N.
    /// - Throws: `NTTError.invalidGaloisElement` otherwise.
    package static func validate(element: UInt64, degree: Int) throws {
        guard element & 1 == 1, element < UInt64(2 * degree) else { throw NTTError.invalidGaloisElement(element) }
    }

    /// SEAL's permutation table for applying X ↦ X^g to an NTT-form row: output slot i takes input slot
    /// `table[i]`.
    ///
    /// Slot i of an NTT row is the evaluation at ψ^(2·bitrev(i)+1); X ↦ X^g maps that point's exponent e to
    /// g·e mod 2N, so the table is bitrev(((g · bitrev(N + i, logN + 1)) >> 1) mod N, logN).
    /// - Parameters:
    ///   - element: g, odd and below 2N.
    ///   - degree: N, a power of two ≥ 2.
    /// - Returns: N indices.
    /// - Note: SEAL: util/galois.cpp `GaloisTool::generate_table_ntt`
    package static func nttPermutation(element: UInt64, degree: Int) -> [UInt32] {
        precondition(degree >= 2 && UInt64(degree).isPowerOfTwo, "degree must be a power of two")
        precondition(element & 1 == 1 && element < UInt64(2 * degree), "Galois element must be odd and below 2N")
        let logN = UInt64(degree).log2
        let mask = UInt64(degree - 1)
        return (0..<degree).map { i in
            let reversed = UInt64(degree + i).reversedBits(logN + 1)
            let raw = ((element &* reversed) >> 1) & mask
            return UInt32(raw.reversedBits(logN))
        }
    }

    /// Applies X ↦ X^g to one NTT-form row with a precomputed table (a pure permutation, no negation).
    ///
    /// - Parameters:
    ///   - input: N words.
    ///   - permutation: `nttPermutation(element:degree:)`.
    ///   - output: N words, must not overlap `input`.
    /// - Note: SEAL: util/galois.cpp `GaloisTool::apply_galois_ntt`
    @inlinable
    package static func applyGaloisNTT(
        _ input: UnsafePointer<UInt64>, permutation: [UInt32], into output: UnsafeMutablePointer<UInt64>
    ) {
        permutation.withUnsafeBufferPointer { table in
            for i in 0..<table.count { output[i] = input[Int(table[i])] }
        }
    }

    /// Applies X ↦ X^g to one NTT-form row, building the permutation table first.
    ///
    /// Callers that apply the same element repeatedly should keep `nttPermutation(element:degree:)` and use
    /// `applyGaloisNTT(_:permutation:into:)`, which does not allocate.
    /// - Parameters:
    ///   - input: N words.
    ///   - element: g, odd and below 2N.
    ///   - degree: N.
    ///   - output: N words, must not overlap `input`.
    /// - Note: SEAL: util/galois.cpp `GaloisTool::apply_galois_ntt`
    package static func applyGaloisNTT(
        _ input: UnsafePointer<UInt64>, element: UInt64, degree: Int, into output: UnsafeMutablePointer<UInt64>
    ) {
        applyGaloisNTT(input, permutation: nttPermutation(element: element, degree: degree), into: output)
    }

    /// Applies X ↦ X^g to one coefficient-form row: coefficient i moves to i·g mod 2N, negated when that
    /// lands at or beyond N (X^N = −1).
    ///
    /// - Parameters:
    ///   - input: N residues mod q.
    ///   - element: g, odd and below 2N.
    ///   - degree: N, a power of two.
    ///   - modulus: q.
    ///   - output: N words, must not overlap `input`.
    /// - Note: SEAL: util/galois.cpp `GaloisTool::apply_galois`
    package static func applyGalois(
        _ input: UnsafePointer<UInt64>, element: UInt64, degree: Int, modulus: Modulus,
        into output: UnsafeMutablePointer<UInt64>
    ) {
        precondition(degree >= 2 && UInt64(degree).isPowerOfTwo, "degree must be a power of two")
        precondition(element & 1 == 1 && element < UInt64(2 * degree), "Galois element must be odd and below 2N")
        let logN = UInt64(degree).log2
        let mask = UInt64(degree - 1)
        for i in 0..<degree {
            let raw = UInt64(i) &* element
            let value = input[i]
            output[Int(raw & mask)] = (raw >> logN) & 1 == 1 ? modulus.negateMod(value) : value
        }
    }

    /// The non-adjacent form of a rotation step: the signed powers of two CKKS rotates by, in order, when no
    /// key exists for the step itself.
    ///
    /// - Parameter value: the step.
    /// - Returns: terms ±2^i from the least significant, summing to `value`.
    /// - Note: SEAL: util/numth.h `naf`
    package static func naf(_ value: Int) -> [Int] {
        var terms: [Int] = []
        let negative = value < 0
        var remaining = value.magnitude
        var power = 1
        while remaining != 0 {
            // z = 2 − (remaining mod 4) for odd values: ±1, chosen so the next bit becomes zero.
            let z: Int = remaining & 1 == 1 ? 2 - Int(remaining & 3) : 0
            remaining = z >= 0 ? (remaining - UInt(z)) >> 1 : (remaining + 1) >> 1
            if z != 0 { terms.append((negative ? -z : z) * power) }
            power <<= 1
        }
        return terms
    }
}
