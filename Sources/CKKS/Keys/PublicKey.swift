/// A public key: a symmetric encryption of zero at the key level (size 2, NTT form, scale 1), stored and
/// serialized as a ``Ciphertext``; key-switching keys are lists of these.
/// - Note: SEAL: publickey.h `PublicKey`.
public struct PublicKey: Sendable, Hashable {
    /// The key as a ciphertext at the key level.
    public var data: Ciphertext

    /// Wraps a key-level ciphertext.
    /// - Parameter data: a size-2 NTT-form ciphertext at the key parms_id.
    public init(data: Ciphertext) { self.data = data }

    /// The key level's parms_id.
    public var parmsID: ParmsID { data.parmsID }
}
