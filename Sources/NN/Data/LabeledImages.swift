/// A set of same-sized 8-bit images with integer labels, stored NCHW in one flat array.
///
/// This is the loaders' common output. It is independent of the tensor type: ``floats(at:normalization:)``
/// turns a range of images into the `[Float]` a model consumes.
public struct LabeledImages: Equatable, Sendable {
    /// Number of images.
    public var count: Int
    /// Channels per image (1 for grey, 3 for RGB).
    public var channels: Int
    /// Image height in pixels.
    public var height: Int
    /// Image width in pixels.
    public var width: Int
    /// Pixels, NCHW: image `n`, channel `c`, row `y`, column `x` is at `((n·C + c)·H + y)·W + x`.
    public var pixels: [UInt8]
    /// One label per image, in `0..<classCount`.
    public var labels: [Int32]
    /// A name per class index (`labelNames.count == classCount`).
    public var labelNames: [String]

    /// Number of classes the labels index into (a model's output width).
    public var classCount: Int { labelNames.count }
    /// Bytes per image: channels × height × width.
    public var imageSize: Int { channels * height * width }

    /// Creates an image set, checking that the arrays fit the stated sizes.
    ///
    /// - Throws: ``NNError/shapeMismatch(_:)`` when `pixels` or `labels` do not match `count` and the image size,
    ///   or a label is outside `0..<labelNames.count`.
    public init(
        count: Int, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32], labelNames: [String]
    ) throws {
        guard count >= 0, channels > 0, height > 0, width > 0 else {
            throw NNError.shapeMismatch("image set \(count)×\(channels)×\(height)×\(width)")
        }
        guard pixels.count == count * channels * height * width else {
            throw NNError.shapeMismatch(
                "\(pixels.count) pixels for \(count) images of \(channels)×\(height)×\(width)")
        }
        guard labels.count == count else {
            throw NNError.shapeMismatch("\(labels.count) labels for \(count) images")
        }
        if let bad = labels.first(where: { $0 < 0 || Int($0) >= labelNames.count }) {
            throw NNError.shapeMismatch("label \(bad) outside 0..<\(labelNames.count)")
        }
        self.init(
            unchecked: count, channels: channels, height: height, width: width, pixels: pixels, labels: labels,
            labelNames: labelNames)
    }

    /// The pixels of image `index` (C×H×W bytes).
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        pixels[(index * imageSize)..<((index + 1) * imageSize)]
    }

    /// The images at `indices`, in that order (used by ``DatasetSplit``).
    ///
    /// - Precondition: every index is in `0..<count` (indices come from code, not from files).
    public func subset(_ indices: [Int]) -> LabeledImages {
        var newPixels = [UInt8]()
        newPixels.reserveCapacity(indices.count * imageSize)
        var newLabels = [Int32]()
        newLabels.reserveCapacity(indices.count)
        for index in indices {
            precondition(index >= 0 && index < count, "subset index \(index) outside 0..<\(count)")
            newPixels.append(contentsOf: image(index))
            newLabels.append(labels[index])
        }
        return LabeledImages(
            unchecked: indices.count, channels: channels, height: height, width: width,
            pixels: newPixels, labels: newLabels, labelNames: labelNames)
    }

    /// The images `range`, as floats NCHW after `normalization` (ToTensor scaling, then per-channel mean/std).
    public func floats(at range: Range<Int>, normalization: Normalization = .unit) -> [Float] {
        let size = imageSize
        let plane = height * width
        var out = [Float](repeating: 0, count: range.count * size)
        let scale = normalization.perChannelScale(channels: channels)
        let shift = normalization.perChannelShift(channels: channels)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (k, n) in range.enumerated() {
                    for c in 0..<channels {
                        let s = scale[c]
                        let b = shift[c]
                        let from = n * size + c * plane
                        let to = k * size + c * plane
                        for i in 0..<plane { dst[to + i] = Float(src[from + i]) * s + b }
                    }
                }
            }
        }
        return out
    }

    /// Memberwise init without validation, for results the loaders have already checked.
    init(
        unchecked count: Int, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32],
        labelNames: [String]
    ) {
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.labelNames = labelNames
    }
}

/// Pixel scaling of the spec's test transforms: `ToTensor` (bytes / 255) then `Normalize(mean, std)` per channel.
public struct Normalization: Equatable, Sendable {
    /// Per-channel means (one value is broadcast to every channel).
    public var mean: [Float]
    /// Per-channel standard deviations (one value is broadcast to every channel).
    public var std: [Float]

    /// Creates a normalization `(x/255 − mean[c]) / std[c]`.
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// `ToTensor` only: bytes to `[0, 1]` (MNIST, EMNIST, TinyImageNet).
    public static let unit = Normalization(mean: [0], std: [1])
    /// `Normalize(0.5, 0.5)`: bytes to `[−1, 1]` (CIFAR-10).
    public static let symmetric = Normalization(mean: [0.5], std: [0.5])
    /// ImageNet statistics `mean (0.485, 0.456, 0.406)`, `std (0.229, 0.224, 0.225)` (GTSRB).
    public static let imageNet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    func perChannelScale(channels: Int) -> [Float] {
        (0..<channels).map { 1 / (255 * value(std, $0)) }
    }

    func perChannelShift(channels: Int) -> [Float] {
        (0..<channels).map { -value(mean, $0) / value(std, $0) }
    }

    private func value(_ list: [Float], _ channel: Int) -> Float {
        list.isEmpty ? 0 : list[min(channel, list.count - 1)]
    }
}
