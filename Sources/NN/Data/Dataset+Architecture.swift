import Foundation

extension Dataset {
    /// The network PrivDNN trains on this data set (spec §3).
    public var architecture: Architecture {
        switch self {
        case .mnist: .lenet5MNIST
        case .emnist: .lenet5EMNIST
        case .gtsrb: .alexNetGTSRB
        case .cifar10: .vgg16CIFAR10
        case .tinyimagenet: .resNet18TinyImageNet
        }
    }

    /// One subset as model input: normalized `[N, C, H, W]` images and `Int` labels.
    ///
    /// - Parameters:
    ///   - subset: train, validate (selection, per spec §12 item 13) or test (reporting).
    ///   - root: the data folder, default ``defaultRoot``.
    /// - Returns: the images and labels.
    /// - Throws: ``DataFileError`` naming the missing or bad file.
    public func tensors(_ subset: Subset, root: URL? = nil) throws -> (images: Tensor, labels: [Int]) {
        let set = try load(subset, root: root)
        return (set.tensor(normalization: normalization), set.intLabels)
    }
}

extension Dataset {
    /// `count` seeded random images of this data set's shape with seeded random labels: the benchmark input for
    /// the networks whose data cannot be had here (time and memory do not depend on the pictures).
    /// - Parameters:
    ///   - count: the number of images.
    ///   - seed: the generator's seed.
    /// - Returns: uniform random bytes and labels in `0..<outputCount`.
    public func synthetic(count: Int, seed: UInt64 = 0) -> LabeledImages {
        var generator = Xoshiro256(seed: seed)
        let shape = inputShape
        let pixels = (0..<(max(0, count) * shape.channels * shape.height * shape.width)).map { _ in
            UInt8(truncatingIfNeeded: generator.next())
        }
        let labels = (0..<max(0, count)).map { _ in Int32(generator.next() % UInt64(outputCount)) }
        return LabeledImages(
            unchecked: max(0, count), channels: shape.channels, height: shape.height, width: shape.width,
            pixels: pixels, labels: labels, labelNames: (0..<outputCount).map(String.init))
    }
}
