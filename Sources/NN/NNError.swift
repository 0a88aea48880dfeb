/// The errors the NN layer throws for bad input: files, shapes, and arguments.
public enum NNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tensor shape does not fit where it is used.
    case shapeMismatch(String)
    /// A model file lacks a tensor the architecture needs.
    case missingTensor(String)
    /// A model file holds a tensor the architecture does not have.
    case unexpectedTensor(String)
    /// A model file's tensor has the wrong shape for the architecture.
    case tensorShape(name: String, expected: [Int], found: [Int])
    /// A filter selection names a layer or filter the model does not have.
    case invalidSelection(String)
    /// A data set does not fit the model (image shape or label range).
    case datasetMismatch(String)
    /// A model file's tensor holds a NaN or an infinity: the tensor, the first such entry and its value.
    case nonFiniteTensor(name: String, index: Int, value: Double)

    /// A human-readable one-line message.
    public var description: String {
        switch self {
        case .shapeMismatch(let why): "shape mismatch: \(why)"
        case .missingTensor(let name): "missing tensor '\(name)'"
        case .unexpectedTensor(let name): "unexpected tensor '\(name)' (not part of this architecture)"
        case .tensorShape(let name, let expected, let found):
            "tensor '\(name)' has shape \(found), the architecture needs \(expected)"
        case .invalidSelection(let why): "invalid filter selection: \(why)"
        case .datasetMismatch(let why): "data set does not fit the model: \(why)"
        case .nonFiniteTensor(let name, let index, let value):
            "tensor '\(name)' holds \(value) at index \(index); a model's weights must be finite numbers"
        }
    }
}
