import CKKS
import Foundation
import NN
import NTT

/// The user's homomorphic part of any PrivDNN network (``StageGeometry``): encrypted conv1 (box form after a pool)
/// → square → encrypted conv2 with neighbouring inputs paired, images batched across slots (slot i = image i).
///
/// Work per batch: each value of conv1's source plane (2×2 means of the input bytes after a pool, the bytes
/// themselves otherwise) is encoded once, one row at a time, and shared by every encrypted conv1 filter; each conv1
/// output is a lazy sum of its ct⊙pt products (plus the bias) taken row by row as its rows of inputs arrive,
/// followed by one rescale; the square is one tensor product and one rescale, left unrelinearized; each encrypted
/// conv2 output is one lazy sum over all input channels with neighbouring inputs paired into complex slot values
/// (four-component ct⊗ct on encrypted channels' squares, ct⊙pt on plaintext channels' activations) followed by one
/// fused relinearize (s³ and s²) and rescale.
/// Where conv2's pairs fall on even columns of an unpadded plane (LeNet-5), conv1 runs in column blocks and, with
/// few conv2 filters, rows of squares go into conv2 as soon as they exist. Sums are cache-blocked over all outputs
/// that share inputs and every step runs on every core.
struct UserEvaluator {
    /// Encrypted conv1 filters evaluated together: their weights and open sums are in memory at once.
    static let conv1FilterGroup = 2
    /// Blocks of conv1 output columns evaluated one after the other over all rows: each block's running sums
    /// and encoded row are 1/blocks of a whole row's, for re-encoding the source columns neighbouring blocks share.
    static let conv1ColumnBlocks = 2
    /// conv2 filters whose sums are taken in one pass over the inputs: each block of inputs read from memory then
    /// serves that many filters from the cache (their weight blocks are in memory together; ``TilePlan`` counts them).
    static let conv2FiltersPerPass = 4
    /// Rows of a plaintext channel encoded at once for conv2 (when the weight blocks are kept): 3 of 11 rows are
    /// 7 MiB of paired encodings instead of 26 for LeNet-5, for re-reading the running totals four times.
    static let conv2RowsPerGroup = 3

    /// conv1's output columns of each block: two blocks when conv2 pairs even columns of an unpadded plane (block
    /// boundaries fall on even columns, so pairs stay within a block), one otherwise.
    static func columnBlocks(_ geometry: StageGeometry) -> [Range<Int>] {
        let side = geometry.conv1Side
        guard geometry.pairsAlignWithEvenColumns else { return [0..<side] }
        let blocks = max(1, min(conv1ColumnBlocks, side / 2))
        let bound = { (b: Int) in b == blocks ? side : side * b / blocks / 2 * 2 }
        return (0..<blocks).map { bound($0)..<bound($0 + 1) }
    }

    /// Progress ticks of one tile: each conv1 output row it makes, per column block and group of encrypted conv1
    /// filters, then each conv2 input channel.
    static func progressSteps(_ geometry: StageGeometry, conv1Filters: Int, tile: OutputTile) -> Int {
        (conv1Filters + conv1FilterGroup - 1) / conv1FilterGroup * conv1Rows(geometry, tile: tile).count
            * columnBlocks(geometry).count + geometry.conv1Channels
    }

    /// Progress ticks of a request: every tile's.
    static func progressSteps(_ geometry: StageGeometry, conv1Filters: Int, plan: TilePlan) -> Int {
        plan.tiles.reduce(0) { $0 + progressSteps(geometry, conv1Filters: conv1Filters, tile: $1) }
    }

    /// Whether conv1's encoded source rows are kept for every group of conv1 filters (more than one group) rather
    /// than made per group; ``TilePlan`` counts them in the working set then (``sourceEncodingBytes(_:conv1Filters:conv1Rows:degree:)``).
    static func sharesSourceEncodings(conv1Filters: Int) -> Bool { conv1Filters > conv1FilterGroup }

    /// Bytes of conv1's source encodings kept for a tile whose squares cover `conv1Rows` rows (0 when not kept):
    /// every column block's source values of every input channel on the source rows those rows read.
    static func sourceEncodingBytes(_ geometry: StageGeometry, conv1Filters: Int, conv1Rows: Int, degree n: Int) -> Int
    {
        guard sharesSourceEncodings(conv1Filters: conv1Filters), conv1Rows > 0 else { return 0 }
        let stage = geometry.conv1
        let sourceRows = min(stage.side, stage.stride * (conv1Rows - 1) + stage.window)
        let sources = columnBlocks(geometry).reduce(0) { $0 + stage.stride * ($1.count - 1) + stage.window }
        return geometry.inputChannels * sources * sourceRows * PipelineLevels.conv1Primes * n * 8
    }

