import NTT

/// Encodes vectors of real or complex numbers into CKKS plaintexts and decodes them, bit-exact with SEAL.
///
/// A plaintext holds N/2 complex slots. Slot values are scaled by `scale`, mapped through SEAL's special FFT, rounded
/// to integers and stored in NTT form at a level of the modulus chain (the first data level by default).
/// - Note: SEAL: ckks.h, ckks.cpp `CKKSEncoder`
public final class CKKSEncoder: Sendable {
    /// The context whose levels plaintexts are encoded at.
    public let context: CKKSContext
    /// The slot map and FFT for the context's degree.
    package let fft: EncoderFFT
    private let levels: [ParmsID: EncodingLevel]

    /// An encoder for a context.
    /// - Parameter context: the CKKS context.
    public init(context: CKKSContext) {
        self.context = context
        fft = EncoderFFT(degree: context.parameters.polyModulusDegree)
        levels = Dictionary(uniqueKeysWithValues: context.chain.map { ($0.parmsID, EncodingLevel($0)) })
    }

    /// The number of complex slots, N/2.
    public var slotCount: Int { fft.slotCount }

    private func level(_ parmsID: ParmsID?) throws -> (ParmsID, EncodingLevel) {
        let id = parmsID ?? context.firstParmsID
        guard let level = levels[id] else { throw CKKSError.unknownParmsID(object: "plaintext", parmsID: id) }
        return (id, level)
    }

    /// Encodes complex slot values (`encode(vector<complex<double>>)`).
    /// - Parameters:
    ///   - values: at most ``slotCount`` finite values; the remaining slots are zero.
    ///   - scale: the scale, positive and with `Int(log2(scale)) + 1` below the level's modulus bit count.
    ///   - parmsID: the level to encode at; `nil` for the first data level.
    /// - Returns: the plaintext in NTT form.
    /// - Throws: ``CKKSError`` for too many or non-finite values, an unknown level, a scale out of bounds, or values
    ///   too large for the level's modulus.
    public func encode(_ values: [Complex64], scale: Double, parmsID: ParmsID? = nil) throws -> Plaintext {
        let (id, level) = try level(parmsID)
        let words = try values.withUnsafeBufferPointer { try fft.encodeWords($0, scale: scale, level: level) }
        return Plaintext(parmsID: id, scale: scale, data: words)
    }

    /// Encodes real slot values (`encode(vector<double>)`): each value is a complex number with zero imaginary part.
    /// - Parameters:
    ///   - values: at most ``slotCount`` finite values; the remaining slots are zero.
    ///   - scale: the scale.
    ///   - parmsID: the level to encode at; `nil` for the first data level.
    /// - Returns: the plaintext in NTT form.
    /// - Throws: as ``encode(_:scale:parmsID:)-([Complex64],_,_)``.
    public func encode(_ values: [Double], scale: Double, parmsID: ParmsID? = nil) throws -> Plaintext {
        try encode(values.map { Complex64($0) }, scale: scale, parmsID: parmsID)
    }

    /// Encodes real slot values into caller-owned words: the same words as
    /// ``encode(_:scale:parmsID:)-([Double],_,_)``'s plaintext, without its intermediate arrays.
    /// - Parameters:
    ///   - values: at most ``slotCount`` finite values; the remaining slots are zero.
    ///   - scale: the scale.
    ///   - parmsID: the level to encode at.
    ///   - out: exactly `k·N` words for the level's k primes, overwritten with the NTT-form plaintext.
    /// - Throws: as the vector encoders, and for an `out` of the wrong size.
    public func encode(
        _ values: UnsafeBufferPointer<Double>, scale: Double, parmsID: ParmsID,
        into out: UnsafeMutableBufferPointer<UInt64>
    ) throws {
        let (_, level) = try level(parmsID)
        guard let base = out.baseAddress, out.count == level.moduli.count * fft.degree else {
            throw CKKSError.invalidArgument(
                "the output holds \(out.count) words, the level needs \(level.moduli.count * fft.degree)")
        }
        try fft.encodeWords(
            count: values.count, value: { Complex64(values[$0]) }, scale: scale, level: level, into: base)
    }

