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
    static func sourceEncodingBytes(_ geometry: StageGeometry, conv1Filters: Int, conv1Rows: Int, degree n: Int) -> Int {
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
        let side = geometry.conv1Side, pad = stage.padding, k2 = PipelineLevels.conv2Primes
        let relinKeys = try self.relinKeys()
        return try Parallelism.map(rows.count * side) { i in
            Result {
                let start = i % side + pad, row = rows.lowerBound + i / side
                guard index[start] >= 0, let pair = grid[(row + pad) * rowLength + index[start]] else {
                    throw InferenceError.invalidArgument("internal: no pair starts at conv1 output (\(row), \(i % side))")
                }
                let words = EvaluationForm.coefficients(
                    ofInput: pair, primes: k2, degree: context.degree, moduli: context.moduli(k2))
                var ct = context.ciphertext(words, size: 3, primes: k2, scale: plan.squareScale)
                try context.evaluator.relinearizeInPlace(&ct, relinKeys: relinKeys)
                while ct.coeffModulusSize > PipelineLevels.finalPrimes { try context.evaluator.modSwitchToNextInPlace(&ct) }
                return ct
            }
        }.map { try $0.get() }
    }

    /// start..<start+length clipped to 0..<limit (empty when they do not meet).
    static func clipped(_ start: Int, _ length: Int, _ limit: Int) -> Range<Int> {
        let lower = max(start, 0), upper = min(start + length, limit)
        return lower < upper ? lower..<upper : 0..<0
    }

    /// The encoded source plane's values of one row for conv1: `count` images' values at (row, col) of input
    /// channel c, in the source plane's padded coordinates (2×2 means after a pool), or `nil` where every image's
    /// value is zero.
    func sourceValues(pixels: [UInt8], count: Int, channel c: Int, row: Int, col: Int) -> [Double]? {
        Self.sourceValues(
            geometry: geometry, inputShift: inputShift, pixels: pixels, count: count, channel: c, row: row, col: col)
    }

    /// ``sourceValues(pixels:count:channel:row:col:)`` for any geometry and input shift.
    static func sourceValues(
        geometry: StageGeometry, inputShift: [Double], pixels: [UInt8], count: Int, channel c: Int, row: Int, col: Int
    ) -> [Double]? {
        let side = geometry.inputSide, channels = geometry.inputChannels, p = geometry.conv1Padding
        let shift = inputShift[c]
        let reach = geometry.conv1Pooled ? 2 : 1
        // The input rows and columns this source value reads, clipped to the image (padding reads zero).
        let rows = Self.clipped(row - p, reach, side), cols = Self.clipped(col - p, reach, side)
        guard !rows.isEmpty, !cols.isEmpty else { return nil }
        let weight = geometry.conv1Pooled ? 0.25 : 1.0
        let taken = Double(rows.count * cols.count)
        var values = [Double](repeating: 0, count: count)
        var any = false
        let stride = channels * side * side, first = c * side * side + rows.lowerBound * side + cols.lowerBound
        pixels.withUnsafeBufferPointer { p in
            if rows.count == 2 && cols.count == 2 {
                // A whole 2×2 block (the common case): four reads, as the box form was first written.
                for b in 0..<count {
                    let at = b * stride + first
                    let sum = Int(p[at]) + Int(p[at + 1]) + Int(p[at + side]) + Int(p[at + side + 1])
                    let value = weight * (Double(sum) - taken * shift)
                    any = any || value != 0
                    values[b] = value
                }
                return
            }
            for b in 0..<count {
                var sum = 0
                for r in 0..<rows.count { for x in 0..<cols.count { sum += Int(p[b * stride + first + r * side + x]) } }
                let value = weight * (Double(sum) - taken * shift)
                any = any || value != 0
                values[b] = value
            }
        }
        return any ? values : nil
    }

    /// Squares of every selected conv1 filter's outputs on conv1 output rows `rows`, neighbouring columns paired as
    /// conv2 takes them, handed to `consume` one group of filters at a time (the group's indices among the selected
    /// conv1 filters and per filter a grid `[paddedRow · starts + start]` over ``StageGeometry/conv2Cipher``, `nil`
    /// outside the rows and for padding; four rows of ``EvaluationForm`` at conv2's primes) and dropped after it.
    ///
    /// With `stream` (the weight blocks `[conv2 filter][encrypted channel][tap]` and conv2's running totals of the
    /// whole plane), each row of squares is instead multiplied into every conv2 output it feeds and dropped, and
    /// `consume` is not called.
    func encryptedActivations(
        pixels: [UInt8], count: Int, rows: Range<Int>, stream: (blocks: [[[WordBuffer]]], totals: [WordBuffer])?,
        unit: [[ShoupOperand]], times: inout PhaseTimes, consume: (Range<Int>, [[WordBuffer?]]) throws -> Void
    ) throws {
        let filters = weights.conv1Filters.count
        guard filters > 0, !weights.conv2Filters.isEmpty, !rows.isEmpty else { return }
        let n = context.degree
        let k1 = PipelineLevels.conv1Primes
        let stage = geometry.conv1, s = stage.stride, window = stage.window
        let channels = geometry.inputChannels, taps = geometry.conv1Taps
        let cipher = geometry.conv2Cipher, rowLength = cipher.pairStarts.count
        let conv1Scale = plan.inputScale * plan.conv1WeightScale
        // Rows of the source plane are encoded one at a time and multiplied at once into every conv1 output whose
        // window covers them (lazy sums added into running sums), then dropped. An output row opens when its first
        // source row arrives and is finished (rescaled, squared, paired or streamed) as soon as its last one is in,
        // before the row opened by the same source row: at most ⌈k/stride⌉ rows of running sums are live.
        // Filters go in groups of at most `conv1FilterGroup`, which bounds the weights and open sums in memory for
        // large selections. With several groups, each source row is encoded once and kept for the groups after the
        // first (``sharesSourceEncodings(conv1Filters:)``; re-encoding it per group was a fifth of CIFAR-10's run at
        // 50 %); with one group it is dropped once used.
        let share = Self.sharesSourceEncodings(conv1Filters: filters)
        var kept: [Int: [WordBuffer?]] = [:]  // column block · source rows + source row → its encodings
        for group in stride(from: 0, to: filters, by: Self.conv1FilterGroup).map({
            $0..<min(filters, $0 + Self.conv1FilterGroup)
        }) {
            let groupCount = group.count
            var squares = [[WordBuffer?]](
                repeating: [WordBuffer?](repeating: nil, count: cipher.side * rowLength), count: groupCount)
            let filterWeights = try times.measure("conv1.load") {
                try Parallelism.map(groupCount) { i in
                    Result { try weights.buffers(1, group.lowerBound + i, 0) }
                }.map { try $0.get() }
            }
            for (block, columns) in Self.columnBlocks(geometry).enumerated() {
                let width = columns.count
                // Source columns s·x0 … s·(x1−1)+k−1 feed the block's outputs (neighbouring blocks share k−s).
                let firstSource = s * columns.lowerBound, sources = s * (width - 1) + window
                var open: [Int: [WordBuffer]] = [:]  // output row → running sums [filter · width + x] (k1 primes)
                // Source rows s·y … s·y + k − 1 of the first and last output rows.
                var nextRow = rows.lowerBound
                for r in (s * rows.lowerBound)..<min(stage.side, s * (rows.upperBound - 1) + window) {
                    // A source value that is zero in every image (MNIST's border, padding) encodes to the zero
                    // polynomial; its products add nothing and are skipped.
                    let key = block * stage.side + r
                    let encoded = try kept[key] ?? times.measure("conv1.encode") {
                        try Parallelism.map(channels * sources) { item -> Result<WordBuffer?, Error> in
                            guard
                                let values = sourceValues(
                                    pixels: pixels, count: count, channel: item / sources, row: r,
                                    col: firstSource + item % sources)
                            else { return .success(nil) }
                            return Result { try context.encodeBuffer(values, scale: plan.inputScale, primes: k1) }
                        }.map { try $0.get() }
                    }
                    if share { kept[key] = encoded }
                    // Output (y, f, x) takes, from source row r with 0 ≤ r − s·y < k, the taps of kernel row r − s·y.
                    func accumulate(_ outputRows: [Int]) {
                        var outputs: [[ProductTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
                        for y in outputRows {
                            guard let sums = open[y] else { continue }
                            let dy = r - s * y
                            for f in 0..<groupCount {
                                for x in 0..<width {
                                    var terms: [ProductTerm] = []
                                    for c in 0..<channels {
                                        for dx in 0..<window {
                                            guard let input = encoded[c * sources + s * x + dx] else { continue }
                                            terms.append(
                                                ProductTerm(
                                                    weight: filterWeights[f][(c * window + dy) * window + dx].pointer,
                                                    input: input.pointer, inputIsCipher: false))
                                        }
                                    }
                                    guard !terms.isEmpty else { continue }
                                    outputs.append(terms)
                                    destinations.append(sums[f * width + x].pointer)
                                }
                            }
                        }
                        withExtendedLifetime((filterWeights, encoded, open)) {
                            LazyAccumulator.sumAll(
                                outputs, primes: k1, degree: n, moduli: context.moduli(k1), outSize: 2,
                                into: destinations, accumulate: true)
                        }
                    }
                    times.measure("conv1") {
                        accumulate(open.keys.filter { s * $0 <= r && r - s * $0 < window }.sorted())
                    }
                    // An output row is complete once its window's last source row is in.
                    if nextRow < rows.upperBound, s * nextRow + window - 1 <= r,
                        let finished = open.removeValue(forKey: nextRow).map(ReleasableBuffers.init)
                    {
                        let y = nextRow
                        nextRow += 1
                        // Bias, rescale and square each output in one task, so that a row's rescaled outputs are
                        // never all live beside its sums.
                        let squared = try times.measure("activation") {
                            try Parallelism.map(finished.count) { o in
                                Result {
                                    // Each running sum is released once copied, so the row's sums shrink as its
                                    // squares appear.
                                    guard let buffer = finished.take(o) else {
                                        throw InferenceError.invalidArgument("internal: conv1 sum \(o) taken twice")
                                    }
                                    // The bias is added word by word (mod q), without a ciphertext copy of it.
                                    let sum = buffer.pointer, bias = filterWeights[o / width][taps].pointer
                                    for (j, q) in context.moduli(k1).enumerated() {
                                        for c in 0..<2 {
                                            let row = (c * k1 + j) * n
                                            for i in row..<(row + n) { sum[i] = q.addMod(sum[i], bias[i]) }
                                        }
                                    }
                                    var ct = context.ciphertext(buffer, size: 2, primes: k1, scale: conv1Scale)
                                    try context.evaluator.rescaleToNextInPlace(&ct)
                                    return WordBuffer(try square(ct).data)
                                }
                            }.map { try $0.get() }
                        }
                        if let stream {
                            times.measure("conv2") {
                                accumulateSquares(
                                    row: y, columns: columns, squared, channels: group, blocks: stream.blocks,
                                    into: stream.totals, unit: unit)
                            }
                        } else {
                            let pairs = pairRow(squared, groups: groupCount, columns: columns, unit: unit)
                            let rowBase = (y + cipher.padding) * rowLength
                            let values = evaluationInputs(pairs.flatMap { $0.map(\.1) })
                            var next = 0
                            for (g, row) in pairs.enumerated() {
                                for (start, _) in row {
                                    squares[g][rowBase + start] = values[next]
                                    next += 1
                                }
                            }
                        }
                        progress?()
                    }
                    if r % s == 0, rows.contains(r / s) {
                        open[r / s] = (0..<(groupCount * width)).map { _ in WordBuffer(count: 2 * k1 * n) }
                        times.measure("conv1") { accumulate([r / s]) }
                    }
                }
                guard nextRow == rows.upperBound else {
                    throw InferenceError.invalidArgument("internal: \(rows.upperBound - nextRow) conv1 rows not completed")
                }
            }
            if stream == nil { try consume(group, squares) }
        }
    }

    /// Adds one row of squares (`[filter · width + col − x0]` of the encrypted channels `channels`, for the conv1
    /// columns `columns` = x0..<x1) times their conv2 weights to every conv2 output whose window covers them: for
    /// output (y2, x2) the taps of window row `row − 2·y2` on those columns, over those channels, as one lazy
    /// ct⊗ct sum per output. Only where pairs align with even columns (``StageGeometry/pairsAlignWithEvenColumns``).
    func accumulateSquares(
        row: Int, columns: Range<Int>, _ squared: [WordBuffer], channels: Range<Int>, blocks: [[[WordBuffer]]],
        into totals: [WordBuffer], unit: [[ShoupOperand]]
    ) {
        let k2 = PipelineLevels.conv2Primes, n = context.degree
        let p2 = geometry.conv2Side, stage = geometry.conv2Cipher
        let window = stage.window, tapsPerRow = stage.pairedTapsPerRow
        let firstRow = max(0, (row - window + 2) / 2), lastRow = min(p2 - 1, row / 2)
        guard firstRow <= lastRow else { return }
        let pairs = evaluationInputs(pairColumns(squared, groups: channels.count, width: columns.count, unit: unit))
        let half = (columns.count + 1) / 2
        var terms: [[ProductTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
        for (index, encrypted) in blocks.enumerated() {
            for y2 in firstRow...lastRow {
                let dy = row - 2 * y2
                for x2 in 0..<p2 {
                    var sum: [ProductTerm] = []
                    for (i, e) in channels.enumerated() {
                        // Pair t of output x2 is squares 2·x2 + 2t and 2·x2 + 2t + 1 (block boundaries are even).
                        for t in 0..<tapsPerRow where columns.contains(2 * x2 + 2 * t) {
                            sum.append(
                                ProductTerm(
                                    weight: encrypted[e][dy * tapsPerRow + t].pointer,
                                    input: pairs[i * half + (2 * x2 + 2 * t - columns.lowerBound) / 2].pointer,
                                    inputIsCipher: true, inputComponents: 4))
                        }
                    }
                    guard !sum.isEmpty else { continue }
                    terms.append(sum)
                    destinations.append(totals[index * p2 * p2 + y2 * p2 + x2].pointer)
                }
            }
        }
        withExtendedLifetime((blocks, pairs, totals)) {
            LazyAccumulator.sumAll(
                terms, primes: k2, degree: n, moduli: context.moduli(k2), outSize: 4, into: destinations,
                accumulate: true, evaluation: true)
        }
    }

    /// Neighbouring squares paired in place as sq[2p] + X^(N/2)·sq[2p+1] (slot values a + σ_j·b·i), written over
    /// sq[2p]: `squares` is `[group · width + col]` (three components at conv2's primes), the result
    /// `[group · ⌈width/2⌉ + p]`. The paired (complex) conv2 weights take both in one product.
    func pairColumns(_ squares: [WordBuffer], groups: Int, width: Int, unit: [[ShoupOperand]]) -> [WordBuffer] {
        let half = (width + 1) / 2
        let pairs = (0..<(groups * half)).map { i -> (Int, Int?) in
            let g = i / half, col = 2 * (i % half)
            return (g * width + col, col + 1 < width ? g * width + col + 1 : nil)
        }
        addRotated(pairs.compactMap { a, b in b.map { (squares[a], squares[$0]) } }, unit: unit)
        return pairs.map { squares[$0.0] }
    }

    /// Paired squares (three components at conv2's primes) in ``EvaluationForm``, on every core.
    func evaluationInputs(_ pairs: [WordBuffer]) -> [WordBuffer] {
        let k = PipelineLevels.conv2Primes, moduli = context.moduli(k)
        return Parallelism.map(pairs.count) { EvaluationForm.input(pairs[$0], primes: k, degree: context.degree, moduli: moduli) }
    }

    /// conv2 weight ciphertexts (two components at conv2's primes) in ``EvaluationForm``.
    func evaluationWeights(_ taps: [WordBuffer]) -> [WordBuffer] {
        let k = PipelineLevels.conv2Primes, moduli = context.moduli(k)
        return taps.map { EvaluationForm.weight($0, primes: k, degree: context.degree, moduli: moduli) }
    }

    /// x += X^(N/2)·y for each (x, y) (three components at conv2's primes), on every core.
    func addRotated(_ pairs: [(WordBuffer, WordBuffer)], unit: [[ShoupOperand]]) {
        let k = PipelineLevels.conv2Primes, n = context.degree, moduli = context.moduli(k)
        Parallelism.forEach(pairs.count * 3 * k) { item in
            let (x, y) = pairs[item / (3 * k)]
            let c = item % (3 * k) / k, j = item % k
            let q = moduli[j], row = (c * k + j) * n
            let a = x.pointer + row, b = y.pointer + row
            unit[j].withUnsafeBufferPointer { u in
                for t in 0..<n { a[t] = q.addMod(a[t], u[t].multiplyMod(b[t], modulus: q)) }
            }
        }
    }

    /// One row of squares (`[group · width + col − x0]` for the columns `columns`) as the pairs conv2 reads,
    /// `(start index, pair)` per group (``ConvStage/pairStarts`` of ``StageGeometry/conv2Cipher``): in place where
    /// pairs align with even columns, else into new buffers (pairs then overlap: every column starts one).
    func pairRow(_ squared: [WordBuffer], groups: Int, columns: Range<Int>, unit: [[ShoupOperand]]) -> [[(Int, WordBuffer)]] {
        let stage = geometry.conv2Cipher, index = stage.pairIndex, width = columns.count
        if geometry.pairsAlignWithEvenColumns {
            let pairs = pairColumns(squared, groups: groups, width: width, unit: unit)
            let half = (width + 1) / 2
            return (0..<groups).map { g in
                (0..<half).compactMap { p in
                    let column = columns.lowerBound + 2 * p
                    return index[column] >= 0 ? (index[column], pairs[g * half + p]) : nil
                }
            }
        }
        let k = PipelineLevels.conv2Primes, n = context.degree, pad = stage.padding
        var out = [[(Int, WordBuffer)]](repeating: [], count: groups)
        var rotations: [(WordBuffer, WordBuffer)] = []
        for g in 0..<groups {
            func square(_ padded: Int) -> WordBuffer? {
                let column = padded - pad
                return columns.contains(column) ? squared[g * width + column - columns.lowerBound] : nil
            }
            for (i, start) in stage.pairStarts.enumerated() {
                let (a, b) = (square(start), square(start + 1))
                guard a != nil || b != nil else { continue }
                let pair = a.map { WordBuffer($0.array) } ?? WordBuffer(count: 3 * k * n)
                if let b { rotations.append((pair, b)) }
                out[g].append((i, pair))
            }
        }
        addRotated(rotations, unit: unit)
        return out
    }

    /// ct², rescaled but not relinearized: its three components go into conv2's sums, which are relinearized
    /// once per conv2 output (16 key switches with s² and s³ instead of 144 with s², LeNet-5 (1,1): activation
    /// 0.35 → 0.07 s).
    func square(_ input: Ciphertext) throws -> Ciphertext {
        var out = try context.evaluator.square(input)
        try context.evaluator.rescaleToNextInPlace(&out)
        return out
    }

    /// Adds conv1 channels' contribution to the tile's conv2 running totals (`[filter in tile · positions of the
    /// tile + position]`): encrypted channels' paired squares (`squares`, one grid per channel from
    /// ``encryptedActivations(pixels:count:rows:stream:unit:times:consume:)``), or plaintext channels' activations
    /// encoded a few rows at a time (only the rows the tile reads).
    ///
    /// Encrypted channels take their paired squares, plaintext ones paired encodings of their activations (2×2
    /// means after a pool): an input holds two neighbouring values as one complex slot value v[x] + σ_j·v[x+1]·i,
    /// so one product covers two taps (LeNet-5: a plaintext channel takes 66 encodings and 15 products per output
    /// instead of 144 and 36, an encrypted one 18 products instead of 36).
    ///
    /// The channels given together go into one lazy sum per output: each pass over the running totals (read and
    /// written once per call, 3 MiB per output at N = 16384) then carries all their taps. With one channel per pass
    /// CIFAR-10's conv2 moved more bytes than it multiplied and ran at a third of the kernel's speed.
    func accumulateChannels(
        _ channels: [Int], squares: [[WordBuffer?]]?, activations: [Float], count: Int, tile: OutputTile,
        totals: [WordBuffer], times: inout PhaseTimes
    ) throws {
        defer { for _ in channels { progress?() } }
        guard !channels.isEmpty else { return }
        let n = context.degree
        let k2 = PipelineLevels.conv2Primes
        let moduli = context.moduli(k2)
        let side2 = geometry.conv2Side
        let positions = tile.positions(geometry), firstOutput = tile.rows.lowerBound * side2
        let isCipher = squares != nil
        // With encrypted conv1 channels the totals are four-component sums in evaluation form.
        let evaluation = !weights.conv1Filters.isEmpty
        let stage = isCipher ? geometry.conv2Cipher : geometry.conv2Plain
        let tapsPerRow = stage.pairedTapsPerRow, stride = stage.stride
        let starts = stage.pairStarts, index = stage.pairIndex, rowLength = starts.count
        let inputRows = stage.side
        let channelTaps = stage.pairedTaps
        // The source rows the tile's outputs read.
        let needed = (stride * tile.rows.lowerBound)..<min(inputRows, stride * (tile.rows.upperBound - 1) + stage.window)
        // On the whole plane (LeNet-5's single tile, where the demo's memory is counted) a plaintext channel is
        // encoded a few rows at a time, each group multiplied into every output it feeds, when the filters' weight
        // blocks (then kept for the whole channel) are smaller than the channel's encodings; otherwise, and in a
        // band of a larger plan (whose budget counts the band's encodings), all at once: every output's taps then
        // go into one lazy sum (a 3×3 kernel split over row groups left 2–4 products per reduction).
        let keepBlocks =
            !isCipher && channels.count == 1 && tile.rows.count == geometry.conv2Side
            && tile.filters.count * channelTaps <= needed.count * rowLength
        let groupRows = keepBlocks ? Self.conv2RowsPerGroup : needed.count
        let sign = isCipher ? [] : try context.pairingUnit()  // σ_j of each slot, for the paired encodings
        var blocks: [Int: [[WordBuffer]]] = [:]
        for first in Swift.stride(from: needed.lowerBound, to: needed.upperBound, by: groupRows) {
            let rows = first..<min(needed.upperBound, first + groupRows)
            // Per channel, its inputs' grid and the grid row of the grid's first entry.
            let inputs: [[WordBuffer?]]
            let inputBase: Int
            if let squares {
                inputs = squares  // already paired, every row the tile reads
                inputBase = 0
            } else {
                inputBase = first
                let cells = rows.count * rowLength
                let encoded = try times.measure("conv2.encode") {
                    try Parallelism.map(channels.count * cells) { item -> Result<WordBuffer?, Error> in
                        let c = channels[item / cells], cell = item % cells
                        let row = first + cell / rowLength, col = starts[cell % rowLength]
                        // The activation plane's value at padded (row, col) (the mean of a 2×2 block after a pool).
                        func value(_ b: Int, _ col: Int) -> Double {
                            Self.plainSource(geometry, activations, image: b, channel: c, row: row, col: col)
                        }
                        if value(0, col) == 0, value(0, col + 1) == 0,
                            (0..<count).allSatisfy({ value($0, col) == 0 && value($0, col + 1) == 0 })
                        {
                            return .success(nil)
                        }
                        return Result {
                            try context.encodeComplexBuffer(
                                count: count, value: { Complex64(value($0, col), sign[$0] * value($0, col + 1)) },
                                scale: plan.squareScale, primes: k2)
                        }
                    }.map { try $0.get() }
                }
                inputs = channels.indices.map { Array(encoded[($0 * cells)..<(($0 + 1) * cells)]) }
            }
            for chunk in Swift.stride(from: tile.filters.lowerBound, to: tile.filters.upperBound, by: Self.conv2FiltersPerPass) {
                let filters = Array(chunk..<min(tile.filters.upperBound, chunk + Self.conv2FiltersPerPass))
                let missing = filters.filter { blocks[$0] == nil }
                let loaded = try times.measure("conv2.load") {
                    try Parallelism.map(missing.count * channels.count) { item in
                        Result {
                            let words = try weights.buffers(2, missing[item / channels.count], channels[item % channels.count])
                            return isCipher ? evaluationWeights(words) : words
                        }
                    }.map { try $0.get() }
                }
                var chunkBlocks: [[[WordBuffer]]] = []  // [filter of the chunk][channel][tap]
                var next = 0
                for filter in filters {
                    if let kept = blocks[filter] {
                        chunkBlocks.append(kept)
                    } else {
                        chunkBlocks.append(Array(loaded[next..<(next + channels.count)]))
                        next += channels.count
                        if keepBlocks { blocks[filter] = chunkBlocks[chunkBlocks.count - 1] }
                    }
                }
                times.measure("conv2") {
                    // Output (y, x) takes the taps whose source row stride·y + tap / tapsPerRow is in this group.
                    // Positions outer, filters inner: a position's inputs serve every filter of the chunk from cache.
                    var terms: [[ProductTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
                    for p in 0..<positions {
                        let pos = firstOutput + p
                        let y = pos / side2, x = pos % side2
                        for (f, filter) in filters.enumerated() {
                            var sum: [ProductTerm] = []
                            for i in channels.indices {
                                for tap in 0..<channelTaps {
                                    let row = stride * y + tap / tapsPerRow
                                    let start = stride * x + 2 * (tap % tapsPerRow)
                                    guard rows.contains(row), start < inputRows, index[start] >= 0,
                                        let input = inputs[i][(row - inputBase) * rowLength + index[start]]
                                    else { continue }
                                    sum.append(
                                        ProductTerm(
                                            weight: chunkBlocks[f][i][tap].pointer, input: input.pointer,
                                            inputIsCipher: isCipher, inputComponents: isCipher ? 4 : 2))
                                }
                            }
                            guard !sum.isEmpty else { continue }
                            terms.append(sum)
                            destinations.append(totals[(filter - tile.filters.lowerBound) * positions + p].pointer)
                        }
                    }
                    // The sums are added (mod q) straight into the running totals.
                    withExtendedLifetime((chunkBlocks, inputs)) {
                        LazyAccumulator.sumAll(
                            terms, primes: k2, degree: n, moduli: moduli, outSize: isCipher ? 4 : 2,
                            into: destinations, accumulate: true, evaluation: evaluation)
                    }
                }
            }
        }
    }

    /// A plaintext channel's value on conv2's plaintext source plane (``StageGeometry/conv2Plain``) at padded
    /// (row, col): the mean of a 2×2 block of the activation plane after a pool (zero outside it), the activation
    /// itself otherwise.
    /// - Parameter activations: `images · conv1Channels · conv1Side²` activations, image-major NCHW.
    static func plainSource(
        _ geometry: StageGeometry, _ activations: [Float], image b: Int, channel c: Int, row: Int, col: Int
    ) -> Double {
        let side1 = geometry.conv1Side, stage = geometry.conv2Plain, pad = geometry.conv2Padding
        let meanReach = geometry.conv2Pooled ? 2 : 1
        let ys = clipped(row - pad, meanReach, side1), xs = clipped(col - pad, meanReach, side1)
        guard col < stage.side, row < stage.side, !ys.isEmpty, !xs.isEmpty else { return 0 }
        let base = (b * geometry.conv1Channels + c) * side1 * side1
        var sum = 0.0
        for y in ys { for x in xs { sum += Double(activations[base + y * side1 + x]) } }
        return meanReach == 2 ? 0.25 * sum : sum
    }

    /// The tile's conv2 outputs from their running totals: the bias added, one fused relinearize (s², s³) and
    /// rescale each.
    /// - Returns: per filter of the tile, its outputs on the tile's rows.
    func finishConv2(tile: OutputTile, totals: [WordBuffer], size: Int, times: inout PhaseTimes) throws -> [[Ciphertext]] {
        let k2 = PipelineLevels.conv2Primes, positions = tile.positions(geometry)
        let productScale = plan.squareScale * plan.conv2WeightScale
        let relinKeys = try times.measure("conv2.load") { try self.relinKeys() }
        return try tile.filters.map { index in
            // The bias was encrypted at exactly the products' scale.
            guard let bias = try weights.part(2, index, geometry.conv1Channels).first else {
                throw InferenceError.invalidArgument("filter \(weights.conv2Filters[index]) has no bias ciphertext")
            }
            let slot = (index - tile.filters.lowerBound) * positions
            return try times.measure("conv2") {
                try Parallelism.map(positions) { o in
                    Result {
                        if size == 4 {
                            EvaluationForm.interpolate(
                                totals[slot + o].pointer, primes: k2, degree: context.degree, moduli: context.moduli(k2))
                        }
                        var ct = context.ciphertext(totals[slot + o], size: size, primes: k2, scale: productScale)
                        try context.evaluator.addInPlace(&ct, bias)
                        try context.evaluator.relinearizeAndRescaleInPlace(&ct, relinKeys: relinKeys)
                        return ct
                    }
                }.map { try $0.get() }
            }
        }
    }
}

/// Word buffers that tasks on different threads take one each (each index once), so that a buffer is freed as
/// soon as its task is done with it rather than when the whole set goes.
final class ReleasableBuffers: @unchecked Sendable {
    private let items: UnsafeMutablePointer<WordBuffer?>
    /// The number of buffers.
    let count: Int

    init(_ buffers: [WordBuffer]) {
        count = buffers.count
        items = .allocate(capacity: buffers.count)
        items.initialize(from: buffers.map { Optional($0) }, count: buffers.count)
    }

    deinit {
        items.deinitialize(count: count)
        items.deallocate()
    }

    /// Buffer `index`, leaving nothing in its place (`nil` if already taken). Distinct indexes may be taken
    /// concurrently.
    func take(_ index: Int) -> WordBuffer? {
        let buffer = items[index]
        items[index] = nil
        return buffer
    }
}

/// Words at a stable address for the multiply-accumulate kernel (an owned allocation, freed with the object).
package final class WordBuffer: @unchecked Sendable {
    /// The first word.
    package let pointer: UnsafeMutablePointer<UInt64>
    /// The number of words.
    let count: Int

    /// `count` zero words.
    package init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    /// `count` words left for the caller to write before any read.
    init(uninitializedCount count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
    }

    /// A copy of `words`.
    package init(_ words: [UInt64]) {
        count = words.count
        pointer = .allocate(capacity: words.count)
        words.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { pointer.initialize(from: base, count: words.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// The words as an array.
    var array: [UInt64] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

extension HEContext {
    /// A ciphertext holding a copy of `words`.
    func ciphertext(_ words: WordBuffer, size: Int, primes k: Int, scale: Double) -> Ciphertext {
        Ciphertext(
            unchecked: parmsIDs[k], size: size, polyModulusDegree: degree, coeffModulusSize: k, scale: scale,
            data: words.array)
    }
}
