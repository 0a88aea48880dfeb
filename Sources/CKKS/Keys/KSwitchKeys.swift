/// Key-switching keys: an outer list indexed as SEAL does, each entry empty or holding one ``PublicKey`` per
/// prime of the first data level (the RNS decomposition count).
///
/// All keys live at the key level.
/// - Note: SEAL: kswitchkeys.h `KSwitchKeys`.
public struct KSwitchKeys: Sendable, Hashable {
    /// The key level's parms_id (`parms_id`).
    public var parmsID: ParmsID
    /// `data[index][j]`: the key of decomposition prime `j` for outer `index` (`data()`).
    public var data: [[PublicKey]]

    /// Key-switching keys from their parts.
    /// - Parameters:
    ///   - parmsID: the key parms_id.
    ///   - data: the outer list of key lists.
    public init(parmsID: ParmsID, data: [[PublicKey]]) {
        self.parmsID = parmsID
        self.data = data
    }

    /// Number of non-empty entries (`size()`).
    public var size: Int { data.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) } }
}

/// Relinearization keys: ``KSwitchKeys`` whose index `keyPower - 2` holds the key for s^keyPower.
///
/// SEAL's public key generator makes only s^2, at index 0; ``KeyGenerator/createRelinKeys(maxPower:seeded:)`` can add
/// s^3 and higher (as SEAL's internal `create_relin_keys(count)`), which relinearize ciphertexts of size 4 and more.
/// - Note: SEAL: relinkeys.h `RelinKeys`.
public struct RelinKeys: Sendable, Hashable {
    /// The underlying key-switching keys.
    public var keys: KSwitchKeys

    /// Wraps key-switching keys.
    /// - Parameter keys: keys with index 0 for s^2.
    public init(keys: KSwitchKeys) { self.keys = keys }

    /// The outer index of the key for s^keyPower (`get_index`: keyPower - 2).
    /// - Parameter keyPower: at least 2.
    /// - Returns: keyPower - 2.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for keyPower < 2.
    public static func index(keyPower: Int) throws -> Int {
        guard keyPower >= 2 else { throw CKKSError.invalidArgument("key power \(keyPower) is below 2") }
        return keyPower - 2
    }

    /// The highest power p such that the keys for s^2 … s^p are all present (1 when s^2 is absent): a ciphertext
    /// of size up to p + 1 can be relinearized.
    public var maxKeyPower: Int {
        var power = 1
        while hasKey(keyPower: power + 1) { power += 1 }
        return power
    }

    /// Whether the key for s^keyPower is present (`has_key`).
    public func hasKey(keyPower: Int) -> Bool {
        guard let index = try? Self.index(keyPower: keyPower), index < keys.data.count else { return false }
        return !keys.data[index].isEmpty
    }

    /// The decomposition keys for s^keyPower (`key`).
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if absent.
    public func key(keyPower: Int) throws -> [PublicKey] {
        guard hasKey(keyPower: keyPower) else {
            throw CKKSError.invalidArgument("relinearization key for power \(keyPower) does not exist")
        }
        return keys.data[keyPower - 2]
    }
}

/// Galois keys: ``KSwitchKeys`` whose index `(g - 1) / 2` holds the key for Galois element g (odd, below 2N).
///
/// SEAL's key generator sizes the outer list to N, leaving absent elements empty.
/// - Note: SEAL: galoiskeys.h `GaloisKeys`, util/galois.h `GaloisTool::GetIndexFromElt`.
public struct GaloisKeys: Sendable, Hashable {
    /// The underlying key-switching keys.
    public var keys: KSwitchKeys

    /// Wraps key-switching keys.
    /// - Parameter keys: keys indexed by `(g - 1) / 2`.
    public init(keys: KSwitchKeys) { self.keys = keys }

    /// The outer index of Galois element `element` (`get_index`: (g - 1) / 2).
    /// - Parameter element: an odd Galois element.
    /// - Returns: (element - 1) / 2.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for an even element.
    public static func index(galoisElement element: UInt64) throws -> Int {
        guard element & 1 == 1, let index = Int(exactly: (element - 1) / 2) else {
            throw CKKSError.invalidArgument("Galois element \(element) is not odd")
        }
        return index
    }

    /// Whether the key for a Galois element is present (`has_key`).
    public func hasKey(galoisElement element: UInt64) -> Bool {
        guard let index = try? Self.index(galoisElement: element), index < keys.data.count else { return false }
        return !keys.data[index].isEmpty
    }

    /// The decomposition keys for a Galois element (`key`).
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if absent.
    public func key(galoisElement element: UInt64) throws -> [PublicKey] {
        guard hasKey(galoisElement: element) else {
            throw CKKSError.invalidArgument("Galois key for element \(element) does not exist")
        }
        return keys.data[Int((element - 1) / 2)]
    }

    /// The Galois elements that have keys, ascending.
    public var galoisElements: [UInt64] {
        keys.data.indices.filter { !keys.data[$0].isEmpty }.map { UInt64(2 * $0 + 1) }
    }
}
