import CKKS
import NN
import NTT

/// conv2 on the user's side: each conv1 channel's contribution added into the tile's running totals (squares of
/// encrypted channels, activations of plaintext ones), then the totals finished into the tile's outputs.
extension UserEvaluator {
    /// Adds one row of squares (`[filter · width + col − x0]` of the encrypted channels `channels`, for the conv1
    /// columns `columns` = x0..<x1) times their conv2 weights to every conv2 output whose window covers them: for
    /// output (y2, x2) the taps of window row `row − 2·y2` on those columns, over those channels, as one lazy ct⊗ct sum
    /// per output.
    ///
    /// Only where pairs align with even columns (``StageGeometry/pairsAlignWithEvenColumns``).
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
        let needed =
            (stride * tile.rows.lowerBound)..<min(inputRows, stride * (tile.rows.upperBound - 1) + stage.window)
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
            for chunk in Swift.stride(
                from: tile.filters.lowerBound, to: tile.filters.upperBound, by: Self.conv2FiltersPerPass)
            {
                let filters = Array(chunk..<min(tile.filters.upperBound, chunk + Self.conv2FiltersPerPass))
                let missing = filters.filter { blocks[$0] == nil }
                let loaded = try times.measure("conv2.load") {
                    try Parallelism.map(missing.count * channels.count) { item in
                        Result {
                            let words = try weights.buffers(
                                2, missing[item / channels.count], channels[item % channels.count])
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
    /// - Parameters:
    ///   - geometry: the network's encrypted part.
    ///   - activations: `images · conv1Channels · conv1Side²` activations, image-major NCHW.
    ///   - b: the image.
    ///   - c: the conv1 channel.
    ///   - row: the padded row on the source plane.
    ///   - col: the padded column on the source plane.
    /// - Returns: the value conv2's plaintext part reads there.
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
    func finishConv2(tile: OutputTile, totals: [WordBuffer], size: Int, times: inout PhaseTimes) throws
        -> [[Ciphertext]]
    {
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
                                totals[slot + o].pointer, primes: k2, degree: context.degree, moduli: context.moduli(k2)
                            )
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
