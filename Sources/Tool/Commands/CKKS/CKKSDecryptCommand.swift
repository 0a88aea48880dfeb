import ArgumentParser
import CKKS
import Foundation

/// `privdnn ckks decrypt`: prints the real parts of every slot as one JSON array.
struct CKKSDecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt and decode a SEAL ciphertext; print the real parts of all slots as one JSON array."
    )

    @Option(help: "The encryption parameters file.")
    var params: String

    @Option(name: .customLong("secret-key"), help: "The secret key file.")
    var secretKey: String

    @Option(name: .customLong("in"), help: "The ciphertext file.")
    var input: String

    func run() throws {
        print(try report())
    }

    /// The decoded real parts of every slot.
    func values() throws -> [Double] {
        let context = try CKKSFiles.context(params)
        let key = try CKKSFiles.load(SecretKey.self, secretKey, context: context)
        let ciphertext = try CKKSFiles.load(Ciphertext.self, input, context: context)
        do {
            let plain = try Decryptor(context: context, secretKey: key).decrypt(ciphertext)
            return try CKKSEncoder(context: context).decode(plain)
        } catch let error as CKKSError {
            throw ToolError("\(input): \(error)")
        }
    }

    /// One JSON array, doubles printed so that they read back exactly.
    func report() throws -> String {
        String(decoding: try JSONEncoder().encode(try values()), as: UTF8.self)
    }
}
