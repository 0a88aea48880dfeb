import Foundation

/// A PEM file of certificate authorities for ``OwnerClient/init(owner:token:caFile:)``, checked when the client is
/// made so that a missing or wrong file is named at once rather than as a TLS failure at the first request.
enum CertificateAuthorityFile {
    /// Checks that `file` holds at least one PEM certificate whose base64 decodes to a DER sequence, and nothing
    /// but certificates between PEM markers (a private key in the trust file is refused: it belongs elsewhere).
    /// - Returns: the number of certificates.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` naming the file.
    static func check(_ file: URL) throws -> Int {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
            throw InferenceError.badFile(path: file.path, reason: "no such CA file")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: file.path) else {
            throw InferenceError.badFile(path: file.path, reason: "cannot read the CA file")
        }
        // A CA bundle is a few KiB; a large file is not one (and is not read into a string).
        guard data.count <= 1 << 22 else {
            throw InferenceError.badFile(path: file.path, reason: "not a PEM CA file (\(data.count) bytes)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var certificates = 0
        var label: Substring?
        var base64 = ""
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let begin = Self.marker(line, "BEGIN") {
                guard label == nil else { throw malformed(file, "a BEGIN line inside a PEM block") }
                guard begin == "CERTIFICATE" || begin == "TRUSTED CERTIFICATE" else {
                    throw malformed(file, "holds a \(begin) block, not only certificates")
                }
                (label, base64) = (begin, "")
            } else if let end = Self.marker(line, "END") {
                guard end == label else { throw malformed(file, "an END line without its BEGIN") }
                guard let der = Data(base64Encoded: base64), der.first == 0x30, der.count > 64 else {
                    throw malformed(file, "certificate \(certificates + 1) is not base64 DER")
                }
                (label, certificates) = (nil, certificates + 1)
            } else if label != nil {
                base64 += line
            }
        }
        guard label == nil else { throw malformed(file, "a PEM block without its END line") }
        guard certificates > 0 else { throw malformed(file, "no BEGIN CERTIFICATE block") }
        return certificates
    }

    /// The label of a `-----BEGIN label-----` (or END) line.
    private static func marker(_ line: String, _ kind: String) -> Substring? {
        let prefix = "-----\(kind) ", suffix = "-----"
        guard line.hasPrefix(prefix), line.hasSuffix(suffix), line.count > prefix.count + suffix.count else {
            return nil
        }
        return line.dropFirst(prefix.count).dropLast(suffix.count)
    }

    private static func malformed(_ file: URL, _ reason: String) -> InferenceError {
        .badFile(path: file.path, reason: "not a PEM CA file: \(reason)")
    }
}
