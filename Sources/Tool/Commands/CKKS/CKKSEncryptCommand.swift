import ArgumentParser
import CKKS
import Foundation

/// `privdnn ckks encrypt`: encode slot values and encrypt them with a public key.
struct CKKSEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encode a JSON array of slot values and encrypt it with a public key into a SEAL ciphertext."
    )

    @OptionGroup var encoding: EncodingOptions

    @Option(name: .customLong("public-key"), help: "The public key file.")
    var publicKey: String

    @Option(help: "Output ciphertext file.")
    var out: String

    @OptionGroup var version: SEALVersionOption

    func run() throws {
        let (context, plain) = try encoding.encode()
        let key = try CKKSFiles.load(PublicKey.self, publicKey, context: context)
        let ciphertext: Ciphertext
        do {
            ciphertext = try Encryptor(context: context, publicKey: key).encrypt(plain)
        } catch let error as CKKSError {
            throw ToolError("\(publicKey): \(error)")
        }
        try CKKSFiles.save(ciphertext, to: out, version: try version.resolve(following: publicKey))
    }
}
