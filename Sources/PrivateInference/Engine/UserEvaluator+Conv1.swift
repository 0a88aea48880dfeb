import CKKS
import NN
import NTT

/// Encrypted conv1 and its square on the user's side, swept down the source plane one row at a time.
///
/// Rows of the source plane are encoded one at a time and multiplied at once into every conv1 output whose window
/// covers them (lazy sums added into running sums), then dropped. An output row opens when its first source row
/// arrives and is finished (rescaled, squared, paired or streamed) as soon as its last one is in, before the row
/// opened by the same source row: at most ⌈k/stride⌉ rows of running sums are live. Filters go in groups of at most
/// ``UserEvaluator/conv1FilterGroup``, which bounds the weights and open sums in memory for large selections.
extension UserEvaluator {
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
        let cipher = geometry.conv2Cipher, rowLength = cipher.pairStarts.count
        // With several groups, each source row is encoded once and kept for the groups after the first
        // (``sharesSourceEncodings(conv1Filters:)``; re-encoding it per group was a fifth of CIFAR-10's run at
        // 50 %); with one group it is dropped once used.
        let share = Self.sharesSourceEncodings(conv1Filters: filters)
        var kept: [Int: [WordBuffer?]] = [:]  // column block · source rows + source row → its encodings
        for group in stride(from: 0, to: filters, by: Self.conv1FilterGroup).map({
            $0..<min(filters, $0 + Self.conv1FilterGroup)
        }) {
            var squares = [[WordBuffer?]](
                repeating: [WordBuffer?](repeating: nil, count: cipher.side * rowLength), count: group.count)
            let filterWeights = try times.measure("conv1.load") {
                try Parallelism.map(group.count) { i in
                    Result { try weights.buffers(1, group.lowerBound + i, 0) }
                }.map { try $0.get() }
            }
            for (block, columns) in Self.columnBlocks(geometry).enumerated() {
                try sweepConv1Block(
                    block, columns: columns, filterWeights: filterWeights, channels: group, rows: rows,
                    pixels: pixels, count: count, kept: &kept, share: share, squares: &squares, stream: stream,
                    unit: unit, times: &times)
            }
            if stream == nil { try consume(group, squares) }
        }
    }

    /// The source columns feeding conv1 output columns `columns` = x0..<x1: s·x0 … s·(x1−1)+k−1 (neighbouring
    /// blocks share k−s).
    func conv1SourceColumns(_ columns: Range<Int>) -> (first: Int, count: Int) {
        let stage = geometry.conv1
        return (stage.stride * columns.lowerBound, stage.stride * (columns.count - 1) + stage.window)
    }

    /// One column block of one group of conv1 filters, swept down the source rows that conv1 output rows `rows`
    /// read: each output row's squares are stored paired in `squares` (`[filter of the group][grid]`) or, with
    /// `stream`, multiplied into conv2's running totals.
    ///
    /// `block` is the block's index among ``columnBlocks(_:)`` and `columns` its conv1 output columns;
    /// `filterWeights` holds per filter of the group its tap and bias buffers, `channels` the group's indices among
    /// the selected conv1 filters (conv2's encrypted channels). `kept` maps column block · source rows + source row
    /// to its encodings: rows found there are not encoded again, and with `share` this block's rows are added for
    /// the groups after this one.
    func sweepConv1Block(
        _ block: Int, columns: Range<Int>, filterWeights: [[WordBuffer]], channels group: Range<Int>,
        rows: Range<Int>, pixels: [UInt8], count: Int, kept: inout [Int: [WordBuffer?]], share: Bool,
        squares: inout [[WordBuffer?]], stream: (blocks: [[[WordBuffer]]], totals: [WordBuffer])?,
        unit: [[ShoupOperand]], times: inout PhaseTimes
    ) throws {
        let k1 = PipelineLevels.conv1Primes, n = context.degree
        let stage = geometry.conv1, s = stage.stride, window = stage.window
        var open: [Int: [WordBuffer]] = [:]  // output row → running sums [filter · width + x] (k1 primes)
        // Source rows s·y … s·y + k − 1 of the first and last output rows.
        var nextRow = rows.lowerBound
        for r in (s * rows.lowerBound)..<min(stage.side, s * (rows.upperBound - 1) + window) {
            let key = block * stage.side + r
            let encoded =
                try kept[key]
                ?? times.measure("conv1.encode") {
                    try encodeSourceRow(r, columns: columns, pixels: pixels, count: count)
                }
            if share { kept[key] = encoded }
            times.measure("conv1") {
                accumulateConv1(
                    open.keys.filter { s * $0 <= r && r - s * $0 < window }.sorted(), sourceRow: r, encoded: encoded,
                    filterWeights: filterWeights, open: open, columns: columns)
            }
            // An output row is complete once its window's last source row is in.
            if nextRow < rows.upperBound, s * nextRow + window - 1 <= r,
                let finished = open.removeValue(forKey: nextRow).map(ReleasableBuffers.init)
            {
                let y = nextRow
                nextRow += 1
                let squared = try times.measure("activation") {
                    try squareConv1Row(finished, filterWeights: filterWeights, width: columns.count)
                }
                if let stream {
                    times.measure("conv2") {
                        accumulateSquares(
                            row: y, columns: columns, squared, channels: group, blocks: stream.blocks,
                            into: stream.totals, unit: unit)
                    }
                } else {
                    storePairedRow(squared, row: y, columns: columns, unit: unit, into: &squares)
                }
                progress?()
            }
            if r % s == 0, rows.contains(r / s) {
                open[r / s] = (0..<(group.count * columns.count)).map { _ in WordBuffer(count: 2 * k1 * n) }
                times.measure("conv1") {
                    accumulateConv1(
                        [r / s], sourceRow: r, encoded: encoded, filterWeights: filterWeights, open: open,
                        columns: columns)
                }
            }
        }
        guard nextRow == rows.upperBound else {
            throw InferenceError.invalidArgument("internal: \(rows.upperBound - nextRow) conv1 rows not completed")
        }
    }

    /// Source row `row` encoded for the conv1 output columns `columns`: `[input channel · sources + source column]`
    /// (``conv1SourceColumns(_:)``) at conv1's primes and the input scale, on every core.
    ///
    /// A source value that is zero in every image (MNIST's border, padding) encodes to the zero polynomial; its
    /// products add nothing, so it is `nil` and skipped.
    func encodeSourceRow(_ row: Int, columns: Range<Int>, pixels: [UInt8], count: Int) throws -> [WordBuffer?] {
        let k1 = PipelineLevels.conv1Primes
        let (firstSource, sources) = conv1SourceColumns(columns)
        return try Parallelism.map(geometry.inputChannels * sources) { item -> Result<WordBuffer?, Error> in
            guard
                let values = sourceValues(
                    pixels: pixels, count: count, channel: item / sources, row: row, col: firstSource + item % sources)
            else { return .success(nil) }
            return Result { try context.encodeBuffer(values, scale: plan.inputScale, primes: k1) }
        }.map { try $0.get() }
    }

    /// Adds source row `sourceRow` (`encoded`, ``encodeSourceRow(_:columns:pixels:count:)``) times the taps that
    /// read it into the open running sums of conv1 output rows `outputRows` (`open[y]`: `[filter · width + x]`),
    /// as one lazy sum per output.
    ///
    /// Output (y, f, x) takes, from source row r with 0 ≤ r − s·y < k, the taps of kernel row r − s·y.
    func accumulateConv1(
        _ outputRows: [Int], sourceRow r: Int, encoded: [WordBuffer?], filterWeights: [[WordBuffer]],
        open: [Int: [WordBuffer]], columns: Range<Int>
    ) {
        let k1 = PipelineLevels.conv1Primes, n = context.degree
        let s = geometry.conv1.stride, window = geometry.conv1.window, channels = geometry.inputChannels
        let width = columns.count, sources = conv1SourceColumns(columns).count
        var outputs: [[ProductTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
        for y in outputRows {
            guard let sums = open[y] else { continue }
            let dy = r - s * y
            for f in 0..<filterWeights.count {
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
                outputs, primes: k1, degree: n, moduli: context.moduli(k1), outSize: 2, into: destinations,
                accumulate: true)
        }
    }

    /// A finished row of conv1 running sums (`[filter · width + x]`) as squares: bias, rescale and square, each
    /// output in one task, so that a row's rescaled outputs are never all live beside its sums.
    /// - Returns: the squares (three components at conv2's primes), `[filter · width + x]`.
    func squareConv1Row(_ finished: ReleasableBuffers, filterWeights: [[WordBuffer]], width: Int) throws
        -> [WordBuffer]
    {
        let k1 = PipelineLevels.conv1Primes, n = context.degree, taps = geometry.conv1Taps
        let conv1Scale = plan.inputScale * plan.conv1WeightScale
        return try Parallelism.map(finished.count) { o in
            Result {
                // Each running sum is released once copied, so the row's sums shrink as its squares appear.
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

    /// Stores conv1 output row `row`'s squares (`[filter · width + x]` on `columns`) paired, in ``EvaluationForm``,
    /// at their places in the group's grids `squares[filter][paddedRow · starts + start]`.
    func storePairedRow(
        _ squared: [WordBuffer], row: Int, columns: Range<Int>, unit: [[ShoupOperand]],
        into squares: inout [[WordBuffer?]]
    ) {
        let cipher = geometry.conv2Cipher
        let pairs = pairRow(squared, groups: squares.count, columns: columns, unit: unit)
        let rowBase = (row + cipher.padding) * cipher.pairStarts.count
        let values = evaluationInputs(pairs.flatMap { $0.map(\.1) })
        var next = 0
        for (g, groupPairs) in pairs.enumerated() {
            for (start, _) in groupPairs {
                squares[g][rowBase + start] = values[next]
                next += 1
            }
        }
    }

    /// ct², rescaled but not relinearized: its three components go into conv2's sums, which are relinearized
    /// once per conv2 output (16 key switches with s² and s³ instead of 144 with s², LeNet-5 (1,1): activation
    /// 0.35 → 0.07 s).
    func square(_ input: Ciphertext) throws -> Ciphertext {
        var out = try context.evaluator.square(input)
        try context.evaluator.rescaleToNextInPlace(&out)
        return out
    }
}
