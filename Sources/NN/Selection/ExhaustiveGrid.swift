/// The exhaustive ground truth of spec §7.7: every layer-1 subset of size `i` in `layer1Counts`, combined with every
/// layer-2 subset of size `j` in `i...layer2MaxCount`.
///
/// Each combination costs two evaluations (A_s and A_r), which is why the original ran only MNIST (312,492
/// combinations) and EMNIST (339,825) and took about three days.
public struct ExhaustiveGrid: Hashable, Sendable {
    /// Filters in layer 1 (`N_1`).
    public var layer1Size: Int
    /// Filters in layer 2 (`N_2`).
    public var layer2Size: Int
    /// Layer-1 subset sizes `i`.
    public var layer1Counts: ClosedRange<Int>
    /// Largest layer-2 subset size; `j` runs over `i...layer2MaxCount`.
    public var layer2MaxCount: Int

    /// Creates a grid.
    public init(layer1Size: Int, layer2Size: Int, layer1Counts: ClosedRange<Int>, layer2MaxCount: Int) {
        self.layer1Size = layer1Size
        self.layer2Size = layer2Size
        self.layer1Counts = layer1Counts
        self.layer2MaxCount = layer2MaxCount
    }

    /// MNIST: i ∈ {1, 2} of 6 conv1 filters, j ∈ [i, 6] of 16 conv2 filters.
    public static let mnist = ExhaustiveGrid(layer1Size: 6, layer2Size: 16, layer1Counts: 1...2, layer2MaxCount: 6)
    /// EMNIST: i ∈ {1, 2} of 10 conv1 filters, j ∈ [i, 4] of 20 conv2 filters.
    public static let emnist = ExhaustiveGrid(layer1Size: 10, layer2Size: 20, layer1Counts: 1...2, layer2MaxCount: 4)

    /// One (i, j) category and its number of combinations `C(N_1, i) · C(N_2, j)`.
    public struct Category: Hashable, Sendable {
        /// Layer-1 subset size.
        public var layer1Count: Int
        /// Layer-2 subset size.
        public var layer2Count: Int
        /// Number of selections in the category.
        public var combinations: Int
    }

    /// The category of `i` layer-1 and `j` layer-2 filters (any sizes, not only the grid's own).
    ///
    /// - Throws: ``NNError/invalidSelection(_:)`` when a size is below 1 or above its layer's width.
    public func category(layer1Count i: Int, layer2Count j: Int) throws -> Category {
        guard (1...layer1Size).contains(i), (1...layer2Size).contains(j) else {
            throw NNError.invalidSelection(
                "category (\(i), \(j)) outside layer widths (\(layer1Size), \(layer2Size))")
        }
        return Category(
            layer1Count: i, layer2Count: j, combinations: Self.binomial(layer1Size, i) * Self.binomial(layer2Size, j))
    }

    /// The categories in enumeration order: i ascending, then j ascending.
    public var categories: [Category] {
        layer1Counts.flatMap { i in
            (i...Swift.max(i, layer2MaxCount)).filter { $0 <= layer2MaxCount }.map { j in
                Category(
                    layer1Count: i, layer2Count: j,
                    combinations: Self.binomial(layer1Size, i) * Self.binomial(layer2Size, j))
            }
        }
    }

    /// Total number of selections over all categories.
    public var totalCount: Int { categories.reduce(0) { $0 + $1.combinations } }

    /// Every selection of `category`, layer-1 subsets outer, each subset in lexicographic order (as
    /// `itertools.combinations`).
    public func selections(in category: Category) -> some Sequence<SelectedNeurons> {
        let firsts = Array(Combinations(n: layer1Size, k: category.layer1Count))
        return firsts.lazy.flatMap { first in
            Combinations(n: layer2Size, k: category.layer2Count).lazy.map { second in
                SelectedNeurons(validated: [1: first, 2: second])
            }
        }
    }

    /// Every selection of the grid, category by category.
    public func selections() -> some Sequence<SelectedNeurons> {
        categories.lazy.flatMap { selections(in: $0) }
    }

    /// `C(n, k)`, exact for the small arguments used here.
    public static func binomial(_ n: Int, _ k: Int) -> Int {
        guard k >= 0, k <= n else { return 0 }
        var result = 1
        for step in 0..<min(k, n - k) { result = result * (n - step) / (step + 1) }
        return result
    }
}

/// The `k`-subsets of `0..<n` in lexicographic order.
public struct Combinations: Sequence, IteratorProtocol, Sendable {
    private var current: [Int]
    private let n: Int
    private var done: Bool

    /// Subsets of size `k` of `0..<n` (none when `k > n` or `k < 0`; one empty subset when `k == 0`).
    public init(n: Int, k: Int) {
        self.n = n
        current = Array(0..<Swift.max(k, 0))
        done = k < 0 || k > n
    }

    /// The next subset, or `nil` after the last.
    public mutating func next() -> [Int]? {
        guard !done else { return nil }
        let result = current
        // Advance: find the rightmost index that can still move right.
        let k = current.count
        var i = k - 1
        while i >= 0 && current[i] == n - k + i { i -= 1 }
        if i < 0 {
            done = true
        } else {
            current[i] += 1
            for j in (i + 1)..<k { current[j] = current[j - 1] + 1 }
        }
        return result
    }
}
