/// A CKKS ciphertext: `size` polynomials (2 when fresh, 3 after a multiplication) at one level, stored as one
/// flat array: polynomial `p`, prime `j`, slot `i` is word `(p * k + j) * N + i`.
///
/// A ciphertext from symmetric encryption can remember the public seed its c1 was expanded from
/// (``seed``); it is then saved in SEAL's seeded form (c0 and the seed, about half the size). Any change to
/// ``data`` forgets the seed, so a stale seed is never written.
/// - Note: SEAL: ciphertext.h `Ciphertext` (`parms_id`, `is_ntt_form`, `size`, `poly_modulus_degree`,
///   `coeff_modulus_size`, `scale`, `correction_factor`, `data`).
public struct Ciphertext: Sendable, Hashable {
    /// The level (`parms_id`).
    public var parmsID: ParmsID
    /// Whether the polynomials are in NTT form; always true for CKKS.
    public var isNTTForm: Bool
    /// Number of polynomials.
    public var size: Int
    /// N.
    public var polyModulusDegree: Int
    /// k, the number of primes at this level.
    public var coeffModulusSize: Int
    /// The CKKS scale.
    public var scale: Double
    /// SEAL's BGV correction factor, stored by SEAL 4.x files; always 1 for CKKS.
    public var correctionFactor: UInt64
    /// `size * k * N` words.
    public var data: [UInt64] {
        didSet { seed = nil }
    }
    /// The public seed c1 was sampled from (``RLWESampler/sampleUniform(into:degree:moduli:using:)`` over
    /// this level's primes, already the NTT-form words), if known; makes ``serialized(version:comprMode:)``
    /// write the seeded form.
    ///
    /// A symmetric encryptor sets it last, after writing ``data``:
    /// `let publicSeed = PRNGSeed(drawingFrom: &bootstrap)`, `var cprng = UniformRandomGeneratorFactory.default
    /// .create(seed: publicSeed)`, sample c1 from `cprng`, compute c0, then `ciphertext.seed = cprng.info`.
    public var seed: UniformRandomGeneratorInfo?

    /// A ciphertext from its parts.
    /// - Parameters:
    ///   - parmsID: the level.
    ///   - size: number of polynomials.
    ///   - polyModulusDegree: N.
    ///   - coeffModulusSize: k.
    ///   - scale: the scale.
    ///   - isNTTForm: NTT form (true for CKKS).
    ///   - correctionFactor: 1 for CKKS.
    ///   - data: `size * k * N` words.
    public init(
        parmsID: ParmsID, size: Int, polyModulusDegree: Int, coeffModulusSize: Int, scale: Double,
        isNTTForm: Bool = true, correctionFactor: UInt64 = 1, data: [UInt64]
    ) {
        self.parmsID = parmsID
        self.size = size
        self.polyModulusDegree = polyModulusDegree
        self.coeffModulusSize = coeffModulusSize
        self.scale = scale
        self.isNTTForm = isNTTForm
        self.correctionFactor = correctionFactor
        self.data = data
        seed = nil
    }

    /// An all-zero ciphertext of `size` polynomials at a level (`Ciphertext::resize`), NTT form, scale 1.
    /// - Parameters:
    ///   - contextData: the level.
    ///   - size: number of polynomials (2 by default).
    ///   - scale: the scale.
    public init(zeroAt contextData: ContextData, size: Int = 2, scale: Double = 1) {
        let n = contextData.polyModulusDegree
        let k = contextData.coeffModulus.count
        self.init(
            parmsID: contextData.parmsID, size: size, polyModulusDegree: n, coeffModulusSize: k, scale: scale,
            data: [UInt64](repeating: 0, count: size * n * k))
    }

    /// Words per polynomial, `k * N`.
    public var polynomialWordCount: Int { polyModulusDegree * coeffModulusSize }

    /// Where polynomial `index` lives in ``data``.
    public func polynomialRange(_ index: Int) -> Range<Int> {
        (index * polynomialWordCount)..<((index + 1) * polynomialWordCount)
    }

    /// Where prime `limb` of polynomial `index` lives in ``data``.
    public func limbRange(polynomial index: Int, limb: Int) -> Range<Int> {
        let start = (index * coeffModulusSize + limb) * polyModulusDegree
        return start..<(start + polyModulusDegree)
    }

    /// Whether saving writes SEAL's seeded form: a seed is known, the ciphertext has two polynomials, and a
    /// polynomial has room for SEAL's marker and seed info (N k >= 12 words; otherwise SEAL ignores the seed).
    public var isSeeded: Bool { seed != nil && size == 2 && polynomialWordCount >= 12 }
}
