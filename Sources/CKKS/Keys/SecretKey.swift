/// The secret key s: a ternary polynomial in NTT form over every key-level prime, stored (and serialized)
/// exactly as a ``Plaintext`` at the key parms_id with scale 1.
///
/// Deliberately neither `Equatable` nor `Hashable`, and redacted wherever Swift prints or reflects a value
/// (`print`, `String(describing:)`, `String(reflecting:)`, `dump` and anything built on `Mirror`): a log line or a
/// crash report must never carry key material. Read ``data`` explicitly when the coefficients are really wanted.
/// - Warning: Secret material.
/// - Note: SEAL: secretkey.h `SecretKey`.
public struct SecretKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key as a plaintext at the key level.
    public let data: Plaintext

    /// Wraps a key-level plaintext.
    /// - Parameter data: `N * K` NTT-form words at the key parms_id, scale 1.
    public init(data: Plaintext) { self.data = data }

    /// The key level's parms_id.
    public var parmsID: ParmsID { data.parmsID }

    /// A summary without secret material: the level and the word count.
    public var description: String { "SecretKey(parmsID: \(data.parmsID), words: \(data.coeffCount), redacted)" }

    /// The same redacted summary as ``description``.
    public var debugDescription: String { description }

    /// A mirror with no children, so that `dump` and reflection-based printers show only the summary.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Whether two keys are the same polynomial at the same level.
    ///
    /// Every word is compared without stopping at the first difference (so the time taken does not tell where two
    /// keys differ). For tests and key stores of this package; the public type has no `==` so that keys do not end
    /// up compared, hashed or put in sets.
    /// - Parameter other: the other key.
    /// - Returns: `true` when level, scale and every word agree.
    package func hasSameCoefficients(as other: SecretKey) -> Bool {
        guard data.parmsID == other.data.parmsID, data.scale == other.data.scale,
            data.data.count == other.data.data.count
        else { return false }
        var difference: UInt64 = 0
        for (a, b) in zip(data.data, other.data.data) { difference |= a ^ b }
        return difference == 0
    }
}
