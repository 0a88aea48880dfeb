/// A dense `Float` tensor in row-major order; images are NCHW (batch, channel, height, width).
///
/// `Float` keeps training fast; the CKKS side converts the few values it encrypts to `Double`.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements, contiguous, last dimension fastest.
    public var data: [Float]

    /// Wraps existing elements.
    /// - Parameters:
    ///   - shape: the dimensions; their product must equal `data.count`.
    ///   - data: the elements in row-major order.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "tensor data count \(data.count) does not fit shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of the given shape filled with `value` (zeros by default).
    /// - Parameters:
    ///   - shape: the dimensions.
    ///   - value: the fill value.
    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// The number of elements.
    @inlinable public var count: Int { data.count }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The elements per item of the outermost (batch) dimension.
    @inlinable public var itemCount: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// The same elements under another shape with the same element count.
    /// - Parameter newShape: the dimensions of the view.
    /// - Returns: the reshaped tensor (a copy-on-write share of the elements).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Items `range` of the outermost dimension, as a new tensor.
    /// - Parameter range: indices into the batch dimension.
    /// - Returns: the slice, with the batch extent set to `range.count`.
    public func items(_ range: Range<Int>) -> Tensor {
        let per = itemCount
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, data: Array(data[range.lowerBound * per..<range.upperBound * per]))
    }

    /// Items at `indices` of the outermost dimension, gathered in that order.
    /// - Parameter indices: indices into the batch dimension.
    /// - Returns: a tensor whose batch extent is `indices.count`.
    public func gather(_ indices: some Collection<Int>) -> Tensor {
        let per = itemCount
        var newShape = shape
        newShape[0] = indices.count
        var out = [Float](repeating: 0, count: indices.count * per)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                    (to + row * per).update(from: from + index * per, count: per)
                }
            }
        }
        return Tensor(shape: newShape, data: out)
    }

    /// Concatenates tensors along the batch dimension; all must agree on the other dimensions.
    /// - Parameter parts: the tensors, in order.
    /// - Returns: one tensor whose batch extent is the sum of the parts'.
    public static func concatenate(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(shape: [0]) }
        var shape = first.shape
        shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
        var out = [Float]()
        out.reserveCapacity(shape.reduce(1, *))
        for part in parts {
            precondition(Array(part.shape.dropFirst()) == Array(first.shape.dropFirst()), "concatenate: shapes differ")
            out.append(contentsOf: part.data)
        }
        return Tensor(shape: shape, data: out)
    }
}
