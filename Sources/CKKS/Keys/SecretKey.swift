/// The secret key s: a ternary polynomial in NTT form over every key-level prime, stored (and serialized)
/// exactly as a ``Plaintext`` at the key parms_id with scale 1.
/// - Warning: Secret material. Its description never prints the data.
/// - Note: SEAL: secretkey.h `SecretKey`.
public struct SecretKey: Sendable, Hashable, CustomStringConvertible {
    /// The key as a plaintext at the key level.
    public var data: Plaintext

    /// Wraps a key-level plaintext.
    /// - Parameter data: `N * K` NTT-form words at the key parms_id, scale 1.
    public init(data: Plaintext) { self.data = data }

    /// The key level's parms_id.
    public var parmsID: ParmsID { data.parmsID }

    /// A summary without secret material.
    public var description: String { "SecretKey(parmsID: \(data.parmsID), words: \(data.coeffCount))" }
}
