/// Errors of encrypted inference and of the owner/user exchange.
///
/// Messages name the file or the value at
/// fault and never contain key material.
public enum InferenceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model cannot be run by the encrypted pipeline.
    case unsupportedModel(String)
    /// A file is missing, truncated, of the wrong kind or version, or fails its content hash.
    case badFile(path: String, reason: String)
    /// Two files do not belong together (parms_id, package or request hash mismatch).
    case mismatch(path: String, reason: String)
    /// A package carries a secret key; the user refuses it.
    case secretKeyInPackage(path: String)
    /// Invalid arguments (selection, image count, options).
    case invalidArgument(String)

    /// One line for the command line.
    public var description: String {
        switch self {
        case .unsupportedModel(let reason): "unsupported model: \(reason)"
        case .badFile(let path, let reason): "\(path): \(reason)"
        case .mismatch(let path, let reason): "\(path): \(reason)"
        case .secretKeyInPackage(let path): "\(path): the package contains a secret key; refusing to use it"
        case .invalidArgument(let reason): reason
        }
    }
}
