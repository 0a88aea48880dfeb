import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// Minimal reader of uncompressed SEAL 4.x ciphertexts and key-switching keys, for kernel tests.
struct RawCiphertext {
    var size: Int
    var degree: Int
    var primeCount: Int
    var scale: Double
    var words: [UInt64]

    static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    init(bytes: [UInt8], at offset: Int = 0) {
        size = Int(Self.u64(bytes, offset + 49))
        degree = Int(Self.u64(bytes, offset + 57))
        primeCount = Int(Self.u64(bytes, offset + 65))
        scale = Double(bitPattern: Self.u64(bytes, offset + 73))
        let count = Int(Self.u64(bytes, offset + 105))
        words = (0..<count).map { Self.u64(bytes, offset + 113 + 8 * $0) }
    }

    init(_ file: String) throws { self.init(bytes: [UInt8](try RepositoryPaths.vector(file))) }

    /// Every key ciphertext of a KSwitchKeys file, by outer index.
    static func keys(_ file: String) throws -> [[RawCiphertext]] {
        let bytes = [UInt8](try RepositoryPaths.vector(file))
        var offset = 48
        let dim1 = Int(u64(bytes, offset))
        offset += 8
        var result: [[RawCiphertext]] = []
        for _ in 0..<dim1 {
            let dim2 = Int(u64(bytes, offset))
            offset += 8
            var row: [RawCiphertext] = []
            for _ in 0..<dim2 {
                row.append(RawCiphertext(bytes: bytes, at: offset))
                offset += Int(u64(bytes, offset + 8))
            }
            result.append(row)
        }
        return result
    }
}

/// SEAL files under `vectors/` as the library's containers (until the loaders are used everywhere).
struct SEALFiles {
    let context: CKKSContext
    let folder: String

    func level(primeCount: Int) throws -> ContextData {
        try #require(context.chain.first { $0.coeffModulus.count == primeCount })
    }

    func ciphertext(_ file: String) throws -> Ciphertext {
        let raw = try RawCiphertext(folder + file)
        return Ciphertext(
            parmsID: try level(primeCount: raw.primeCount).parmsID, size: raw.size, polyModulusDegree: raw.degree,
            coeffModulusSize: raw.primeCount, scale: raw.scale, data: raw.words)
    }

    func plaintext(_ file: String) throws -> Plaintext {
        let (scale, words) = plaintextWords(try RepositoryPaths.vector(folder + file))
        let n = context.parameters.polyModulusDegree
        return Plaintext(parmsID: try level(primeCount: words.count / n).parmsID, scale: scale, data: words)
    }

    func keys(_ file: String) throws -> KSwitchKeys {
        let key = context.keyContextData
        return KSwitchKeys(
            parmsID: key.parmsID,
            data: try RawCiphertext.keys(folder + file).map { row in
                row.map {
                    PublicKey(
                        data: Ciphertext(
                            parmsID: key.parmsID, size: 2, polyModulusDegree: $0.degree,
                            coeffModulusSize: $0.primeCount, scale: 1, data: $0.words))
                }
            })
    }
}
