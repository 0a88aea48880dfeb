/// The validate/test halves of an official test set (spec §2).
///
/// The original calls `random_split(test_set, [n/2, n − n/2], generator=manual_seed(0))`: a PyTorch `randperm(n)`
/// from an MT19937 seeded with 0, whose first half is **validate** and second half **test**. Selection and every
/// reported accuracy use the test half; the recovery attacks draw their samples from the validate half.
public struct DatasetSplit: Equatable, Sendable {
    /// Indices into the official test set forming the validate half, in permutation order.
    public var validateIndices: [Int]
    /// Indices into the official test set forming the test half, in permutation order.
    public var testIndices: [Int]

    /// Splits `count` items 50/50 (validate gets `count / 2`) with PyTorch's `randperm` under `seed`.
    public init(count: Int, seed: UInt32 = 0) {
        let permutation = DatasetSplit.torchRandomPermutation(count, seed: seed)
        let half = count / 2
        validateIndices = Array(permutation[0..<half])
        testIndices = Array(permutation[half...])
    }

    /// The validate half of `images`.
    public func validate(_ images: LabeledImages) -> LabeledImages { images.subset(validateIndices) }

    /// The test half of `images`.
    public func test(_ images: LabeledImages) -> LabeledImages { images.subset(testIndices) }

    /// PyTorch's CPU `randperm(n, generator)` for `n` below 2^32/20: a forward Fisher–Yates shuffle that swaps
    /// position `i` with `i + (random() mod (n − i))`, where `random()` is one 32-bit MT19937 output.
    public static func torchRandomPermutation(_ n: Int, seed: UInt32) -> [Int] {
        var generator = MersenneTwister(seed: seed)
        var values = Array(0..<n)
        var i = 0
        while i < n - 1 {
            let z = Int(generator.next()) % (n - i)
            values.swapAt(i, i + z)
            i += 1
        }
        return values
    }
}
