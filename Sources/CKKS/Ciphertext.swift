/// A CKKS ciphertext: `size` polynomials (2 when fresh, 3 after a multiplication) at one level, stored as one
/// flat array: polynomial `p`, prime `j`, slot `i` is word `(p * k + j) * N + i`.
///
/// A ciphertext from symmetric encryption can remember the public seed its c1 was expanded from
/// (``seed``); it is then saved in SEAL's seeded form (c0 and the seed, about half the size). Any change to
/// ``data`` forgets the seed, and a seed given from outside is checked against c1, so a wrong seed is never written.
/// - Note: SEAL: ciphertext.h `Ciphertext` (`parms_id`, `is_ntt_form`, `size`, `poly_modulus_degree`,
///   `coeff_modulus_size`, `scale`, `correction_factor`, `data`).
public struct Ciphertext: Sendable, Hashable {
    // The shape fields are read-only outside this package: they must agree with `data` (checked by the
    // initialisers), and a consumer that changed one alone would make every operation and every saved file wrong.

    /// The level (`parms_id`).
    public package(set) var parmsID: ParmsID
    /// Whether the polynomials are in NTT form; always true for CKKS.
    public let isNTTForm: Bool
    /// Number of polynomials.
    public package(set) var size: Int
    /// N.
    public package(set) var polyModulusDegree: Int
    /// k, the number of primes at this level.
    public package(set) var coeffModulusSize: Int
    /// The CKKS scale.
    ///
    /// Settable, as SEAL's `scale()` reference is: after a rescale the scale is close to but not
    /// exactly the one wanted, and declaring it equal is how terms of different depth are added.
    public var scale: Double
    /// SEAL's BGV correction factor, stored by SEAL 4.x files; always 1 for CKKS.
    public let correctionFactor: UInt64
    /// `size * k * N` words.
    public package(set) var data: [UInt64] {
        didSet { seed = nil }
    }
    /// The public seed c1 was sampled from (the uniform sampler over this level's primes, already the NTT-form
    /// words), if known; makes ``serialized(version:comprMode:)`` write SEAL's seeded form (c0 and the seed).
    ///
    /// Read-only: a seed that does not expand to c1 would be saved in place of c1 and silently replace it in the
    /// file. It is set by symmetric encryption, by loading a seeded file, and by
    /// ``init(parmsID:size:polyModulusDegree:coeffModulusSize:scale:data:seed:context:)``, which checks it; any
    /// change to ``data`` forgets it.
    public private(set) var seed: UniformRandomGeneratorInfo?

    /// A ciphertext from its parts, checked for consistency.
    /// - Parameters:
    ///   - parmsID: the level.
    ///   - size: number of polynomials, 0 or at least 2 (SEAL has no one-polynomial ciphertext).
    ///   - polyModulusDegree: N, positive.
    ///   - coeffModulusSize: k, positive.
    ///   - scale: the scale, a positive normal number.
    ///   - isNTTForm: NTT form (true for CKKS).
    ///   - correctionFactor: 1 for CKKS.
    ///   - data: `size * k * N` words.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` when the parts disagree: a word count other than
    ///   `size * k * N`, a size of 1 or below 0, a non-positive N or k, a bad scale, coefficient form or a
    ///   correction factor other than 1 (neither can be saved as a CKKS ciphertext).
    public init(
        parmsID: ParmsID, size: Int, polyModulusDegree: Int, coeffModulusSize: Int, scale: Double,
        isNTTForm: Bool = true, correctionFactor: UInt64 = 1, data: [UInt64]
    ) throws {
        guard polyModulusDegree > 0, coeffModulusSize > 0 else {
            throw CKKSError.invalidArgument(
                "ciphertext N \(polyModulusDegree) and k \(coeffModulusSize) must be positive")
        }
        guard size == 0 || size >= 2 else {
            throw CKKSError.invalidArgument("ciphertext size \(size) is not 0 or 2 or more")
        }
        let (perPolynomial, o1) = polyModulusDegree.multipliedReportingOverflow(by: coeffModulusSize)
        let (expected, o2) = perPolynomial.multipliedReportingOverflow(by: size)
        guard !o1, !o2, data.count == expected else {
            throw CKKSError.invalidArgument(
                "ciphertext data has \(data.count) words, not size \(size) × k \(coeffModulusSize)"
                    + " × N \(polyModulusDegree)")
        }
        guard scale.isNormal, scale > 0 else {
            throw CKKSError.invalidArgument("ciphertext scale \(scale) is not a positive normal number")
        }
        guard isNTTForm, correctionFactor == 1 else {
            throw CKKSError.invalidArgument("a CKKS ciphertext is in NTT form with correction factor 1")
        }
        self.init(
            unchecked: parmsID, size: size, polyModulusDegree: polyModulusDegree, coeffModulusSize: coeffModulusSize,
            scale: scale, data: data)
    }

