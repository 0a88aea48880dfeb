import Foundation

/// An exchange file of a package as the user reads it: its header checked against the manifest's content hash
/// (``ExchangeFile/contentHash(header:)``); the payload is left for the caller to check against the header's
/// payload hash while parsing it.
struct PackageExchangeFile {
    /// Where the file was read from.
    let url: URL
    /// The whole file.
    let bytes: [UInt8]
    /// The parsed header.
    let header: ExchangeFile.Header
    /// Where the payload lies in ``bytes``.
    let payload: Range<Int>

    /// Reads `url` and checks its header.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a missing or malformed file or a header whose hash
    ///   is not `expectedHash`.
    init(_ url: URL, expectedHash: String?) throws {
        guard let bytes = try FileBytes.read(url) else {
            throw InferenceError.badFile(path: url.path, reason: "missing from the package")
        }
        let (header, payloadStart) = try ExchangeFile.parseHeader(bytes, path: url.path)
        guard expectedHash == ExchangeFile.contentHash(header: bytes[..<payloadStart]) else {
            throw InferenceError.badFile(path: url.path, reason: "content hash differs from the manifest")
        }
        self.url = url
        self.bytes = bytes
        self.header = header
        payload = payloadStart..<bytes.count
    }
}
