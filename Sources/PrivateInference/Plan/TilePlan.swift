/// A block of the encrypted conv2 outputs the engine finishes together and sends as one request chunk: the
/// selected conv2 filters `filters` (indices into the selection) at the output rows `rows` (every column).
struct OutputTile: Sendable, Equatable, Hashable {
    /// Indices into the selected conv2 filters.
    var filters: Range<Int>
    /// conv2 (pooled) output rows.
    var rows: Range<Int>

    /// Result ciphertexts of the tile's conv2 outputs.
    func positions(_ geometry: StageGeometry) -> Int { rows.count * geometry.conv2Side }

    /// The conv1 result rows (a residual shortcut reads them) carried by this tile's chunk: its own rows in the
    /// first block of filters, none in the others, so that every row is sent once.
    func conv1ResultRows(_ geometry: StageGeometry) -> Range<Int> { filters.lowerBound == 0 ? rows : 0..<0 }

    /// The `"a..<b"` form used in chunk headers.
    static func describe(_ range: Range<Int>) -> String { "\(range.lowerBound)..<\(range.upperBound)" }

    /// Parses ``describe(_:)``'s form (`nil` for anything else, or an empty or inverted range).
    static func parse(_ text: String) -> Range<Int>? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: true)
        guard text.contains("..<"), parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1].dropFirst()),
            parts[1].first == "<", a >= 0, a < b
        else { return nil }
        return a..<b
    }
}

/// How the engine cuts a request into ``OutputTile``s so that its working set stays within a memory budget.
///
/// Every selected conv2 output of a tile is a running sum held until the tile is finished (four components at
/// conv2's primes: 1.5 MiB at N = 16384), and the squares and encodings the tile reads are made for its rows
/// only, one group of conv1 filters at a time. A tile of `F` filters and `B` rows costs, beyond the sums:
/// - the encrypted weights, loaded (parsed and seed-expanded) once per band of rows, for every filter block;
/// - conv1, the activation and the plaintext channels' encodings, made once per block of filters, for the band's
///   rows plus the `window − stride` rows a band shares with the next.
/// The plan takes the cheapest tiling whose working set fits (one tile when everything fits: LeNet-5).
struct TilePlan: Sendable, Equatable {
    /// Default working-set budget of the engine's sums, squares and encodings (the process adds the activations
    /// entering conv2, the package's structures and the decoded results).
    static let defaultBudget = UserRole.defaultMemoryBudget

    let filterBlock: Int
    let bandRows: Int
    let tiles: [OutputTile]

    /// The plan for a selection.
    /// - Parameters:
    ///   - geometry: the network's encrypted part.
    ///   - conv1Filters: encrypted conv1 filters.
    ///   - conv2Filters: encrypted conv2 filters (≥ 1).
    ///   - degree: the ring degree N.
    ///   - budget: bytes the engine's working set may take.
    /// Rows of squares (cipher stage) or of encoded activations (plain stage) a band of `b` output rows reads.
    static func inputRows(_ stage: ConvStage, _ b: Int) -> Int { min(stage.side, stage.stride * (b - 1) + stage.window) }

    /// Bytes of a tile's working set: the running sums of `filters` × `rows` output rows, one group of encrypted
    /// conv1 filters' squares and one plaintext channel's encodings on the rows they read.
    static func workingSet(
        _ g: StageGeometry, conv1Filters: Int, filters f: Int, rows b: Int, degree n: Int
    ) -> Int {
        let poly = PipelineLevels.conv2Primes * n * 8  // one polynomial at conv2's primes
        let sums = f * b * g.conv2Side * (conv1Filters > 0 ? 4 : 2) * poly
        let group = min(conv1Filters, UserEvaluator.conv1FilterGroup)
        let squares = group * inputRows(g.conv2Cipher, b) * g.conv2Cipher.pairStarts.count * 3 * poly
        let encodings = g.conv1Channels > conv1Filters ? inputRows(g.conv2Plain, b) * g.conv2Plain.pairStarts.count * poly : 0
        return sums + squares + encodings
    }

    init(geometry g: StageGeometry, conv1Filters: Int, conv2Filters: Int, degree n: Int, budget: Int = defaultBudget) {
        let side2 = g.conv2Side
        let cipher = g.conv2Cipher, plain = g.conv2Plain
        let plainChannels = g.conv1Channels - conv1Filters
        func inputRows(_ stage: ConvStage, _ b: Int) -> Int { Self.inputRows(stage, b) }
        func bands(_ b: Int) -> Int { (side2 + b - 1) / b }
        func memory(_ f: Int, _ b: Int) -> Int {
            Self.workingSet(g, conv1Filters: conv1Filters, filters: f, rows: b, degree: n)
        }
        // Costs in milliseconds of one core at N = 16384 (release builds, rounded): loading one weight ciphertext
        // (read, hash, seed expansion) ≈ 1, one conv1 output of one filter (products, rescale, square) ≈ 2, one
        // paired encoding of a plaintext channel ≈ 0.6. Only their ratios matter.
        let weightCiphertexts = Double(
            conv2Filters * (conv1Filters * cipher.pairedTaps + plainChannels * plain.pairedTaps))
        func cost(_ f: Int, _ b: Int) -> Double {
            let blocks = Double((conv2Filters + f - 1) / f)
            let bandCount = bands(b)
            var rows1 = 0, rows2 = 0
            for band in 0..<bandCount {
                let count = min(b, side2 - band * b)
                rows1 += inputRows(cipher, count)
                rows2 += inputRows(plain, count)
            }
            let activation = 2.0 * Double(conv1Filters * rows1 * g.conv1Side)
            let encodings = 0.6 * Double(plainChannels * rows2 * plain.pairStarts.count)
            return Double(bandCount) * weightCiphertexts + blocks * (activation + encodings)
        }
        var best = (f: conv2Filters, b: side2)
        if memory(conv2Filters, side2) > budget {
            var bestCost = Double.infinity
            best = (1, 1)
            for f in 1...max(1, conv2Filters) {
                for b in 1...side2 where memory(f, b) <= budget {
                    let c = cost(f, b)
                    if c < bestCost {
                        bestCost = c
                        best = (f, b)
                    }
                }
            }
        }
        filterBlock = best.f
        bandRows = best.b
        var tiles: [OutputTile] = []
        for first in stride(from: 0, to: conv2Filters, by: best.f) {
            for row in stride(from: 0, to: side2, by: best.b) {
                tiles.append(OutputTile(filters: first..<min(conv2Filters, first + best.f), rows: row..<min(side2, row + best.b)))
            }
        }
        self.tiles = tiles
    }

    /// Whether the plan is the single tile of every filter and row.
    var isWhole: Bool { tiles.count == 1 }
}
