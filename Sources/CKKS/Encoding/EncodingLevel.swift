import NTT

/// What the encoder needs from one level of the modulus chain: its primes, their NTT tables, the bit count of
/// their product (for SEAL's range checks) and the CRT constants for decoding.
struct EncodingLevel: Sendable {
    /// The level's primes q_0..q_{k-1}.
    let moduli: [Modulus]
    /// NTT tables, one per prime.
    let tables: [NTTTables]
    /// The bit count of Q = ∏ q_j (`total_coeff_modulus_bit_count`).
    let totalBitCount: Int
    /// Exact CRT composition for decoding.
    let composer: CRTComposer

    /// The encoding data of a chain level.
    /// - Parameter contextData: the level.
    init(_ contextData: ContextData) {
        moduli = contextData.coeffModulus
        tables = contextData.nttTables
        totalBitCount = contextData.totalCoeffModulusBitCount
        composer = CRTComposer(moduli: moduli)
    }
}
