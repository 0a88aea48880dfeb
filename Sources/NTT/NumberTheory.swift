/// Primality and roots of unity, as SEAL's `util/numth` uses them to build NTT-friendly primes.
///
/// - Note: SEAL: util/numth.cpp
public enum NumberTheory {
    /// The bases of the deterministic Miller–Rabin test: the first twelve primes decide every 64-bit input.
    @usableFromInline
    static let witnesses: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]

    /// Whether a word is prime: trial division by small primes, then Miller–Rabin.
    ///
    /// SEAL draws random Miller–Rabin bases after base 2; this uses the first `min(trials, 12)` primes as
    /// bases, which is deterministic and exact for every 64-bit value once `trials ≥ 12` (the default is 40, as
    /// in SEAL), so it agrees with SEAL on every prime SEAL can choose.
    /// - Parameters:
    ///   - value: the candidate.
    ///   - trials: how many Miller–Rabin bases to use.
    /// - Returns: true for primes.
    /// - Note: SEAL: util/numth.cpp `is_prime`
    public static func isPrime(_ value: UInt64, trials: Int = 40) -> Bool {
        if value < 2 { return false }
        for p in witnesses {
            if value == p { return true }
            if value % p == 0 { return false }
        }
        // value - 1 = d · 2^s with d odd.
        let s = (value - 1).trailingZeroBitCount
        let d = (value - 1) >> s
        for base in witnesses.prefix(max(1, trials)) {
            if !millerRabinRound(value, base: base, d: d, s: s) { return false }
        }
        return true
    }

    /// One Miller–Rabin round: whether `base` fails to witness that `n` is composite.
    static func millerRabinRound(_ n: UInt64, base: UInt64, d: UInt64, s: Int) -> Bool {
        var x = powModWide(base % n, d, n)
        if x == 1 || x == n - 1 { return true }
        for _ in 1..<max(s, 1) {
            x = mulModWide(x, x, n)
            if x == n - 1 { return true }
        }
        return false
    }

    /// a·b mod n for any 64-bit n (a `Modulus` only covers 61 bits).
    static func mulModWide(_ a: UInt64, _ b: UInt64, _ n: UInt64) -> UInt64 {
        n.dividingFullWidth(a.multipliedFullWidth(by: b)).remainder
    }

    /// base^e mod n for any 64-bit n.
    static func powModWide(_ base: UInt64, _ e: UInt64, _ n: UInt64) -> UInt64 {
        var result: UInt64 = 1 % n
        var power = base % n
        var e = e
        while e != 0 {
            if e & 1 == 1 { result = mulModWide(result, power, n) }
            power = mulModWide(power, power, n)
            e >>= 1
        }
        return result
    }

    /// Whether `root` is a primitive `degree`-th root of unity mod q, for a power-of-two degree.
    ///
    /// - Parameters:
    ///   - root: the candidate.
    ///   - degree: a power of two ≥ 2 (2N for the negacyclic NTT).
    ///   - modulus: q.
    /// - Returns: true when root^(degree/2) ≡ −1 (mod q).
    /// - Note: SEAL: util/numth.cpp `is_primitive_root`
    public static func isPrimitiveRoot(_ root: UInt64, degree: UInt64, modulus: Modulus) -> Bool {
        guard root != 0, degree >= 2, degree.isPowerOfTwo else { return false }
        return modulus.powMod(root, degree >> 1) == modulus.value - 1
    }

    /// The smallest primitive `degree`-th root of unity mod q, the root SEAL's NTT tables use.
    ///
    /// SEAL finds some primitive root from random elements raised to (q−1)/degree and then takes the smallest
    /// of its odd powers; the minimum does not depend on the random start, so this searches the elements 2, 3,
    /// … in order instead.
    /// - Parameters:
    ///   - twoN: the order, a power of two ≥ 2 (2N).
    ///   - modulus: q, a prime with q ≡ 1 (mod twoN).
    /// - Returns: the root, or `nil` when q is not prime or not 1 mod `twoN`.
    /// - Note: SEAL: util/numth.cpp `try_minimal_primitive_root`
    public static func minimalPrimitiveRoot(degree twoN: UInt64, modulus: Modulus) -> UInt64? {
        let q = modulus.value
        guard twoN >= 2, twoN.isPowerOfTwo, modulus.isPrime, (q - 1) % twoN == 0 else { return nil }
        let cofactor = (q - 1) / twoN
        var candidate: UInt64 = 2
        var root: UInt64? = nil
        // Half of all non-zero elements give a primitive root, so this stops after a couple of tries.
        while candidate < q {
            let r = modulus.powMod(candidate, cofactor)
            if isPrimitiveRoot(r, degree: twoN, modulus: modulus) {
                root = r
                break
            }
            candidate += 1
        }
        guard let generator = root else { return nil }
        // The primitive roots are the odd powers generator^1, ^3, …, ^(twoN-1).
        let square = modulus.multiplyMod(generator, generator)
        var current = generator
        var minimum = generator
        for _ in 0..<(twoN / 2) {
            minimum = Swift.min(minimum, current)
            current = modulus.multiplyMod(current, square)
        }
        return minimum
    }
}
