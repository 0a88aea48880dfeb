/// A base of pairwise-coprime word moduli q_0 … q_{k−1} and the constants of the Chinese Remainder Theorem
/// for Q = ∏ q_i: exact decomposition of big integers into residues and composition back.
///
/// Big integers are little-endian words; composed values use exactly `count` words (Q < 2^(64·k)).
/// - Note: SEAL: util/rns.h, util/rns.cpp `RNSBase`
public final class RNSBase: Sendable {
    /// The moduli q_i.
    public let moduli: [Modulus]
    /// Q = ∏ q_i as `count` little-endian words (SEAL's `base_prod_`).
    public let product: [UInt64]
    /// (Q + 1) / 2 as `count` little-endian words: composed values at or above it stand for negative numbers
    /// (SEAL's `ContextData::upper_half_threshold`, used by CKKS decoding).
    package let upperHalfThreshold: [UInt64]
    /// Q / q_i as `count` little-endian words each (SEAL's `punctured_prod_array_`).
    package let puncturedProducts: [[UInt64]]
    /// (Q / q_i)^-1 mod q_i with Shoup quotients (SEAL's `inv_punctured_prod_mod_base_array_`).
    package let inversePuncturedProducts: [ShoupOperand]

    /// The number of moduli k.
    public var count: Int { moduli.count }

