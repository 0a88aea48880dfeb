import NTT

/// A validated CKKS parameter set and its modulus chain.
///
/// The **key level** holds all user primes q_0 ... q_{K-1}; its last prime is the special prime used only for
/// key switching. The **first data level** drops it, and each further level drops one more prime, down to a
/// single prime (the last level). Each level's parms_id is the hash of its own prime list, and each level's
/// primes are a prefix of the key level's. With one prime there is no key switching and first = key.
/// - Note: SEAL: context.h/.cpp `SEALContext` (`validate`, `create_next_context_data`).
public final class CKKSContext: Sendable {
    /// The parameters as given (the key level).
    public let parameters: EncryptionParameters
    /// The security level the parameters were checked against.
    public let securityLevel: SecurityLevel
    /// The key level's parms_id (`key_parms_id`).
    public let keyParmsID: ParmsID
    /// The first data level's parms_id (`first_parms_id`): where fresh ciphertexts live.
    public let firstParmsID: ParmsID
    /// The last level's parms_id (`last_parms_id`): a single prime when the chain is expanded.
    public let lastParmsID: ParmsID
    /// The levels from the key level down to the last level.
    public let chain: [ContextData]
    private let byParmsID: [ParmsID: ContextData]

    /// Validates parameters and builds the chain.
    /// - Parameters:
    ///   - parameters: degree and primes.
    ///   - expandModChain: build every level down to one prime (SEAL's default); otherwise only the key level
    ///     and the first data level.
    ///   - securityLevel: refuse moduli larger than the HomomorphicEncryption.org table allows at this level;
    ///     `.none` opts out explicitly (for tests and toy parameters).
    /// - Throws: ``CKKSError/invalidParameters(_:)`` naming the problem: a prime that is too large or small,
    ///   not prime, not 1 mod 2N, repeated, or a total modulus beyond the security bound.
    public init(
        _ parameters: EncryptionParameters, expandModChain: Bool = true, securityLevel: SecurityLevel = .tc128
    ) throws {
        let degree = parameters.polyModulusDegree
        let moduli = parameters.coeffModulus
        for q in moduli {
            guard CoeffModulus.bitSizeRange.contains(q.bitCount) else {
                throw CKKSError.invalidParameters("modulus \(q.value) has \(q.bitCount) bits, expected 2...60")
            }
            guard q.isPrime else { throw CKKSError.invalidParameters("modulus \(q.value) is not prime") }
            guard q.value % UInt64(2 * degree) == 1 else {
                throw CKKSError.invalidParameters("modulus \(q.value) is not 1 mod 2N = \(2 * degree) (no NTT)")
            }
        }
        guard Set(moduli.map(\.value)).count == moduli.count else {
            throw CKKSError.invalidParameters("coefficient moduli are not pairwise coprime (a prime repeats)")
        }
        let totalBits = ContextData.bitCount(moduli.reduce([1]) { ContextData.multiply($0, by: $1.value) })
        let bound = CoeffModulus.maxBitCount(degree: degree, securityLevel: securityLevel)
        guard totalBits <= bound else {
            let level = Self.name(of: securityLevel)
            let allowed = bound == 0 ? "no modulus is \(level) at N = \(degree)" : "at most \(bound) bits allowed"
            throw CKKSError.invalidParameters(
                "coefficient modulus has \(totalBits) bits, insecure for \(level) at N = \(degree) (\(allowed));"
                    + " choose security level none to opt out")
        }
        let tables: [NTTTables]
        do {
            tables = try moduli.map { try NTTTables(degree: degree, modulus: $0) }
        } catch let error as NTTError {
            throw CKKSError.invalidParameters(error.description)
        }

        // Level parameters from the key level down.
        var levels = [parameters]
        if let first = parameters.droppingLastModulus {
            levels.append(first)
            if expandModChain {
                while let next = levels[levels.count - 1].droppingLastModulus { levels.append(next) }
            }
        }
        var chain: [ContextData] = []
        for (position, level) in levels.enumerated() {
            chain.append(
                ContextData(
                    parms: level, chainIndex: levels.count - 1 - position,
                    nttTables: Array(tables.prefix(level.coeffModulus.count)),
                    previousParmsID: position > 0 ? levels[position - 1].parmsID : nil,
                    nextParmsID: position + 1 < levels.count ? levels[position + 1].parmsID : nil))
        }
        self.parameters = parameters
        self.securityLevel = securityLevel
        self.chain = chain
        byParmsID = Dictionary(uniqueKeysWithValues: chain.map { ($0.parmsID, $0) })
        keyParmsID = levels[0].parmsID
        firstParmsID = levels.count > 1 ? levels[1].parmsID : levels[0].parmsID
        lastParmsID = levels[levels.count - 1].parmsID
    }

    /// The level with this parms_id, or `nil` if it is not in the chain (`get_context_data`).
    public func contextData(for parmsID: ParmsID) -> ContextData? { byParmsID[parmsID] }

    /// The key level (`key_context_data`).
    public var keyContextData: ContextData { chain[0] }
    /// The first data level (`first_context_data`).
    public var firstContextData: ContextData { chain.count > 1 ? chain[1] : chain[0] }
    /// The last level (`last_context_data`).
    public var lastContextData: ContextData { chain[chain.count - 1] }
    /// Whether the key level differs from the first data level, that is, whether there is a special prime
    /// (`using_keyswitching`).
    public var usingKeySwitching: Bool { keyParmsID != firstParmsID }

    static func name(of level: SecurityLevel) -> String {
        switch level {
        case .none: "no security level"
        case .tc128: "128-bit security"
        case .tc192: "192-bit security"
        case .tc256: "256-bit security"
        }
    }
}
