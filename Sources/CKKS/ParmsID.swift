/// A level's identity: the 32-byte BLAKE2b hash of its parameters, read as four little-endian words
/// (`parms_id_type`).
/// - Note: SEAL: encryptionparams.h `parms_id_type`, `parms_id_zero`.
public struct ParmsID: Sendable, Hashable, CustomStringConvertible {
    /// The four words, in storage order.
    public let words: [UInt64]

    /// A parms_id from its four words.
    /// - Parameter words: exactly 4 words.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for another count.
    public init(words: [UInt64]) throws {
        guard words.count == 4 else { throw CKKSError.invalidArgument("a parms_id has 4 words, not \(words.count)") }
        self.words = words
    }

    init(unchecked words: [UInt64]) {
        assert(words.count == 4)
        self.words = words
    }

    /// The all-zero parms_id (`parms_id_zero`): "no parameters", as a plaintext in coefficient form has.
    public static let zero = ParmsID(unchecked: [0, 0, 0, 0])

    /// Whether this is ``zero``.
    public var isZero: Bool { words.allSatisfy { $0 == 0 } }

    /// The words as 16-digit hex, space-separated (how SEAL prints a parms_id).
    public var description: String {
        words.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined(separator: " ")
    }
}
