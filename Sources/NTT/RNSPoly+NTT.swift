extension RNSPoly {
    /// Transforms every limb to NTT form in place (SEAL's `transform_to_ntt`).
    ///
    /// - Parameter tables: the level's NTT tables, one per limb (at least `moduliCount`), of degree N.
    /// - Note: SEAL: util/ntt.h `ntt_negacyclic_harvey` per RNS component
    /// - Throws: ``NTTError/invalidArgument(_:)`` for a polynomial already in NTT form, or tables too few or of
    ///   another degree.
    @inlinable
    public mutating func forwardNTT(tables: [NTTTables]) throws {
        guard !isNTTForm else { throw NTTError.invalidArgument("the polynomial is already in NTT form") }
        try checkTables(tables)
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
    /// - Throws: ``NTTError/invalidArgument(_:)`` for a polynomial not in NTT form, or tables too few or of another
    ///   degree.
    @inlinable
    public mutating func inverseNTT(tables: [NTTTables]) throws {
        guard isNTTForm else { throw NTTError.invalidArgument("the polynomial is not in NTT form") }
        try checkTables(tables)
        let n = degree
        coefficients.withUnsafeMutableBufferPointer { words in
            guard let base = words.baseAddress else { return }
            for j in 0..<(words.count / n) { tables[j].inverse(base + j * n) }
        }
        isNTTForm = false
    }

    /// Throws unless there is a table of degree N for every limb.
    @inlinable
    func checkTables(_ tables: [NTTTables]) throws {
        guard tables.count >= moduliCount, tables.allSatisfy({ $0.degree == degree }) else {
            throw NTTError.invalidArgument("\(tables.count) NTT tables for \(moduliCount) limbs of degree \(degree)")
        }
    }
}
