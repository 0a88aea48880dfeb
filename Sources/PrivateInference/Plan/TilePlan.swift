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
    /// Plaintext conv1 channels encoded and multiplied into the running sums together: each pass over the sums (3 MiB
    /// per output, read and written) then carries several channels' taps.
    ///
    /// Up to ``maxPlainChannelGroup`` in a tiled plan, whose budget counts their encodings; 1 in the single tile of a
    /// small network (LeNet-5), which encodes a channel a few rows at a time to keep the demo's memory low.
    let plainChannelGroup: Int
    /// The most plaintext channels a tiled plan encodes together (8 of CIFAR-10's band of two rows: 0.4 GiB).
    static let maxPlainChannelGroup = 8

    /// Rows of squares (cipher stage) or of encoded activations (plain stage) a band of output rows reads.
    /// - Parameters:
    ///   - stage: conv2's cipher or plain source stage.
    ///   - b: the band's output rows.
    /// - Returns: the source rows the band reads (at most the stage's side).
    static func inputRows(_ stage: ConvStage, _ b: Int) -> Int {
        min(stage.side, stage.stride * (b - 1) + stage.window)
    }

    /// Bytes of a tile's working set: the running sums of `filters` × `rows` output rows, one group of encrypted
    /// conv1 filters' squares and a group of plaintext channels' encodings on the rows they read, conv1's source
    /// encodings where every group shares them, and one conv2 pass's weight blocks.
    static func workingSet(
        _ g: StageGeometry, conv1Filters: Int, filters f: Int, rows b: Int, degree n: Int, plainChannelGroup: Int = 1
    ) -> Int {
        let poly = PipelineLevels.conv2Primes * n * 8  // one polynomial at conv2's primes
        let sums = f * b * g.conv2Side * (conv1Filters > 0 ? 4 : 2) * poly
        let group = min(conv1Filters, UserEvaluator.conv1FilterGroup)
        let squares = group * inputRows(g.conv2Cipher, b) * g.conv2Cipher.pairStarts.count * 4 * poly
        let encodings =
            g.conv1Channels > conv1Filters
            ? plainChannelGroup * inputRows(g.conv2Plain, b) * g.conv2Plain.pairStarts.count * poly : 0
        let sources = UserEvaluator.sourceEncodingBytes(
            g, conv1Filters: conv1Filters, conv1Rows: inputRows(g.conv2Cipher, b), degree: n)
        // One pass's weight blocks: a few filters' taps over a group of encrypted (four rows) or plaintext channels.
        let passFilters = min(f, UserEvaluator.conv2FiltersPerPass)
        let weightBlocks =
            passFilters * max(group * g.conv2Cipher.pairedTaps * 4, plainChannelGroup * g.conv2Plain.pairedTaps * 2)
            * poly
        return sums + squares + encodings + sources + weightBlocks
    }

    /// The plan for a selection.
    /// - Parameters:
    ///   - g: the network's encrypted part.
    ///   - conv1Filters: encrypted conv1 filters.
    ///   - conv2Filters: encrypted conv2 filters (≥ 1).
    ///   - n: the ring degree N.
    ///   - budget: bytes the engine's working set may take.
    init(geometry g: StageGeometry, conv1Filters: Int, conv2Filters: Int, degree n: Int, budget: Int = defaultBudget) {
        let side2 = g.conv2Side
        let cipher = g.conv2Cipher, plain = g.conv2Plain
        let plainChannels = g.conv1Channels - conv1Filters
        func inputRows(_ stage: ConvStage, _ b: Int) -> Int { Self.inputRows(stage, b) }
        func bands(_ b: Int) -> Int { (side2 + b - 1) / b }
        var group = 1
        func memory(_ f: Int, _ b: Int) -> Int {
            Self.workingSet(g, conv1Filters: conv1Filters, filters: f, rows: b, degree: n, plainChannelGroup: group)
        }
        // Costs relative to loading one weight ciphertext (read, hash, seed expansion), measured on one tile of
        // CIFAR-10's VGG-16 at 50 % (N = 16384, release build): one conv1 output of one filter (products, rescale,
        // square) ≈ 3.7, one paired encoding of a plaintext channel ≈ 0.4. Only their ratios matter.
        let weightCiphertexts = Double(
            conv2Filters * (conv1Filters * cipher.pairedTaps + plainChannels * plain.pairedTaps))
        // conv1's source values, encoded at five primes (≈ 1) for every tile: once when every group of conv1
        // filters shares them, per group otherwise.
        let groups = (conv1Filters + UserEvaluator.conv1FilterGroup - 1) / UserEvaluator.conv1FilterGroup
        let sourcesPerRow = UserEvaluator.columnBlocks(g).reduce(0) {
            $0 + g.conv1.stride * ($1.count - 1) + g.conv1.window
        }
        func sourceEncodings(_ b: Int) -> Double {
            var rows = 0
            for band in 0..<bands(b) {
                let conv1Rows = inputRows(cipher, min(b, side2 - band * b))
                rows += min(g.conv1.side, g.conv1.stride * (conv1Rows - 1) + g.conv1.window)
            }
            let passes = UserEvaluator.sharesSourceEncodings(conv1Filters: conv1Filters) ? 1 : groups
            return Double(passes * g.inputChannels * sourcesPerRow * rows)
        }
        func cost(_ f: Int, _ b: Int) -> Double {
            let blocks = Double((conv2Filters + f - 1) / f)
            let bandCount = bands(b)
            var rows1 = 0, rows2 = 0
            for band in 0..<bandCount {
                let count = min(b, side2 - band * b)
                rows1 += inputRows(cipher, count)
                rows2 += inputRows(plain, count)
            }
            let activation = 3.7 * Double(conv1Filters * rows1 * g.conv1Side)
            let encodings = 0.4 * Double(plainChannels * rows2 * plain.pairStarts.count)
            return Double(bandCount) * weightCiphertexts + blocks * (activation + encodings + sourceEncodings(b))
        }
        var best = (f: conv2Filters, b: side2)
        if memory(conv2Filters, side2) > budget {
            // The largest group of plaintext channels for which some tiling fits, then that group's cheapest tiling.
            best = (1, 1)
            search: for candidate in stride(
                from: max(1, min(Self.maxPlainChannelGroup, plainChannels)), through: 1, by: -1)
            {
                group = candidate
                var bestCost = Double.infinity
                for f in 1...max(1, conv2Filters) {
                    for b in 1...side2 where memory(f, b) <= budget {
                        let c = cost(f, b)
                        if c < bestCost {
                            bestCost = c
                            best = (f, b)
                        }
                    }
                }
                if bestCost < .infinity { break search }
            }
        }
        filterBlock = best.f
        bandRows = best.b
        plainChannelGroup = group
        var tiles: [OutputTile] = []
        for first in stride(from: 0, to: conv2Filters, by: best.f) {
            for row in stride(from: 0, to: side2, by: best.b) {
                tiles.append(
                    OutputTile(filters: first..<min(conv2Filters, first + best.f), rows: row..<min(side2, row + best.b))
                )
            }
        }
        self.tiles = tiles
    }

    /// The plan's first `count` tiles (a benchmark times a few tiles of a long request).
    func prefix(_ count: Int) -> TilePlan {
        TilePlan(
            filterBlock: filterBlock, bandRows: bandRows, tiles: Array(tiles.prefix(count)),
            plainChannelGroup: plainChannelGroup)
    }

    private init(filterBlock: Int, bandRows: Int, tiles: [OutputTile], plainChannelGroup: Int) {
        self.filterBlock = filterBlock
        self.bandRows = bandRows
        self.tiles = tiles
        self.plainChannelGroup = plainChannelGroup
    }

    /// Whether the plan is the single tile of every filter and row.
    var isWhole: Bool { tiles.count == 1 }
}