    /// A two-polynomial ciphertext whose c1 is the expansion of a public seed.
    ///
    /// It saves in SEAL's seeded form. The seed is checked by expanding it: a wrong one is refused here instead of
    /// being written in place of c1.
    /// - Parameters:
    ///   - parmsID: the level, which `context` must know.
    ///   - size: 2 (a seed stands for c1 of a fresh encryption).
    ///   - polyModulusDegree: N of the level.
    ///   - coeffModulusSize: k of the level.
    ///   - scale: the scale.
    ///   - data: `2 * k * N` words, c0 then c1.
    ///   - seed: the PRNG kind and seed c1 was sampled from.
    ///   - context: the parameters the level belongs to.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` as the unseeded initialiser does, for a size other than 2, for
    ///   an unknown PRNG kind, or when c1 is not the seed's expansion; ``CKKSError/unknownParmsID(object:parmsID:)``
    ///   for a level `context` does not have; ``CKKSError/sizeMismatch(object:field:expected:found:)`` when N or k
    ///   is not the level's.
    public init(
        parmsID: ParmsID, size: Int, polyModulusDegree: Int, coeffModulusSize: Int, scale: Double, data: [UInt64],
        seed: UniformRandomGeneratorInfo, context: CKKSContext
    ) throws {
        try self.init(
            parmsID: parmsID, size: size, polyModulusDegree: polyModulusDegree, coeffModulusSize: coeffModulusSize,
            scale: scale, data: data)
        guard size == 2 else { throw CKKSError.invalidArgument("only a two-polynomial ciphertext can carry a seed") }
        guard let level = context.contextData(for: parmsID) else {
            throw CKKSError.unknownParmsID(object: "ciphertext", parmsID: parmsID)
        }
        guard level.polyModulusDegree == polyModulusDegree else {
            throw CKKSError.sizeMismatch(
                object: "ciphertext", field: "poly_modulus_degree", expected: level.polyModulusDegree,
                found: polyModulusDegree)
        }
        guard level.coeffModulus.count == coeffModulusSize else {
            throw CKKSError.sizeMismatch(
                object: "ciphertext", field: "coeff_modulus_size", expected: level.coeffModulus.count,
                found: coeffModulusSize)
        }
        guard seed.type != .unknown else { throw CKKSError.invalidArgument("the seed's PRNG type is unknown") }
        var expanded = [UInt64](repeating: 0, count: polynomialWordCount)
        var rng = SEALPRNG(type: seed.type, seed: seed.seed)
        expanded.withUnsafeMutableBufferPointer {
            RLWESampler.sampleUniform(into: $0, degree: polyModulusDegree, moduli: level.coeffModulus, using: &rng)
        }
        guard data[polynomialRange(1)].elementsEqual(expanded) else {
            throw CKKSError.invalidArgument("c1 is not the expansion of the given seed")
        }
        self.seed = seed
    }

    /// The parts as they are, for code of this package that builds them consistent by construction (encryption,
    /// evaluation, loading after validation).
    package init(
        unchecked parmsID: ParmsID, size: Int, polyModulusDegree: Int, coeffModulusSize: Int, scale: Double,
        data: [UInt64]
    ) {
        assert(data.count == size * polyModulusDegree * coeffModulusSize)
        self.parmsID = parmsID
        self.size = size
        self.polyModulusDegree = polyModulusDegree
        self.coeffModulusSize = coeffModulusSize
        self.scale = scale
        isNTTForm = true
        correctionFactor = 1
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
            unchecked: contextData.parmsID, size: size, polyModulusDegree: n, coeffModulusSize: k, scale: scale,
            data: [UInt64](repeating: 0, count: size * n * k))
    }

    /// Records the seed c1 was expanded from, without expanding it again.
    ///
    /// For this package's encryptors and loaders only: the caller must have sampled c1 from exactly this seed
    /// (or loaded it so) and changed nothing but c0 since.
    /// - Parameter seed: the seed, or `nil` to forget it.
    package mutating func setSeedUnchecked(_ seed: UniformRandomGeneratorInfo?) {
        self.seed = seed
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
