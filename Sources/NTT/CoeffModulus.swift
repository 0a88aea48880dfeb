/// The security level of a parameter set, SEAL's `sec_level_type`.
public enum SecurityLevel: Sendable, Hashable, CaseIterable {
    /// No security check (SEAL's `none`).
    case none
    /// 128-bit classical security (HomomorphicEncryption.org standard, ternary secrets).
    case tc128
    /// 192-bit classical security.
    case tc192
    /// 256-bit classical security.
    case tc256
}

/// Chooses coefficient-modulus primes and reports the security bound on their total size.
///
/// - Note: SEAL: modulus.cpp `CoeffModulus`, util/hestdparms.h
public enum CoeffModulus {
    /// The smallest and largest bit size of a user prime (`SEAL_USER_MOD_BIT_COUNT_MIN/MAX`).
    public static let bitSizeRange = 2...60
    /// The largest number of primes (`SEAL_COEFF_MOD_COUNT_MAX`).
    public static let maxModulusCount = 256
    /// The accepted polynomial degrees' range (`SEAL_POLY_MOD_DEGREE_MIN/MAX`).
    public static let degreeRange = 2...131072

    /// Creates NTT-friendly primes of the given bit sizes, the same ones SEAL's `CoeffModulus::Create` returns.
    ///
    /// For each bit size b, the primes ≡ 1 (mod 2N) below 2^b are found in descending order; each entry of
    /// `bitSizes`, in order, takes the smallest prime of its size not yet taken.
    /// - Parameters:
    ///   - degree: N, a power of two in `2...131072`.
    ///   - bitSizes: one bit size in `2...60` per prime, at most 256 of them.
    /// - Returns: the primes in the order of `bitSizes`.
    /// - Throws: `NTTError.invalidDegree`, `.invalidModulusCount`, `.invalidBitSize`, or `.notEnoughPrimes`
    ///   when fewer primes of a size exist than requested.
    /// - Note: SEAL: modulus.cpp `CoeffModulus::Create`, util/numth.cpp `get_primes`
    public static func create(degree: Int, bitSizes: [Int]) throws -> [Modulus] {
        guard degreeRange.contains(degree), UInt64(degree).isPowerOfTwo else {
            throw NTTError.invalidDegree(degree)
        }
        guard !bitSizes.isEmpty, bitSizes.count <= maxModulusCount else {
            throw NTTError.invalidModulusCount(bitSizes.count)
        }
        if let bad = bitSizes.first(where: { !bitSizeRange.contains($0) }) { throw NTTError.invalidBitSize(bad) }
        var counts: [Int: Int] = [:]
        for size in bitSizes { counts[size, default: 0] += 1 }
        var table: [Int: [Modulus]] = [:]
        for (size, count) in counts {
            table[size] = try primes(factor: UInt64(2 * degree), bitSize: size, count: count, degree: degree)
        }
        var result: [Modulus] = []
        result.reserveCapacity(bitSizes.count)
        for size in bitSizes {
            // Non-nil: `table` holds exactly `counts[size]` primes for every size in `bitSizes`.
            guard let prime = table[size]?.popLast() else {
                throw NTTError.notEnoughPrimes(bitSize: size, degree: degree)
            }
            result.append(prime)
        }
        return result
    }

    /// The largest `count` primes p ≡ 1 (mod factor) with exactly `bitSize` bits, in descending order.
    ///
    /// - Note: SEAL: util/numth.cpp `get_primes`
    static func primes(factor: UInt64, bitSize: Int, count: Int, degree: Int) throws -> [Modulus] {
        let upper = (UInt64(1) << bitSize) - 1
        let lower = UInt64(1) << (bitSize - 1)
        var candidate = upper / factor * factor + 1
        var found: [Modulus] = []
        while found.count < count, candidate > lower {
            if NumberTheory.isPrime(candidate) { found.append(try Modulus(candidate)) }
            guard candidate > factor else { break }
            candidate -= factor
        }
        guard found.count == count else { throw NTTError.notEnoughPrimes(bitSize: bitSize, degree: degree) }
        return found
    }

    /// The largest total bit count of the key-level coefficient modulus that keeps the security level.
    ///
    /// - Parameters:
    ///   - degree: N.
    ///   - securityLevel: the target; `.none` imposes no bound.
    /// - Returns: the bound from SEAL's ternary-secret tables; 0 when N is not tabulated (1024…32768), and
    ///   `Int.max` for `.none`.
    /// - Note: SEAL: modulus.h `CoeffModulus::MaxBitCount`, util/hestdparms.h
    public static func maxBitCount(degree: Int, securityLevel: SecurityLevel = .tc128) -> Int {
        let row: [Int]
        switch securityLevel {
        case .none: return Int.max
        case .tc128: row = [27, 54, 109, 218, 438, 881]
        case .tc192: row = [19, 37, 75, 152, 305, 611]
        case .tc256: row = [14, 29, 58, 118, 237, 476]
        }
        guard degree >= 1024, degree <= 32768, UInt64(degree).isPowerOfTwo else { return 0 }
        return row[UInt64(degree).log2 - 10]
    }
}