    /// Precomputes the CRT constants of a base.
    ///
    /// - Parameter moduli: 1…256 moduli, pairwise coprime.
    /// - Throws: `NTTError.invalidModulusCount` for an empty or too long list, `NTTError.moduliNotCoprime`
    ///   when two moduli share a factor.
    public init(_ moduli: [Modulus]) throws {
        guard !moduli.isEmpty, moduli.count <= CoeffModulus.maxModulusCount else {
            throw NTTError.invalidModulusCount(moduli.count)
        }
        for i in 0..<moduli.count {
            for j in (i + 1)..<moduli.count where RNSBase.gcd(moduli[i].value, moduli[j].value) != 1 {
                throw NTTError.moduliNotCoprime(moduli[i].value, moduli[j].value)
            }
        }
        let k = moduli.count
        let q = GMPInteger(words: [1])
        for m in moduli { q.multiply(by: m.value) }
        var punctured: [[UInt64]] = []
        var inverses: [ShoupOperand] = []
        for i in 0..<k {
            let p = GMPInteger(words: [1])
            for (j, m) in moduli.enumerated() where j != i { p.multiply(by: m.value) }
            punctured.append(p.words(count: k))
            // Non-nil: Q/q_i is a product of moduli coprime to q_i.
            guard let inverse = moduli[i].inverse(p.remainder(dividingBy: moduli[i].value)) else {
                throw NTTError.moduliNotCoprime(moduli[i].value, moduli[i].value)
            }
            inverses.append(ShoupOperand(inverse, modulus: moduli[i]))
        }
        self.moduli = moduli
        product = q.words(count: k)
        q.addProduct(GMPInteger(words: [1]), 1)
        q.divideByTwo()
        upperHalfThreshold = q.words(count: k)
        puncturedProducts = punctured
        inversePuncturedProducts = inverses
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// The residues of a big integer modulo each q_i.
    ///
    /// - Parameter value: little-endian words of any length.
    /// - Returns: `count` residues, entry i in `[0, q_i)`.
    /// - Note: SEAL: util/rns.cpp `RNSBase::decompose`
    public func decompose(_ value: [UInt64]) -> [UInt64] {
        moduli.map { m in value.reversed().reduce(UInt64(0)) { m.reduce(high: $0, low: $1) } }
    }

    /// The unique integer in `[0, Q)` with the given residues.
    ///
    /// - Parameter residues: `count` residues, entry i below q_i.
    /// - Returns: `count` little-endian words.
    /// - Note: SEAL: util/rns.cpp `RNSBase::compose`
    /// - Throws: ``NTTError/invalidArgument(_:)`` unless there is one residue per modulus.
    public func compose(_ residues: [UInt64]) throws -> [UInt64] {
        guard residues.count == count else {
            throw NTTError.invalidArgument("\(residues.count) residues for a base of \(count) moduli")
        }
        let scratch = CompositionScratch(base: self)
        return residues.withUnsafeBufferPointer { r in
            [UInt64](unsafeUninitializedCapacity: count) { out, initialized in
                if let input = r.baseAddress, let output = out.baseAddress {
                    scratch.compose(input, stride: 1, into: output)
                }
                initialized = count
            }
        }
    }

    /// Composes every coefficient of a coefficient-form polynomial in this base.
    ///
    /// - Parameter poly: a coefficient-form polynomial with `count` limbs.
    /// - Returns: `degree · count` words, coefficient-major: words `i·k ..< (i+1)·k` hold coefficient i in
    ///   `[0, Q)` (SEAL's `compose_array` layout).
    /// - Note: SEAL: util/rns.cpp `RNSBase::compose_array`
    /// - Throws: ``NTTError/invalidArgument(_:)`` for an NTT-form polynomial or one with another limb count.
    public func compose(poly: RNSPoly) throws -> [UInt64] {
        guard !poly.isNTTForm, poly.moduliCount == count else {
            throw NTTError.invalidArgument("compose needs a coefficient-form polynomial of \(count) limbs")
        }
        let n = poly.degree
        let k = count
        let scratch = CompositionScratch(base: self)
        return poly.coefficients.withUnsafeBufferPointer { input in
            [UInt64](unsafeUninitializedCapacity: n * k) { out, initialized in
                if let src = input.baseAddress, let dst = out.baseAddress {
                    for i in 0..<n { scratch.compose(src + i, stride: n, into: dst + i * k) }
                }
                initialized = n * k
            }
        }
    }

    /// Decomposes coefficient-major big integers into a coefficient-form RNS polynomial.
    ///
    /// - Parameters:
    ///   - words: `degree · count` words, coefficient i at `i·k ..< (i+1)·k` (any value below 2^(64·k)).
    ///   - degree: N.
    /// - Returns: the polynomial with limb j holding each coefficient mod q_j.
    /// - Note: SEAL: util/rns.cpp `RNSBase::decompose_array`
    /// - Throws: ``NTTError/invalidArgument(_:)`` unless there are `degree · count` words for a positive degree.
    public func decompose(words: [UInt64], degree: Int) throws -> RNSPoly {
        let k = count
        guard degree > 0, words.count == degree * k else {
            throw NTTError.invalidArgument(
                "decompose needs \(k) words per coefficient for degree \(degree), got \(words.count)")
        }
        var poly = try RNSPoly(degree: degree, moduliCount: k)
        for (j, m) in moduli.enumerated() {
            for i in 0..<degree {
                var r: UInt64 = 0
                for w in stride(from: k - 1, through: 0, by: -1) { r = m.reduce(high: r, low: words[i * k + w]) }
                poly.coefficients[j * degree + i] = r
            }
        }
        return poly
    }
}

/// GMP temporaries for composing many values in one base: the punctured products imported once.
final class CompositionScratch {
    let base: RNSBase
    let modulus = GMPInteger()
    let punctured: [GMPInteger]
    let accumulator = GMPInteger()

    init(base: RNSBase) {
        self.base = base
        modulus.set(words: base.product)
        punctured = base.puncturedProducts.map { GMPInteger(words: $0) }
    }

    /// Writes the CRT composition of residues `input[0], input[stride], …` as `base.count` words.
    func compose(_ input: UnsafePointer<UInt64>, stride: Int, into output: UnsafeMutablePointer<UInt64>) {
        // x = Σ [r_i · (Q/q_i)^-1 mod q_i] · (Q/q_i) mod Q; each term is below Q, so the sum is below k·Q.
        accumulator.setZero()
        for i in 0..<base.count {
            let scaled = base.inversePuncturedProducts[i].multiplyMod(input[i * stride], modulus: base.moduli[i])
            accumulator.addProduct(punctured[i], scaled)
        }
        accumulator.reduce(modulo: modulus)
        accumulator.export(into: output, count: base.count)
    }
}