    /// The conv1 output rows (squares) a tile's conv2 outputs read: the cipher stage's window over the tile's rows,
    /// less the padding, within the plane.
    static func conv1Rows(_ geometry: StageGeometry, tile: OutputTile) -> Range<Int> {
        let stage = geometry.conv2Cipher
        return clipped(
            stage.stride * tile.rows.lowerBound - stage.padding, stage.stride * (tile.rows.count - 1) + stage.window,
            geometry.conv1Side)
    }

    let context: HEContext
    let plan: ScalePlan
    let weights: EncryptedWeights
    /// Loads the relinearization keys (s², s³), called once for conv2's last step.
    let relinKeys: @Sendable () throws -> RelinKeys
    let geometry: StageGeometry
    /// The bytes subtracted per input channel before encoding (``LayerKernels/inputShift``).
    let inputShift: [Double]
    /// Called after each conv1 output row and each conv2 input channel.
    var progress: (@Sendable () -> Void)? = nil
    /// Plaintext channels taken into conv2 together (``TilePlan/plainChannelGroup``).
    var plainChannelGroup = 1

    /// X^(N/2) at conv2's primes as Shoup operands (i in every slot: pairs neighbouring squares).
    func imaginaryUnit() throws -> [[ShoupOperand]] {
        let k = PipelineLevels.conv2Primes, n = context.degree, unit = context.imaginaryUnit(primes: k)
        return context.moduli(k).enumerated().map { j, q in
            (0..<n).map { ShoupOperand(unit.pointer[j * n + $0], modulus: q) }
        }
    }

    /// Runs the encrypted layers for one tile of one batch.
    /// - Parameters:
    ///   - pixels: `count · C · H · W` raw bytes, image-major.
    ///   - count: images in the batch (≤ N/2).
    ///   - tile: the conv2 filters and output rows to finish (``TilePlan``).
    ///   - times: receives conv1, activation and conv2 times.
    ///   - conv1Result: if given, receives each encrypted conv1 channel's squares on the tile's
    ///     ``OutputTile/conv1ResultRows(_:)`` (index among the selected conv1 filters, the rows, then their
    ///     ciphertexts row-major, relinearized and at the decryption level, scale `squareScale`): a residual
    ///     shortcut after conv2 reads them (TinyImageNet's ResNet-18).
    ///   - activations: called after the encrypted conv1 (so that its result is not resident during it) with
    ///     `times`; returns the `count · conv1Channels · conv1Side²` activations entering conv2 (the plaintext
    ///     filters' squares, image-major NCHW; channels of encrypted filters are ignored).
    /// - Returns: per filter of the tile, its outputs on the tile's rows (row-major) at two primes and `resultScale`.
    /// - Throws: ``InferenceError`` for a bad batch size or tile; `CKKSError` from the evaluator or a bad filter file.
    func evaluate(
        pixels: [UInt8], count: Int, tile: OutputTile, times: inout PhaseTimes,
        conv1Result: ((Int, Range<Int>, [Ciphertext]) throws -> Void)? = nil,
        activations: (inout PhaseTimes) throws -> [Float]
    ) throws -> [[Ciphertext]] {
        guard count > 0, count <= context.degree / 2 else {
            throw InferenceError.invalidArgument("a batch holds 1…\(context.degree / 2) images, got \(count)")
        }
        let filters2 = weights.conv2Filters.count
        guard !tile.filters.isEmpty, tile.filters.upperBound <= filters2, !tile.rows.isEmpty,
            tile.rows.upperBound <= geometry.conv2Side
        else { throw InferenceError.invalidArgument("internal: tile \(tile) outside the outputs") }
        if conv1Result != nil, geometry.conv1Side != geometry.conv2Side {
            throw InferenceError.unsupportedModel("a shortcut reading conv1's result needs conv2 to keep its side")
        }
        let n = context.degree, k2 = PipelineLevels.conv2Primes
        // Products with unrelinearized (three-component) squares have four components.
        let size = weights.conv1Filters.isEmpty ? 2 : 4
        let whole = tile.filters == 0..<filters2 && tile.rows == 0..<geometry.conv2Side
        let totals = (0..<(tile.filters.count * tile.positions(geometry))).map { _ in WordBuffer(count: size * k2 * n) }
        // Streaming the squares into conv2 as their rows appear needs every (conv2 filter, encrypted channel)
        // weight block in memory during conv1; it pays when those blocks (F2 · paired taps) are smaller than the
        // squares they replace (side², both held in four rows of ``EvaluationForm``): up to 9 conv2 filters of
        // LeNet-5.
        var blocks: [[[WordBuffer]]] = []
        let stream =
            whole && conv1Result == nil && geometry.pairsAlignWithEvenColumns && !weights.conv1Filters.isEmpty
            && filters2 * geometry.conv2Cipher.pairedTaps <= geometry.conv1Side * geometry.conv1Side
        if stream {
            blocks = try times.measure("conv2.load") {
                try (0..<filters2).map { index in
                    try weights.conv1Filters.map { c in evaluationWeights(try weights.buffers(2, index, c)) }
                }
            }
        }
        let unit = try imaginaryUnit()
        let resultRows = tile.conv1ResultRows(geometry)
        // Without streaming, each group of encrypted channels' squares goes into conv2 as soon as it is made, and
        // is dropped: one group's squares on the tile's rows are in memory at a time.
        var groupTimes = PhaseTimes()
        try encryptedActivations(
            pixels: pixels, count: count, rows: Self.conv1Rows(geometry, tile: tile),
            stream: stream ? (blocks, totals) : nil, unit: unit, times: &times
        ) { group, grids in
            try accumulateChannels(
                group.map { weights.conv1Filters[$0] }, squares: grids, activations: [], count: count, tile: tile,
                totals: totals, times: &groupTimes)
            for (g, grid) in grids.enumerated() {
                let e = group.lowerBound + g
                if let conv1Result, !resultRows.isEmpty {
                    try groupTimes.measure("conv1.result") {
                        try conv1Result(e, resultRows, try squaresAtDecryptionLevel(grid, rows: resultRows))
                    }
                }
            }
        }
        times.merge(groupTimes)
        if stream { for _ in weights.conv1Filters { progress?() } }  // their conv2 steps were done row by row
        blocks = []
        let encrypted = Set(weights.conv1Filters)
        let plainChannels = (0..<geometry.conv1Channels).filter { !encrypted.contains($0) }
        if !plainChannels.isEmpty {
            let values = try activations(&times)
            for first in stride(from: 0, to: plainChannels.count, by: max(1, plainChannelGroup)) {
                try accumulateChannels(
                    Array(plainChannels[first..<min(plainChannels.count, first + max(1, plainChannelGroup))]),
                    squares: nil, activations: values, count: count, tile: tile, totals: totals, times: &times)
            }
        }
        return try finishConv2(tile: tile, totals: totals, size: size, times: &times)
    }

