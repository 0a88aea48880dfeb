import CKKS
import NTT

/// The ring data of one CKKS parameter set, prepared for the inference engine: primes and NTT tables per
/// level, the encoder per level, rescale constants and the key-switching kernel.
///
/// Levels are named by their prime count k: a ciphertext "at k primes" lives modulo q_0 ⋯ q_{k-1}. The key level
/// has K = `keyModuli.count` primes (the data primes followed by the special prime P).
public final class HEContext: Sendable {
    /// The key-level parameters (degree and every prime, P last).
    public let parameters: EncryptionParameters
    /// N.
    public let degree: Int
    /// q_0 ⋯ q_{K-2}, P.
    let keyModuli: [Modulus]
    /// Their NTT tables.
    let keyTables: [NTTTables]
    /// `levels[k - 1]`: the encoder for k data primes.
    let levels: [SchemeKernels.Level]
    /// `rescaleInverses[k]`: q_{k-1}^-1 mod q_i (i < k - 1), for rescaling from k primes; empty for k < 2.
    let rescaleInverses: [[ShoupOperand]]
    /// Hybrid key switching (relinearization).
    let keySwitcher: SchemeKernels.KeySwitcher
    /// `parmsIDs[k]`: SEAL's parms_id of the level with k primes (k = K is the key level).
    public let parmsIDs: [ParmsID]

    /// Validates the parameters (SEAL's checks, including the security bound) and prepares every level.
    /// - Parameters:
    ///   - parameters: degree and primes (the last is the special prime).
    ///   - securityLevel: `.none` only for toy parameters in tests.
    /// - Throws: `CKKSError.invalidParameters` for unusable or insecure parameters.
    public init(parameters: EncryptionParameters, securityLevel: SecurityLevel = .tc128) throws {
        let context = try CKKSContext(parameters, securityLevel: securityLevel)
        let bigK = parameters.coeffModulus.count
        guard bigK >= 3 else { throw CKKSError.invalidParameters("need at least two data primes and a special prime") }
        self.parameters = parameters
        degree = parameters.polyModulusDegree
        keyModuli = parameters.coeffModulus
        keyTables = context.keyContextData.nttTables
        levels = (1..<bigK).map {
            SchemeKernels.Level(
                moduli: Array(parameters.coeffModulus.prefix($0)), tables: Array(context.keyContextData.nttTables.prefix($0)),
                degree: parameters.polyModulusDegree)
        }
        rescaleInverses = (0..<bigK).map { k in
            guard k >= 2 else { return [] }
            let last = parameters.coeffModulus[k - 1]
            return parameters.coeffModulus.prefix(k - 1).map { ShoupOperand($0.inverse($0.reduce(last.value)) ?? 0, modulus: $0) }
        }
        keySwitcher = SchemeKernels.KeySwitcher(keyModuli: keyModuli, keyTables: keyTables)
        var ids = [ParmsID](repeating: .zero, count: bigK + 1)
        for data in context.chain { ids[data.coeffModulus.count] = data.parmsID }
        parmsIDs = ids
    }

    /// The number of data primes, K − 1.
    public var dataPrimeCount: Int { keyModuli.count - 1 }

    /// The primes of the level with k primes.
    func moduli(_ k: Int) -> [Modulus] { Array(keyModuli.prefix(k)) }

    /// The NTT tables of the level with k primes.
    func tables(_ k: Int) -> [NTTTables] { Array(keyTables.prefix(k)) }

    /// The encoder of the level with k data primes.
    func level(_ k: Int) -> SchemeKernels.Level { levels[k - 1] }

    /// q_i as a Double.
    func prime(_ i: Int) -> Double { Double(keyModuli[i].value) }
}

/// A ciphertext as flat NTT-form words, `[component][prime][coefficient]`, with its exact scale.
struct Cipher: Sendable {
    /// 2 or 3 components of `primes · N` words.
    var words: [UInt64]
    /// The number of components.
    var size: Int
    /// The number of primes k.
    var primes: Int
    /// The exact CKKS scale.
    var scale: Double
}

extension HEContext {
    /// Divides every component by its last prime with rounding (CKKS rescale); the scale is divided by it too.
    /// - Note: SEAL: evaluator.cpp `rescale_to_next`
    func rescale(_ ct: inout Cipher) {
        let k = ct.primes
        let n = degree
        let moduli = moduli(k)
        let tables = tables(k)
        let inverses = rescaleInverses[k]
        var out = [UInt64](repeating: 0, count: ct.size * (k - 1) * n)
        var scratch = [UInt64](repeating: 0, count: n)
        ct.words.withUnsafeMutableBufferPointer { words in
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    guard let base = words.baseAddress, let ob = o.baseAddress, let sb = s.baseAddress else { return }
                    for c in 0..<ct.size {
                        RNSTool.divideAndRoundQLastNTT(
                            base + c * k * n, degree: n, moduli: moduli, tables: tables, inverses: inverses,
                            output: ob + c * (k - 1) * n, scratch: sb)
                    }
                }
            }
        }
        ct.words = out
        ct.primes = k - 1
        ct.scale /= prime(k - 1)
    }

    /// Keeps the first `k` primes of every component (CKKS mod-switch; the message must fit the smaller modulus).
    func dropPrimes(_ ct: inout Cipher, to k: Int) {
        guard k < ct.primes else { return }
        let n = degree
        var out = [UInt64]()
        out.reserveCapacity(ct.size * k * n)
        for c in 0..<ct.size {
            let start = c * ct.primes * n
            out += ct.words[start..<(start + k * n)]
        }
        ct.words = out
        ct.primes = k
    }

    /// Relinearizes a size-3 ciphertext with the relinearization keys.
    /// - Note: SEAL: evaluator.cpp `relinearize_internal`
    func relinearize(_ ct: inout Cipher, keys: RelinKeyWords) {
        guard ct.size == 3 else { return }
        let k = ct.primes
        let n = degree
        let keyStride = 2 * keyModuli.count * n
        ct.words.withUnsafeMutableBufferPointer { words in
            keys.words.withUnsafeBufferPointer { kw in
                guard let base = words.baseAddress, let kb = kw.baseAddress else { return }
                let pointers = (0..<k).map { kb + $0 * keyStride }
                keySwitcher.apply(
                    target: UnsafePointer(base + 2 * k * n), level: k, degree: n, keys: pointers, c0: base,
                    c1: base + k * n)
            }
        }
        ct.words.removeLast(k * n)
        ct.size = 2
    }

    /// Adds `other` (same level, same size or smaller) into `ct` component by component.
    func add(_ other: [UInt64], components: Int, into ct: inout Cipher) {
        let k = ct.primes
        let n = degree
        for c in 0..<components {
            for j in 0..<k {
                let q = keyModuli[j]
                let base = (c * k + j) * n
                for i in 0..<n { ct.words[base + i] = q.addMod(ct.words[base + i], other[base + i]) }
            }
        }
    }
}
