/// HRank's filter importance (Lin et al., CVPR 2020; spec §7.4, prune index 3).
///
/// The matrix rank of each filter's output feature map, averaged over a sample of training images. Filters whose maps
/// carry more independent rows are taken to hold more information and are kept ("the n_l highest").
public enum FeatureMapRanks {
    /// The sample size the original meant to use (`use_partial_dataloaders(count=500)`; its hook actually ran over
    /// the whole train split, spec §7.4).
    public static let defaultImageCount = 500

    /// Images converted and pushed through the network at a time: memory stays bounded by one chunk's activations
    /// whatever the sample size.
    public static let defaultChunk = 50

    /// Which training images HRank looks at: `count` distinct indices drawn uniformly with a seeded generator,
    /// ascending (all of them when the split is smaller).
    ///
    /// A seeded sample rather than the first `count`: some splits are stored class by class (GTSRB's folders), so
    /// their first 500 images would all show one sign.
    /// - Parameters:
    ///   - count: how many.
    ///   - total: the split's size.
    ///   - seed: seeds the draw.
    /// - Returns: indices into the split.
    public static func sample(_ count: Int, of total: Int, seed: UInt64) -> [Int] {
        guard count < total else { return Array(0..<max(0, total)) }
        var generator = Xoshiro256(seed: seed)
        var indices = Array(0..<total)
        // Partial Fisher–Yates: the first `count` slots end up a uniform sample without replacement.
        for i in 0..<count { indices.swapAt(i, Int.random(in: i..<total, using: &generator)) }
        return indices[0..<count].sorted()
    }

    /// The average rank of each filter's output maps of conv1 or conv2 over `images`.
    ///
    /// - Parameters:
    ///   - model: a trained model (masks are ignored and left as they were).
    ///   - layer: 1 or 2.
    ///   - images: the sample (see ``sample(_:of:seed:)``).
    ///   - normalization: the data set's test transform (``Dataset/normalization``).
    ///   - chunk: images per forward pass.
    /// - Returns: one average in `0...min(H', W')` per filter, in filter order.
    /// - Throws: ``NNError/invalidSelection(_:)`` for another layer, ``NNError/datasetMismatch(_:)`` for images
    ///   that do not fit the model or an empty sample.
    public static func averages(
        model: Model, layer: Int, images: LabeledImages, normalization: Normalization, chunk: Int = defaultChunk
    ) throws -> [Double] {
        guard images.count > 0 else { throw NNError.datasetMismatch("HRank needs at least one image") }
        var totals: [Int] = []
        var start = 0
        while start < images.count {
            let range = start..<min(images.count, start + max(1, chunk))
            let maps = try model.rawConvOutputs(
                layer: layer, images: images.tensor(range, normalization: normalization))
            let ranks = ranksOfMaps(maps)
            let filters = maps.shape[1]
            if totals.isEmpty { totals = [Int](repeating: 0, count: filters) }
            for (index, rank) in ranks.enumerated() { totals[index % filters] += rank }
            start = range.upperBound
        }
        return totals.map { Double($0) / Double(images.count) }
    }

    /// The rank of every `[H, W]` map of an `[N, C, H, W]` batch, in storage order (`n · C + c`).
    static func ranksOfMaps(_ maps: Tensor) -> [Int] {
        precondition(maps.rank == 4, "feature maps are [N, C, H, W]")
        let count = maps.shape[0] * maps.shape[1], rows = maps.shape[2], columns = maps.shape[3]
        var ranks = [Int](repeating: 0, count: count)
        maps.data.withUnsafeBufferPointer { source in
            ranks.withUnsafeMutableBufferPointer { target in
                guard let x = source.baseAddress, let r = target.baseAddress else { return }
                nonisolated(unsafe) let out = r
                Parallelism.forEachChunk(count, minimumChunk: 16) { _, range in
                    var workspace = JacobiWorkspace()
                    for map in range {
                        out[map] = workspace.rank(
                            of: x + map * rows * columns, rows: rows, columns: columns,
                            epsilon: Double(Float.ulpOfOne))
                    }
                }
            }
        }
        return ranks
    }
}
