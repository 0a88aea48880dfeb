import NTT

/// The precomputation of one level of the modulus chain: its parameters and parms_id, NTT tables per prime,
/// the total modulus Q, and the RNS constants rescaling needs.
/// - Note: SEAL: context.h `SEALContext::ContextData`.
public final class ContextData: Sendable {
    /// This level's parameters (a prefix of the key level's primes).
    public let parms: EncryptionParameters
    /// Position in the chain: the key level has the highest index, the last level 0 (`chain_index`).
    public let chainIndex: Int
    /// One NTT table per prime of this level (`small_ntt_tables`).
    public let nttTables: [NTTTables]
    /// The level above (towards the key level), or `nil` at the key level (`prev_context_data`).
    public let previousParmsID: ParmsID?
    /// The level below, or `nil` at the last level (`next_context_data`).
    public let nextParmsID: ParmsID?
    /// Q = q_0 … q_{k-1} as little-endian words (`total_coeff_modulus`).
    public let totalCoeffModulus: [UInt64]
    /// The bit count of Q (`total_coeff_modulus_bit_count`).
    public let totalCoeffModulusBitCount: Int
    /// (Q + 1) / 2 as little-endian words, the threshold above which a CRT-composed value is negative
    /// (`upper_half_threshold`, used by decoding).
    public let upperHalfThreshold: [UInt64]
    /// q_{k-1}^{-1} mod q_i for i < k - 1, with Shoup quotients: what rescaling by the last prime multiplies by
    /// (`RNSTool::inv_q_last_mod_q`).
    ///
    /// Empty for a single prime.
    package let inverseLastModulusModQ: [ShoupOperand]

    init(
        parms: EncryptionParameters, chainIndex: Int, nttTables: [NTTTables], previousParmsID: ParmsID?,
        nextParmsID: ParmsID?
    ) {
        self.parms = parms
        self.chainIndex = chainIndex
        self.nttTables = nttTables
        self.previousParmsID = previousParmsID
        self.nextParmsID = nextParmsID
        let moduli = parms.coeffModulus
        var product: [UInt64] = [1]
        for q in moduli { product = Self.multiply(product, by: q.value) }
        totalCoeffModulus = product
        totalCoeffModulusBitCount = Self.bitCount(product)
        upperHalfThreshold = Self.halfRoundingUp(product)
        if let last = moduli.last, moduli.count > 1 {
            inverseLastModulusModQ = moduli.dropLast().map { q in
                // q_last and q_i are distinct primes, so the inverse exists (checked by CKKSContext).
                ShoupOperand(q.inverse(last.value) ?? 0, modulus: q)
            }
        } else {
            inverseLastModulusModQ = []
        }
    }

    /// This level's parms_id.
    public var parmsID: ParmsID { parms.parmsID }
    /// This level's primes.
    public var coeffModulus: [Modulus] { parms.coeffModulus }
    /// N.
    public var polyModulusDegree: Int { parms.polyModulusDegree }

    static func multiply(_ a: [UInt64], by w: UInt64) -> [UInt64] {
        var result = [UInt64]()
        result.reserveCapacity(a.count + 1)
        var carry: UInt64 = 0
        for word in a {
            let (high, low) = word.multipliedFullWidth(by: w)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            result.append(sum)
            carry = high &+ (overflow ? 1 : 0)
        }
        if carry != 0 { result.append(carry) }
        return result
    }

    static func bitCount(_ a: [UInt64]) -> Int {
        guard let top = a.lastIndex(where: { $0 != 0 }) else { return 0 }
        return 64 * top + (64 - a[top].leadingZeroBitCount)
    }

    /// (a + 1) / 2 for a multiword a.
    static func halfRoundingUp(_ a: [UInt64]) -> [UInt64] {
        var plusOne = a
        var i = 0
        while i < plusOne.count {
            let (sum, overflow) = plusOne[i].addingReportingOverflow(1)
            plusOne[i] = sum
            if !overflow { break }
            i += 1
        }
        if i == plusOne.count { plusOne.append(1) }
        var result = [UInt64](repeating: 0, count: plusOne.count)
        for j in stride(from: plusOne.count - 1, through: 0, by: -1) {
            let carryIn = j + 1 < plusOne.count ? plusOne[j + 1] & 1 : 0
            result[j] = plusOne[j] >> 1 | carryIn << 63
        }
        while result.count > 1, result.last == 0 { result.removeLast() }
        return result
    }
}
