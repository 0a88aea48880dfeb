import ArgumentParser
import CKKS
import Foundation
import NTT

/// `privdnn ckks`: SEAL-compatible CKKS files (parameters, inspection).
struct CKKSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ckks",
        abstract: "Create and inspect SEAL-compatible CKKS files.",
        subcommands: [
            CKKSParamsCommand.self, CKKSInspectCommand.self, CKKSKeygenCommand.self, CKKSEncodeCommand.self,
            CKKSEncryptCommand.self, CKKSDecryptCommand.self, CKKSEvalCommand.self,
        ]
    )
}

/// A one-line CLI failure (ArgumentParser prints `Error: <description>` and exits non-zero).
struct ToolError: Error, CustomStringConvertible {
    /// The message.
    let description: String
    init(_ description: String) { self.description = description }
}

extension SEALVersion: ExpressibleByArgument {
    /// Parses "4.1" or "4.4".
    public init?(argument: String) {
        guard let version = Self.allCases.first(where: { $0.description == argument }) else { return nil }
        self = version
    }

    /// The accepted spellings, for help.
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

/// The `--security` choices: SEAL's `sec_level_type`.
enum SecurityOption: String, ExpressibleByArgument, CaseIterable {
    case none, tc128 = "128", tc192 = "192", tc256 = "256"

    var level: SecurityLevel {
        switch self {
        case .none: .none
        case .tc128: .tc128
        case .tc192: .tc192
        case .tc256: .tc256
        }
    }
}

/// `privdnn ckks params`: writes SEAL `EncryptionParameters` for CKKS, byte-identical to SEAL's
/// `EncryptionParameters::save` with compression none.
struct CKKSParamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "params",
        abstract: "Write CKKS encryption parameters as a SEAL file (primes as CoeffModulus::Create picks them)."
    )

    @Option(help: "Ring degree N, a power of two (e.g. 8192).")
    var degree: Int

    @Option(help: "Comma-separated prime bit sizes, e.g. 60,40,40,60 (the last is the special prime).")
    var bits: String

    @Option(help: "Output file.")
    var out: String

    @Option(name: .customLong("seal-version"), help: "Header version: 4.1 (SEAL 4.1 readable) or 4.4 (seal-python).")
    var sealVersion: SEALVersion = .v4_1

    @Option(help: "Security level the total modulus must meet: none, 128, 192 or 256.")
    var security: SecurityOption = .tc128

    func run() throws {
        let sizes = try Self.parseBits(bits)
        let parms = try EncryptionParameters(polyModulusDegree: degree, bitSizes: sizes)
        let context = try CKKSContext(parms, securityLevel: security.level)
        try parms.save(toFile: out, version: sealVersion)
        let bitsTotal = context.keyContextData.totalCoeffModulusBitCount
        print(
            "wrote \(out): CKKS N=\(degree), \(sizes.count) primes (\(bitsTotal) bits), key parms_id \(parms.parmsID)")
    }

    /// The one line a failure prints (what ArgumentParser writes after `Error: `).
    static func message(for error: any Error) -> String { "\(error)" }

    /// "60,40,40,60" -> [60, 40, 40, 60], or a one-line error naming the bad entry.
    static func parseBits(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var sizes: [Int] = []
        for part in parts {
            guard let size = Int(part) else {
                throw ToolError("--bits: '\(part)' is not a bit size (expected e.g. 60,40,40,60)")
            }
            sizes.append(size)
        }
        return sizes
    }
}

/// `privdnn ckks inspect`: header and object summary of a SEAL file as JSON.
struct CKKSInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a SEAL file (header, object type, parms_id, level, scale, size) as JSON."
    )

    @Argument(help: "A SEAL-serialized object.")
    var file: String

    @Option(help: "The encryption parameters file, to validate the object and tell keys from data.")
    var params: String?

    func run() throws {
        print(try report())
    }

    /// The JSON report (pretty, keys sorted).
    func report() throws -> String {
        let bytes = try readFile(file)
        var context: CKKSContext?
        if let params { context = try CKKSFiles.context(params) }
        let summary: SEALObjectSummary
        do {
            summary = try SEALObjectInspector.inspect(bytes, context: context)
        } catch let error as CKKSError {
            throw ToolError("\(file): \(error)")
        }
        return try InspectReport(file: file, summary: summary).json()
    }
}

/// Reads a whole file, or fails with one line naming it.
func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ToolError(
            "\(path): " + (FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"))
    }
    return [UInt8](data)
}

/// The JSON shape of `privdnn ckks inspect`.
struct InspectReport: Encodable {
    struct Header: Encodable {
        let magic: String
        let version: String
        let comprMode: String
        let size: UInt64

        enum CodingKeys: String, CodingKey {
            case magic, version, size
            case comprMode = "compr_mode"
        }
    }

    let file: String
    let header: Header
    let type: String
    let candidates: [String]
    let validated: Bool
    let parmsID: String?
    let level: Int?
    let scale: Double?
    let size: Int?
    let polyModulusDegree: Int?
    let coeffModulusSize: Int?
    let coeffModulus: [UInt64]?
    let seeded: Bool?
    let galoisElements: [UInt64]?

    enum CodingKeys: String, CodingKey {
        case file, header, type, candidates, validated, level, scale, size, seeded
        case parmsID = "parms_id"
        case polyModulusDegree = "poly_modulus_degree"
        case coeffModulusSize = "coeff_modulus_size"
        case coeffModulus = "coeff_modulus"
        case galoisElements = "galois_elements"
    }

    init(file: String, summary s: SEALObjectSummary) {
        self.file = file
        header = Header(
            magic: "0xA15E", version: "\(s.header.versionMajor).\(s.header.versionMinor)",
            comprMode: ComprMode(rawValue: s.header.comprMode.rawValue)?.description ?? "?", size: s.header.size)
        type = s.type.rawValue
        candidates = s.candidates.map(\.rawValue)
        validated = s.validated
        parmsID = s.parmsID?.description
        level = s.chainIndex
        scale = s.scale
        size = s.size
        polyModulusDegree = s.polyModulusDegree
        coeffModulusSize = s.coeffModulusSize
        coeffModulus = s.coeffModulus
        seeded = s.seeded
        galoisElements = s.galoisElements
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
