extension LabeledImages {
    /// Images `range` (all by default) as an `[n, C, H, W]` ``Tensor`` after `normalization`.
    ///
    /// - Parameters:
    ///   - range: which images; `nil` for all.
    ///   - normalization: the data set's test transform (``Dataset/normalization``).
    /// - Returns: the batch tensor.
    public func tensor(_ range: Range<Int>? = nil, normalization: Normalization = .unit) -> Tensor {
        let range = range ?? 0..<count
        return Tensor(
            shape: [range.count, channels, height, width], data: floats(at: range, normalization: normalization))
    }

    /// The labels as `Int`, the form the model's evaluation takes.
    public var intLabels: [Int] { labels.map { Int($0) } }
}
