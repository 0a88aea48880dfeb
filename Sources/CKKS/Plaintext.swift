/// A CKKS plaintext: the encoded polynomial in NTT form at one level, limb-major (word `j * N + i` is NTT slot
/// `i` modulo prime `j`), with the scale it was encoded at.
///
/// SEAL calls a plaintext "NTT form" exactly when its parms_id is non-zero; every CKKS plaintext is.
/// - Note: SEAL: plaintext.h `Plaintext` (`coeff_count`, `parms_id`, `scale`, `data`).
public struct Plaintext: Sendable, Hashable {
    /// The level this plaintext lives at (`parms_id`); `.zero` means coefficient form, which CKKS never uses.
    public var parmsID: ParmsID
    /// The scale Delta the values were multiplied by.
    public var scale: Double
    /// `N * k` words, limb-major.
    public var data: [UInt64]

    /// A plaintext from its parts.
    /// - Parameters:
    ///   - parmsID: the level.
    ///   - scale: the encoding scale.
    ///   - data: `N * k` limb-major words, each below its prime.
    public init(parmsID: ParmsID, scale: Double, data: [UInt64]) {
        self.parmsID = parmsID
        self.scale = scale
        self.data = data
    }

    /// The zero plaintext at a level.
    /// - Parameters:
    ///   - contextData: the level.
    ///   - scale: the scale to record.
    public init(zeroAt contextData: ContextData, scale: Double) {
        self.init(
            parmsID: contextData.parmsID, scale: scale,
            data: [UInt64](repeating: 0, count: contextData.polyModulusDegree * contextData.coeffModulus.count))
    }

    /// Number of words (`coeff_count`).
    public var coeffCount: Int { data.count }

    /// Whether the data is in NTT form (`is_ntt_form`: parms_id is non-zero).
    public var isNTTForm: Bool { !parmsID.isZero }
}
