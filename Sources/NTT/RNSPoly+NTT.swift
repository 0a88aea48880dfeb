extension RNSPoly {
    /// Transforms every limb to NTT form in place (SEAL's `transform_to_ntt`).
    ///
    /// - Parameter tables: the level's NTT tables, one per limb (at least `moduliCount`), of degree N.
    /// - Note: SEAL: util/ntt.h `ntt_negacyclic_harvey` per RNS component
    @inlinable
    public mutating func forwardNTT(tables: [NTTTables]) {
        precondition(!isNTTForm, "polynomial is already in NTT form")
        precondition(tables.count >= moduliCount && tables.allSatisfy { $0.degree == degree }, "NTT tables mismatch")
        let n = degree
        coefficients.withUnsafeMutableBufferPointer { words in
            guard let base = words.baseAddress else { return }
            for j in 0..<(words.count / n) { tables[j].forward(base + j * n) }
        }
        isNTTForm = true
    }

    /// Transforms every limb back to coefficient form in place (SEAL's `transform_from_ntt`).
    ///
    /// - Parameter tables: the level's NTT tables, one per limb (at least `moduliCount`), of degree N.
    /// - Note: SEAL: util/ntt.h `inverse_ntt_negacyclic_harvey` per RNS component
    @inlinable
    public mutating func inverseNTT(tables: [NTTTables]) {
        precondition(isNTTForm, "polynomial is not in NTT form")
        precondition(tables.count >= moduliCount && tables.allSatisfy { $0.degree == degree }, "NTT tables mismatch")
        let n = degree
        coefficients.withUnsafeMutableBufferPointer { words in
            guard let base = words.baseAddress else { return }
            for j in 0..<(words.count / n) { tables[j].inverse(base + j * n) }
        }
        isNTTForm = false
    }
}