    /// ``evaluate(pixels:count:tile:times:conv1Result:activations:)`` on the single tile of every filter and row.
    func evaluate(
        pixels: [UInt8], count: Int, times: inout PhaseTimes, activations: (inout PhaseTimes) throws -> [Float]
    ) throws -> [[Ciphertext]] {
        try evaluate(
            pixels: pixels, count: count,
            tile: OutputTile(filters: 0..<weights.conv2Filters.count, rows: 0..<geometry.conv2Side), times: &times,
            activations: activations)
    }

    /// One encrypted conv1 channel's squares on conv1 output rows `rows`, relinearized and mod-switched to the
    /// decryption level: each is read from the pair that starts at its column, whose real part it is (the owner
    /// returns real parts only).
    func squaresAtDecryptionLevel(_ grid: [WordBuffer?], rows: Range<Int>) throws -> [Ciphertext] {
        let stage = geometry.conv2Cipher, index = stage.pairIndex, rowLength = stage.pairStarts.count
        let side = geometry.conv1Side, pad = stage.padding
        let relinKeys = try self.relinKeys()
        return try Parallelism.map(rows.count * side) { i in
            Result {
                let start = i % side + pad, row = rows.lowerBound + i / side
                guard index[start] >= 0, let pair = grid[(row + pad) * rowLength + index[start]] else {
                    throw InferenceError.invalidArgument(
                        "internal: no pair starts at conv1 output (\(row), \(i % side))")
                }
                return try context.decryptableSquare(pair, scale: plan.squareScale, relinKeys: relinKeys)
            }
        }.map { try $0.get() }
    }

    /// start..<start+length clipped to 0..<limit (empty when they do not meet).
    static func clipped(_ start: Int, _ length: Int, _ limit: Int) -> Range<Int> {
        let lower = max(start, 0), upper = min(start + length, limit)
        return lower < upper ? lower..<upper : 0..<0
    }
}
