/// The training-time image transforms of spec §2, on 8-bit images before normalization.
///
/// GTSRB and CIFAR-10 train with `RandomHorizontalFlip()` (p = 0.5) and `RandomGrayscale(p=0.1)`; MNIST, EMNIST and
/// TinyImageNet train without augmentation. Draws come from an injected seeded generator, so an epoch's
/// augmented copy is reproducible.
public struct Augmentation: Hashable, Sendable {
    /// Probability of mirroring an image left to right.
    public var horizontalFlip: Double
    /// Probability of replacing an RGB image by its luma in all three channels.
    public var grayscale: Double

    /// Creates an augmentation with the given probabilities.
    public init(horizontalFlip: Double = 0, grayscale: Double = 0) {
        self.horizontalFlip = horizontalFlip
        self.grayscale = grayscale
    }

    /// No augmentation.
    public static let none = Augmentation()
    /// `RandomHorizontalFlip()` then `RandomGrayscale(p=0.1)`, as GTSRB and CIFAR-10 train.
    public static let flipAndGrayscale = Augmentation(horizontalFlip: 0.5, grayscale: 0.1)

    /// The augmentation the spec trains `dataset` with.
    public static func training(_ dataset: Dataset) -> Augmentation {
        switch dataset {
        case .gtsrb, .cifar10: .flipAndGrayscale
        case .mnist, .emnist, .tinyimagenet: .none
        }
    }

    /// A randomly augmented copy of `images` (labels unchanged).
    ///
    /// - Parameters:
    ///   - images: the training set.
    ///   - generator: the random source, advanced by two draws per image.
    /// - Returns: the augmented images.
    public func apply(to images: LabeledImages, using generator: inout some RandomNumberGenerator) -> LabeledImages {
        var out = images
        let plane = images.height * images.width
        for n in 0..<images.count {
            let flip = Double.random(in: 0..<1, using: &generator) < horizontalFlip
            let grey = Double.random(in: 0..<1, using: &generator) < grayscale
            let base = n * images.imageSize
            if flip {
                for c in 0..<images.channels {
                    for y in 0..<images.height {
                        let row = base + c * plane + y * images.width
                        var left = row
                        var right = row + images.width - 1
                        while left < right {
                            out.pixels.swapAt(left, right)
                            left += 1
                            right -= 1
                        }
                    }
                }
            }
            if grey && images.channels == 3 {
                for i in 0..<plane {
                    let luma = Self.luma(
                        red: out.pixels[base + i], green: out.pixels[base + plane + i],
                        blue: out.pixels[base + 2 * plane + i])
                    for c in 0..<3 { out.pixels[base + c * plane + i] = luma }
                }
            }
        }
        return out
    }

    /// ITU-R 601-2 luma as PIL's `convert("L")` computes it (16-bit fixed point, rounded).
    public static func luma(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        let r: Int = Int(red) * 19595
        let g: Int = Int(green) * 38470
        let b: Int = Int(blue) * 7471
        return UInt8((r + g + b + 0x8000) >> 16)
    }
}