    /// Encodes complex slot values into caller-owned words: the same words as
    /// ``encode(_:scale:parmsID:)-([Complex64],_,_)``'s plaintext, without its intermediate arrays.
    /// - Parameters:
    ///   - count: at most ``slotCount`` values; the remaining slots are zero.
    ///   - value: slot i's value, for i in `0..<count`.
    ///   - scale: the scale.
    ///   - parmsID: the level to encode at.
    ///   - out: exactly `k·N` words for the level's k primes, overwritten with the NTT-form plaintext.
    /// - Throws: as the vector encoders, and for an `out` of the wrong size.
    public func encode(
        count: Int, value: (Int) -> Complex64, scale: Double, parmsID: ParmsID,
        into out: UnsafeMutableBufferPointer<UInt64>
    ) throws {
        let (_, level) = try level(parmsID)
        guard let base = out.baseAddress, out.count == level.moduli.count * fft.degree else {
            throw CKKSError.invalidArgument(
                "the output holds \(out.count) words, the level needs \(level.moduli.count * fft.degree)")
        }
        try fft.encodeWords(count: count, value: value, scale: scale, level: level, into: base)
    }

    /// Encodes one complex number into every slot (`encode(complex<double>)`, the FFT path).
    /// - Parameters:
    ///   - value: a finite value.
    ///   - scale: the scale.
    ///   - parmsID: the level to encode at; `nil` for the first data level.
    /// - Returns: the plaintext in NTT form.
    /// - Throws: as the vector encoders.
    public func encode(_ value: Complex64, scale: Double, parmsID: ParmsID? = nil) throws -> Plaintext {
        try encode([Complex64](repeating: value, count: slotCount), scale: scale, parmsID: parmsID)
    }

    /// Encodes one real number as a constant polynomial (`encode(double)`).
    ///
    /// Every slot holds `value`, and every word of prime q_j is round(value·scale) mod q_j. This differs in general
    /// from encoding a vector of copies.
    /// - Parameters:
    ///   - value: a finite value.
    ///   - scale: the scale, positive and with `Int(log2(scale))` below the level's modulus bit count.
    ///   - parmsID: the level to encode at; `nil` for the first data level.
    /// - Returns: the plaintext in NTT form.
    /// - Throws: ``CKKSError`` for a non-finite value, an unknown level, a scale out of bounds, or a value too large.
    public func encode(_ value: Double, scale: Double, parmsID: ParmsID? = nil) throws -> Plaintext {
        let (id, level) = try level(parmsID)
        return Plaintext(
            parmsID: id, scale: scale, data: try fft.encodeConstantWords(value, scale: scale, level: level))
    }

    /// Decodes a plaintext into its N/2 complex slot values (`decode(plain, vector<complex<double>>)`).
    /// - Parameter plain: an NTT-form plaintext of this context with a positive scale.
    /// - Returns: the slot values, bit-exact with SEAL's doubles.
    /// - Throws: ``CKKSError`` for a plaintext of another context, not in NTT form, of the wrong size, with an invalid
    ///   scale, or with unreduced words.
    public func decodeComplex(_ plain: Plaintext) throws -> [Complex64] {
        _ = try CiphertextValidation.level(of: plain, in: context)
        guard let level = levels[plain.parmsID] else {
            throw CKKSError.unknownParmsID(object: "plaintext", parmsID: plain.parmsID)
        }
        for (j, q) in level.moduli.enumerated() {
            let row = plain.data[(j * fft.degree)..<((j + 1) * fft.degree)]
            guard row.allSatisfy({ $0 < q.value }) else {
                throw CKKSError.invalidData(object: "plaintext", reason: "a word is not reduced modulo \(q.value)")
            }
        }
        return fft.decodeWords(plain.data, scale: plain.scale, level: level)
    }

    /// Decodes a plaintext into the real parts of its N/2 slots (`decode(plain, vector<double>)`).
    /// - Parameter plain: an NTT-form plaintext of this context with a positive scale.
    /// - Returns: the real parts, bit-exact with SEAL's doubles.
    /// - Throws: as ``decodeComplex(_:)``.
    public func decode(_ plain: Plaintext) throws -> [Double] {
        try decodeComplex(plain).map(\.real)
    }
}
