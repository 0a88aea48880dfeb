import Foundation

/// Images as a model-ready NCHW tensor with their labels: the unit every attack trains and tests on.
public struct LabeledTensor: Sendable, Equatable {
    /// `[N, C, H, W]`, normalised as the data set's test transform does.
    public var images: Tensor
    /// `N` class indices.
    public var labels: [Int]

    /// Wraps a batch.
    /// - Parameters:
    ///   - images: `[N, C, H, W]`.
    ///   - labels: `N` labels.
    public init(images: Tensor, labels: [Int]) {
        self.images = images
        self.labels = labels
    }

    /// Converts decoded images with `normalization` (the data set's test transform).
    /// - Parameters:
    ///   - images: bytes and labels from a loader.
    ///   - normalization: `ToTensor` scaling and per-channel mean/std.
    public init(_ images: LabeledImages, normalization: Normalization) {
        self.images = images.tensor(normalization: normalization)
        labels = images.intLabels
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// The images at `indices`, in that order.
    /// - Parameter indices: positions in `0..<count`.
    /// - Returns: the gathered batch.
    public func subset(_ indices: some Collection<Int>) -> LabeledTensor {
        LabeledTensor(images: images.gather(indices), labels: indices.map { labels[$0] })
    }
}

/// The data of the model-stealing experiments (spec §2, §8.3–8.4): the thief's few samples drawn from the
/// validate half, and the test half every accuracy is reported on.
public struct AttackData: Sendable {
    /// The thief's training samples (the original uses 1,000 from the validate split).
    public var thiefSamples: LabeledTensor
    /// The test half of the official test set.
    public var test: LabeledTensor
    /// The whole validate half (the owner's data for selection and for undoing the user's blinding).
    public var validate: LabeledTensor

    /// Wraps prepared tensors.
    /// - Parameters:
    ///   - thiefSamples: the attacker's labelled samples.
    ///   - test: the reporting set.
    ///   - validate: the validate half.
    public init(thiefSamples: LabeledTensor, test: LabeledTensor, validate: LabeledTensor) {
        self.thiefSamples = thiefSamples
        self.test = test
        self.validate = validate
    }

    /// Loads `dataset` from `root` and draws `samples` validate images with a seeded permutation.
    /// - Parameters:
    ///   - dataset: the data set.
    ///   - root: its folder (default ``Dataset/defaultRoot``).
    ///   - samples: how many validate images the thief gets.
    ///   - testLimit: use only the first `testLimit` test images (`nil`: all), for quick runs.
    ///   - seed: seeds the draw.
    /// - Returns: the thief's `samples` validate images, the (possibly limited) test split and the whole validate
    ///   split, each normalised with the data set's test transform.
    /// - Throws: ``DataFileError`` for missing or bad files; ``NNError/datasetMismatch(_:)`` if `samples`
    ///   is not in `1...validate count`.
    public static func load(
        _ dataset: Dataset, root: URL? = nil, samples: Int, testLimit: Int? = nil, seed: UInt64
    ) throws -> AttackData {
        let validate = try dataset.load(.validate, root: root)
        var test = try dataset.load(.test, root: root)
        guard samples >= 1, samples <= validate.count else {
            throw NNError.datasetMismatch(
                "asked for \(samples) thief samples, the validate split has \(validate.count)")
        }
        if let limit = testLimit, limit < test.count { test = test.subset(Array(0..<max(1, limit))) }
        var generator = Xoshiro256(seed: seed)
        let picked = Array(generator.permutation(validate.count).prefix(samples))
        let all = LabeledTensor(validate, normalization: dataset.normalization)
        return AttackData(
            thiefSamples: all.subset(picked), test: LabeledTensor(test, normalization: dataset.normalization),
            validate: all)
    }
}
