import NN

/// How the encrypted part of a network lays values out in a ciphertext's slots: one plan (`StageGeometry`,
/// `LayerKernels`, `ScalePlan`), two layouts.
public enum Packing: String, Codable, Sendable, CaseIterable {
    /// Images across slots (slot i holds image i, as the original does): every weight is a scalar ciphertext and
    /// every feature-map value its own ciphertext. One request costs the same for 1 image as for N/2, so it is the
    /// packing for scoring a test set.
    case batch
    /// One image's feature-map positions across slots (`PixelsLayout`): weights are slot vectors and a request
    /// carries one image's outputs in a few ciphertexts. The packing for an app that classifies one picture.
    case pixels

    /// Images up to which ``automatic(images:)`` picks ``pixels``.
    ///
    /// A pixels request costs per image, a batch request per N/2 images. Measured one-image costs (BENCHMARKS.md,
    /// "One image"): LeNet-5 (1,1) 83 ms in pixels against 1.2 s for a batch of any size, so pixels is cheaper up
    /// to ~15 images; for CIFAR-10's VGG-16 at 50 % (1.1 s against minutes) far beyond that. Eight stays below the
    /// smallest measured crossover.
    public static let pixelsUpTo = 8

    /// The cheaper packing for `images` images: ``pixels`` up to ``pixelsUpTo``, ``batch`` above.
    public static func automatic(images: Int) -> Packing { images <= pixelsUpTo ? .pixels : .batch }

    /// The packings a package of `model` can serve: both, or batch only for a residual network whose conv2 has no
    /// tap reading conv1's plane in place (the pixels packing returns conv1's result from that tap's lanes).
    /// - Parameter model: the model to package.
    /// - Returns: the packings, batch first.
    /// - Throws: ``InferenceError`` for a model whose encrypted part the engine cannot place.
    public static func servable(by model: Model) throws -> [Packing] {
        let structure = try EncryptedStructure(model)
        guard structure.readsConv1Result else { return allCases }
        return PixelsLayout.identityTap(try StageGeometry(model: model)) == nil ? [.batch] : allCases
    }
}
