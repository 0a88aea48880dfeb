import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// SEAL files under `vectors/`, loaded and validated by the library's loaders.
struct SEALFiles {
    let context: CKKSContext
    let folder: String

    func level(primeCount: Int) throws -> ContextData {
        try #require(context.chain.first { $0.coeffModulus.count == primeCount })
    }

    func url(_ file: String) -> String { RepositoryPaths.vectors.appendingPathComponent(folder + file).path }

    func ciphertext(_ file: String) throws -> Ciphertext {
        // Public keys are ciphertexts at the key level, which Ciphertext loading refuses.
        if file.hasPrefix("pk") { return try PublicKey(contentsOfFile: url(file), context: context).data }
        return try Ciphertext(contentsOfFile: url(file), context: context)
    }

    func plaintext(_ file: String) throws -> Plaintext {
        // Secret keys are plaintexts at the key level, which Plaintext loading refuses.
        if file.hasPrefix("sk") { return try SecretKey(contentsOfFile: url(file), context: context).data }
        return try Plaintext(contentsOfFile: url(file), context: context)
    }

    func keys(_ file: String) throws -> KSwitchKeys { try KSwitchKeys(contentsOfFile: url(file), context: context) }
}
