/// The errors the NN layer throws for bad input: files, shapes, and arguments.
public enum NNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tensor shape does not fit where it is used.
    case shapeMismatch(String)

    /// A human-readable one-line message.
    public var description: String {
        switch self {
        case .shapeMismatch(let why): "shape mismatch: \(why)"
        }
    }
}
