import ArgumentParser
import CKKS
import Foundation

/// `privdnn ckks keygen`: a fresh key set as SEAL files in one folder.
struct CKKSKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate secret.key, public.key, relin.key and galois.key (SEAL files) into a folder."
    )

    @Option(help: "The encryption parameters file.")
    var params: String

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(
        parsing: .unconditional,
        help: "Comma-separated rotation steps for the Galois keys (0 = conjugation). Default: SEAL's powers of two.")
    var rotations: String?

    @Option(
        help: ArgumentHelp(
            "Highest power of the secret key in relin.key (2 = SEAL's s² only; 3 adds s³ for size-4 ciphertexts).",
            valueName: "p"))
    var relinMaxPower = 2

    @OptionGroup var version: SEALVersionOption

    func validate() throws {
        let powers = 2...KeyGenerator.maxRelinKeyPower
        guard powers.contains(relinMaxPower) else {
            throw ValidationError("--relin-max-power must be in \(powers.lowerBound)...\(powers.upperBound)")
        }
    }

    func run() throws {
        let context = try CKKSFiles.context(params)
        let steps = try rotations.map(Self.parseSteps)
        let writeVersion = try version.resolve(following: params)
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw ToolError("\(out): cannot create the folder")
        }
        let keygen = KeyGenerator(context: context)
        let folder = URL(fileURLWithPath: out)
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        try CKKSFiles.save(keygen.secretKey, to: path("secret.key"), version: writeVersion)
        // The secret key is readable by its owner only.
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("secret.key"))
        try CKKSFiles.save(keygen.createPublicKey(), to: path("public.key"), version: writeVersion)
        let galois: GaloisKeys
        do {
            try CKKSFiles.save(
                keygen.createRelinKeys(maxPower: relinMaxPower), to: path("relin.key"), version: writeVersion)
            galois = try steps.map { try keygen.createGaloisKeys(steps: $0) } ?? keygen.createGaloisKeys()
        } catch let error as CKKSError {
            throw ToolError("\(params): \(error)")
        }
        try CKKSFiles.save(galois, to: path("galois.key"), version: writeVersion)
        print(
            "wrote secret.key, public.key, relin.key, galois.key (\(galois.galoisElements.count) Galois elements)"
                + " to \(out), SEAL \(writeVersion)")
    }

    /// "1,-1,0" -> [1, -1, 0], or a one-line error naming the bad entry.
    static func parseSteps(_ text: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let step = Int(trimmed) else { throw ToolError("--rotations: '\(trimmed)' is not an integer step") }
            return step
        }
    }
}
