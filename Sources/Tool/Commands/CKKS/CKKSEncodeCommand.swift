import ArgumentParser
import CKKS
import Foundation

/// The options that say what to encode: parameters, scale and a JSON file of slot values.
struct EncodingOptions: ParsableArguments {
    @Option(help: "The encryption parameters file.")
    var params: String

    @Option(parsing: .unconditional, help: "The scale, e.g. 1099511627776.0 or 2^40.")
    var scale: String

    @Option(help: "JSON file: an array of numbers, or of [real, imaginary] pairs.")
    var values: String

    /// The context and the encoded plaintext (first data level), with errors naming the file.
    func encode() throws -> (CKKSContext, Plaintext) {
        let context = try CKKSFiles.context(params)
        let encoder = CKKSEncoder(context: context)
        let scale = try CKKSFiles.scale(scale)
        let slots = try CKKSFiles.values(values, slotCount: encoder.slotCount)
        do {
            return (context, try encoder.encode(slots, scale: scale))
        } catch let error as CKKSError {
            throw ToolError("\(values): \(error)")
        }
    }
}

/// `privdnn ckks encode`: slot values from JSON to a SEAL plaintext file.
struct CKKSEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode a JSON array of slot values at a scale into a SEAL plaintext (first data level)."
    )

    @OptionGroup var encoding: EncodingOptions

    @Option(help: "Output plaintext file.")
    var out: String

    @OptionGroup var version: SEALVersionOption

    func run() throws {
        let (_, plain) = try encoding.encode()
        try CKKSFiles.save(plain, to: out, version: try version.resolve(following: encoding.params))
    }
}
