import ArgumentParser
import CKKS
import Foundation

extension EvaluatorOperation: ExpressibleByArgument {
    /// The names `privdnn ckks eval` accepts.
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// `privdnn ckks eval OP`: one evaluator operation on SEAL files.
struct CKKSEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Apply one evaluator operation to SEAL ciphertexts and write the result (SEAL's exact words)."
    )

    @Argument(help: "The operation: \(EvaluatorOperation.allValueStrings.joined(separator: " ")).")
    var operation: EvaluatorOperation

    @Option(help: "The encryption parameters file.")
    var params: String

    @Option(name: .customLong("in"), help: "An input ciphertext (twice for add, sub, multiply).")
    var inputs: [String] = []

    @Option(help: "The plaintext operand of multiply-plain, add-plain and sub-plain.")
    var plain: String?

    @Option(name: .customLong("relin-keys"), help: "Relinearization keys (relinearize).")
    var relinKeys: String?

    @Option(name: .customLong("galois-keys"), help: "Galois keys (rotate, conjugate).")
    var galoisKeys: String?

    @Option(parsing: .unconditional, help: "Rotation steps for rotate; positive rotates left, e.g. --steps -3.")
    var steps: Int?

    @Option(help: "Output ciphertext file.")
    var out: String

    @OptionGroup var version: SEALVersionOption

    func validate() throws {
        guard inputs.count == operation.ciphertextCount else {
            throw ValidationError(
                "\(operation.rawValue) takes \(operation.ciphertextCount) --in ciphertext(s), got \(inputs.count)")
        }
        if operation.needsPlaintext && plain == nil { throw ValidationError("\(operation.rawValue) needs --plain") }
        if operation == .relinearize && relinKeys == nil { throw ValidationError("relinearize needs --relin-keys") }
        if operation == .rotate && steps == nil { throw ValidationError("rotate needs --steps") }
        if (operation == .rotate || operation == .conjugate) && galoisKeys == nil {
            throw ValidationError("\(operation.rawValue) needs --galois-keys")
        }
    }

    func run() throws {
        let context = try CKKSFiles.context(params)
        var operands = EvaluatorOperation.Operands(
            ciphertexts: try inputs.map { try CKKSFiles.load(Ciphertext.self, $0, context: context) }, steps: steps)
        if let plain { operands.plain = try CKKSFiles.load(Plaintext.self, plain, context: context) }
        if let relinKeys { operands.relinKeys = try CKKSFiles.load(RelinKeys.self, relinKeys, context: context) }
        if let galoisKeys { operands.galoisKeys = try CKKSFiles.load(GaloisKeys.self, galoisKeys, context: context) }
        let result: Ciphertext
        do {
            result = try operation.apply(Evaluator(context: context), operands)
        } catch let error as CKKSError {
            throw ToolError("\(operation.rawValue) on \(involvedFiles(for: error)): \(error)")
        }
        try CKKSFiles.save(result, to: out, version: try version.resolve(following: inputs.first))
    }

    /// The files an evaluation error concerns: the inputs, plus the key file for a missing key.
    func involvedFiles(for error: CKKSError) -> String {
        var files = inputs + [plain].compactMap { $0 }
        if case .missingGaloisKey = error, let galoisKeys { files = [galoisKeys] + files }
        return files.joined(separator: ", ")
    }
}
