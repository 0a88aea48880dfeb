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
