import ArgumentParser
import CKKS
import Foundation

/// Shared pieces of the scheme subcommands (keygen, encode, encrypt, decrypt, eval): loading parameters and
/// objects with errors that name the file, scale and value parsing, and the version written.
enum CKKSFiles {
    /// The context of a parameters file.
    ///
    /// Loading does not re-apply the security table: the file is what it is.
    /// - Parameter path: a SEAL `EncryptionParameters` file.
    /// - Returns: the context.
    /// - Throws: ``ToolError`` naming the file and the problem.
    static func context(_ path: String) throws -> CKKSContext {
        do {
            return try CKKSContext(EncryptionParameters(contentsOfFile: path), securityLevel: .none)
        } catch let error as CKKSError {
            throw ToolError(Self.message(error, path: path))
        }
    }

    /// Loads a SEAL object of type `T` from `path` for `context`.
    /// - Parameters:
    ///   - type: the object type.
    ///   - path: the file.
    ///   - context: the parameters it must belong to.
    /// - Returns: the object.
    /// - Throws: ``ToolError`` naming the file and the problem (wrong magic, truncated, other parameters, …).
    static func load<T: SEALLoadable>(_ type: T.Type, _ path: String, context: CKKSContext) throws -> T {
        do {
            return try T(contentsOfFile: path, context: context)
        } catch let error as CKKSError {
            throw ToolError(Self.message(error, path: path))
        }
    }

    /// The SEAL version in a file's header: 4.4 for 4.4 files, 4.1 for everything else SEAL 4.1 reads.
    /// - Parameter path: a SEAL file.
    /// - Returns: the version to write results in.
    /// - Throws: ``ToolError`` if the file has no valid header.
    static func version(of path: String) throws -> SEALVersion {
        var reader = ByteReader(try readFile(path), object: path)
        do {
            let header = try SEALHeader.parse(&reader)
            return header.versionMajor == 4 && header.versionMinor == 4 ? .v4_4 : .v4_1
        } catch let error as CKKSError {
            throw ToolError(Self.message(error, path: path))
        }
    }

    /// Saves an object, creating the parent folder, with errors that name the file.
    /// - Parameters:
    ///   - object: what to write.
    ///   - path: the file.
    ///   - version: the header version.
    /// - Throws: ``ToolError`` if the file cannot be written.
    static func save(_ object: some SEALSerializable, to path: String, version: SEALVersion) throws {
        do {
            try object.save(toFile: path, version: version)
        } catch let error as CKKSError {
            throw ToolError(Self.message(error, path: path))
        }
    }

    /// "path: problem", without repeating a path the error already names.
    static func message(_ error: CKKSError, path: String) -> String {
        if case .fileError = error { return error.description }
        return "\(path): \(error)"
    }

    /// Parses a scale: a positive finite number (`1099511627776.0`) or a power of two (`2^40`).
    /// - Parameter text: the flag's value.
    /// - Returns: the scale.
    /// - Throws: ``ToolError`` for anything else.
    static func scale(_ text: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var value: Double?
        if trimmed.hasPrefix("2^"), let exponent = Double(trimmed.dropFirst(2)), exponent.isFinite {
            value = Double.pow2(exponent)
        } else {
            value = Double(trimmed)
        }
        guard let scale = value, scale.isFinite, scale > 0 else {
            throw ToolError("--scale: '\(text)' is not a positive number or a power of two such as 2^40")
        }
        return scale
    }

    /// Reads slot values from a JSON file: an array of numbers (real slots) or of `[re, im]` pairs.
    /// - Parameters:
    ///   - path: the JSON file.
    ///   - slotCount: the most values a plaintext holds.
    /// - Returns: the values as complex numbers.
    /// - Throws: ``ToolError`` naming the file and the problem.
    static func values(_ path: String, slotCount: Int) throws -> [Complex64] {
        let data = Data(try readFile(path))
        let decoder = JSONDecoder()  // parses doubles exactly
        var values: [Complex64]
        if let reals = try? decoder.decode([Double].self, from: data) {
            values = reals.map { Complex64($0) }
        } else if let pairs = try? decoder.decode([[Double]].self, from: data), pairs.allSatisfy({ $0.count == 2 }) {
            values = pairs.map { Complex64($0[0], $0[1]) }
        } else {
            throw ToolError("\(path): expected a JSON array of numbers or of [real, imaginary] pairs")
        }
        guard values.count <= slotCount else {
            throw ToolError("\(path): \(values.count) values do not fit in \(slotCount) slots")
        }
        if let bad = values.firstIndex(where: { !$0.real.isFinite || !$0.imaginary.isFinite }) {
            throw ToolError("\(path): value \(bad) is not a finite number (JSON numbers must fit a double)")
        }
        return values
    }
}

extension Double {
    /// 2^exponent for a possibly fractional exponent (exact for integers).
    fileprivate static func pow2(_ exponent: Double) -> Double {
        exponent == exponent.rounded() && exponent.magnitude < 1024
            ? Double(sign: .plus, exponent: Int(exponent), significand: 1) : Foundation.pow(2, exponent)
    }
}

/// The `--seal-version` option of the scheme subcommands.
struct SEALVersionOption: ParsableArguments {
    @Option(
        name: .customLong("seal-version"),
        help: "Header version of written files: 4.1 or 4.4 (default: the input file's version, else 4.1).")
    var sealVersion: SEALVersion?

    /// The version to write: the flag, else the version of `input`, else 4.1.
    /// - Parameter input: the file whose version results follow.
    /// - Returns: the version.
    /// - Throws: ``ToolError`` if `input` has no valid header.
    func resolve(following input: String?) throws -> SEALVersion {
        if let sealVersion { return sealVersion }
        if let input { return try CKKSFiles.version(of: input) }
        return .defaultForWriting
    }
}
