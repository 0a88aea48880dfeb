import CKKS
import Foundation
import NTT

/// The user's homomorphic part of LeNet-5: encrypted pooled conv1 → square → encrypted pooled conv2, with
/// images batched across slots (slot i = image i).
///
/// Work per batch: each 2×2 mean of input bytes is encoded once (one row of means at a time) and shared
/// by every encrypted conv1 filter; each pooled output is a lazy sum of its 25 ct⊙pt products with the box-form
/// kernel (plus the bias), taken as five 5-term sums as its rows arrive, followed by one rescale; the square is one
/// tensor product and one rescale, left unrelinearized; each encrypted conv2 output is one lazy sum over all input
/// channels with neighbouring inputs paired into complex slot values (four-component ct⊗ct with the paired wide
/// kernel for encrypted channels, ct⊙pt with the paired box kernel on 2×2 means of activations for plaintext
/// ones) followed by one fused relinearize (s³ and s²) and rescale.
/// With few conv2 filters, rows of squares go into conv2 as soon as they exist. Sums are cache-blocked over
/// all outputs that share inputs and every step runs on every core.
struct UserEvaluator {
    /// Encrypted conv1 filters evaluated together: their weights and open sums are in memory at once.
    static let conv1FilterGroup = 2
    /// Blocks of pooled conv1 columns evaluated one after the other over all rows: each block's running sums
    /// and encoded row are 1/blocks of a whole row's, for re-encoding the k−2 columns of means that neighbouring
    /// blocks share.
    static let conv1ColumnBlocks = 2
    /// Rows of 2×2 means of a plaintext channel encoded at once for conv2 (when the weight blocks are kept):
    /// 3 of 11 rows are 7 MiB of paired encodings instead of 26, for re-reading the running totals four times.
    static let conv2RowsPerGroup = 3

    /// The pooled conv1 columns of each block.
    static func columnBlocks(_ side: Int) -> [Range<Int>] {
        // Boundaries fall on even columns, so that conv2's pairs of neighbouring squares stay within a block.
        let blocks = max(1, min(conv1ColumnBlocks, side / 2))
        let bound = { (b: Int) in b == blocks ? side : side * b / blocks / 2 * 2 }
        return (0..<blocks).map { bound($0)..<bound($0 + 1) }
    }
    let context: HEContext
    let plan: ScalePlan
    let weights: EncryptedWeights
    /// Loads the relinearization keys (s², s³), called once for conv2's last step.
    let relinKeys: @Sendable () throws -> RelinKeys
    /// conv kernel size k (pooled kernels are k² on 2×2 means or (k+1)² wide, stride 2).
    let kernel: Int
    /// Input side (28), pooled conv1 side (12), pooled conv2 side (4).
    let inputSide: Int
    let pooled1Side: Int
    let pooled2Side: Int
    /// conv1 output channels.
    let conv1Channels: Int
    /// X^(N/2) at conv2's primes as Shoup operands (i in every slot: pairs neighbouring squares).
    func imaginaryUnit() throws -> [[ShoupOperand]] {
        let k = PipelineLevels.conv2Primes, n = context.degree, unit = context.imaginaryUnit(primes: k)
        return context.moduli(k).enumerated().map { j, q in
            (0..<n).map { ShoupOperand(unit.pointer[j * n + $0], modulus: q) }
        }
    }
    /// Called after each pooled conv1 row and each conv2 input channel.
    var progress: (@Sendable () -> Void)? = nil

    /// Complex taps of a paired wide kernel (conv2 on encrypted channels).
    var widePairedTaps: Int { (kernel + 1) * ((kernel + 2) / 2) }
    /// Taps of a box-form pooled kernel (plaintext inputs as 2×2 means).
    var boxTaps: Int { kernel * kernel }

    /// Runs the encrypted layers for one batch.
    /// - Parameters:
    ///   - pixels: `count · inputSide²` raw bytes, image-major.
    ///   - count: images in the batch (≤ N/2).
    ///   - times: receives conv1, activation and conv2 times.
    ///   - activations: called after the encrypted conv1 (so that its result is not resident during it) with
    ///     `times`; returns the `count · conv1Channels · pooled1Side²` squared pooled conv1 outputs of the
    ///     plaintext filters (image-major NCHW; channels of encrypted filters are ignored).
    /// - Returns: per selected conv2 filter, its pooled outputs (row-major) at one prime and `resultScale`.
    /// - Throws: ``InferenceError`` for a bad batch size; `CKKSError` from the evaluator or a bad filter file.
    func evaluate(
        pixels: [UInt8], count: Int, times: inout PhaseTimes, activations: (inout PhaseTimes) throws -> [Float]
    ) throws -> [[Ciphertext]] {
        guard count > 0, count <= context.degree / 2 else {
            throw InferenceError.invalidArgument("a batch holds 1…\(context.degree / 2) images, got \(count)")
        }
        let n = context.degree, k2 = PipelineLevels.conv2Primes
        // Products with unrelinearized (three-component) squares have four components.
        let size = weights.conv1Filters.isEmpty ? 2 : 4
        let totals = (0..<(weights.conv2Filters.count * pooled2Side * pooled2Side)).map { _ in
            WordBuffer(count: size * k2 * n)
        }
        // Streaming the squares into conv2 as their rows appear needs every (conv2 filter, encrypted channel)
        // weight block in memory during conv1; it pays when those blocks (F2 · (k+1)·⌈(k+1)/2⌉ paired weights of
        // two components) are smaller than the squares they replace (p1² of three components): up to 12 conv2
        // filters.
        var blocks: [[[WordBuffer]]] = []
        let stream =
            !weights.conv1Filters.isEmpty && !weights.conv2Filters.isEmpty
            && weights.conv2Filters.count * widePairedTaps * 2 <= pooled1Side * pooled1Side * 3
        if stream {
            blocks = try times.measure("conv2.load") {
                try (0..<weights.conv2Filters.count).map { index in
                    try weights.conv1Filters.map { c in try weights.buffers(2, index, c) }
                }
            }
        }
        let unit = try imaginaryUnit()
        let squares = try encryptedActivations(
            pixels: pixels, count: count, stream: stream ? (blocks, totals) : nil, unit: unit, times: &times)
        blocks = []
        return try conv2(
            squares: squares, streamed: stream, totals: totals, activations: try activations(&times), count: count,
            times: &times)
    }

    /// Squared pooled conv1 outputs of every selected conv1 filter, neighbouring columns paired as conv2 takes
    /// them (``pairColumns(_:groups:width:unit:)``): `[filter][row·⌈side/2⌉ + pair]`, three components at conv2's
    /// primes — half as many ciphertexts to keep.
    ///
    /// With `stream` (the weight blocks `[conv2 filter][encrypted channel][tap]` and conv2's running totals),
    /// each row of squares is instead multiplied into every conv2 output it feeds and dropped, so the result
    /// is empty.
    func encryptedActivations(
        pixels: [UInt8], count: Int, stream: (blocks: [[[WordBuffer]]], totals: [WordBuffer])?,
        unit: [[ShoupOperand]], times: inout PhaseTimes
    ) throws -> [[WordBuffer]] {
        let filters = weights.conv1Filters.count
        guard filters > 0, !weights.conv2Filters.isEmpty else { return [] }
        let n = context.degree
        let k1 = PipelineLevels.conv1Primes
        let side = inputSide, boxSide = inputSide - 1, p1 = pooled1Side, window = kernel
        let conv1Scale = plan.inputScale * plan.conv1WeightScale
        // Rows of 2×2 means are encoded one at a time and multiplied at once into every pooled output whose
        // window covers them (lazy sums added into running sums), then dropped. A pooled row opens when its first
        // row of means arrives and is finished (rescaled, squared, streamed) as soon as its last one is in, before
        // the row opened by the same row of means: at most two pooled rows of running sums are live instead of
        // ⌈k/2⌉ = 3 ((1,1): 16 MiB less at the peak), for one more, smaller multiply-accumulate call per step.
        // Filters go in groups of at most `conv1FilterGroup` (inputs re-encoded per group), which bounds the
        // weights and open sums in memory for large selections.
        let half = (p1 + 1) / 2
        var squares = [[WordBuffer?]](repeating: [WordBuffer?](repeating: nil, count: p1 * half), count: filters)
        for group in stride(from: 0, to: filters, by: Self.conv1FilterGroup).map({
            $0..<min(filters, $0 + Self.conv1FilterGroup)
        }) {
            let groupCount = group.count
            let filterWeights = try times.measure("conv1.load") {
                try Workers.map(groupCount) { i in
                    Result { try weights.buffers(1, group.lowerBound + i, 0) }
                }.map { try $0.get() }
            }
            for columns in Self.columnBlocks(p1) {
                let width = columns.count
                // Means columns 2·x0 … 2·(x1−1)+k−1 feed the block's outputs (neighbouring blocks share k−2).
                let firstMean = 2 * columns.lowerBound, means = 2 * (width - 1) + window
                var open: [Int: [WordBuffer]] = [:]  // pooled row → running sums [filter · width + x] (k1 primes)
                var nextPooled = 0
                for r in 0..<boxSide {
                    // A mean that is zero in every image of the batch (MNIST's border) encodes to the zero
                    // polynomial; its products add nothing and are skipped.
                    let encoded = try times.measure("conv1.encode") {
                        try Workers.map(means) { item -> Result<WordBuffer?, Error> in
                            let col = firstMean + item
                            var values = [Double](repeating: 0, count: count)
                            var any = false
                            for b in 0..<count {
                                let at = b * side * side + r * side + col
                                let sum =
                                    Int(pixels[at]) + Int(pixels[at + 1]) + Int(pixels[at + side])
                                    + Int(pixels[at + side + 1])
                                any = any || sum != 0
                                values[b] = 0.25 * Double(sum)
                            }
                            guard any else { return .success(nil) }
                            return Result {
                                try context.encodeBuffer(values, scale: plan.inputScale, primes: k1)
                            }
                        }.map { try $0.get() }
                    }
                    // Output (y, f, x) takes, from row of means r with 0 ≤ r − 2y < k, the taps of kernel row r − 2y.
                    func accumulate(_ pooledRows: [Int]) {
                        var outputs: [[ProductTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
                        for y in pooledRows {
                            guard let sums = open[y] else { continue }
                            for f in 0..<groupCount {
                                for x in 0..<width {
                                    let terms = (0..<window).compactMap { dx -> ProductTerm? in
                                        guard let input = encoded[2 * x + dx] else { return nil }
                                        return ProductTerm(
                                            weight: filterWeights[f][(r - 2 * y) * window + dx].pointer,
                                            input: input.pointer, inputIsCipher: false)
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
                        accumulate(open.keys.filter { $0 * 2 <= r && r - 2 * $0 < window }.sorted())
                    }
                    // A pooled row is complete once its window's last row of means is in.
                    if nextPooled < p1, 2 * nextPooled + window - 1 <= r,
                        let finished = open.removeValue(forKey: nextPooled).map(ReleasableBuffers.init)
                    {
                        let y = nextPooled
                        nextPooled += 1
                        // Bias, rescale and square each output in one task, so that a row's rescaled outputs are
                        // never all live beside its sums.
                        let squared = try times.measure("activation") {
                            try Workers.map(finished.count) { o in
                                Result {
                                    // Each running sum is released once copied, so the row's sums shrink as its
                                    // squares appear.
                                    guard let buffer = finished.take(o) else {
                                        throw InferenceError.invalidArgument("internal: conv1 sum \(o) taken twice")
                                    }
                                    // The bias is added word by word (mod q), without a ciphertext copy of it.
                                    let sum = buffer.pointer, bias = filterWeights[o / width][boxTaps].pointer
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
                            let pairs = pairColumns(squared, groups: groupCount, width: width, unit: unit)
                            let pairsPerBlock = (width + 1) / 2
                            for (item, ct) in pairs.enumerated() {
                                squares[group.lowerBound + item / pairsPerBlock][
                                    y * half + columns.lowerBound / 2 + item % pairsPerBlock] = ct
                            }
                        }
                        progress?()
                    }
                    if r % 2 == 0, r / 2 < p1 {
                        open[r / 2] = (0..<(groupCount * width)).map { _ in WordBuffer(count: 2 * k1 * n) }
                        times.measure("conv1") { accumulate([r / 2]) }
                    }
                }
                guard nextPooled == p1 else {
                    throw InferenceError.invalidArgument(
                        "internal: \(p1 - nextPooled) pooled conv1 rows not completed")
                }
            }
        }
        return squares.map { $0.compactMap { $0 } }
    }

    /// Adds one row of squares (`[filter · width + col − x0]` of the encrypted channels `channels`, for the pooled
    /// columns `columns` = x0..<x1) times their conv2 weights to every conv2 output whose window covers them: for
    /// output (y2, x2) the taps of window row `row − 2·y2` on those columns, over those channels, as one lazy
    /// ct⊗ct sum per output.
    func accumulateSquares(
        row: Int, columns: Range<Int>, _ squared: [WordBuffer], channels: Range<Int>, blocks: [[[WordBuffer]]],
        into totals: [WordBuffer], unit: [[ShoupOperand]]
    ) {
        let k2 = PipelineLevels.conv2Primes, n = context.degree
        let p2 = pooled2Side, window = kernel + 1, tapsPerRow = (window + 1) / 2
        let firstRow = max(0, (row - window + 2) / 2), lastRow = min(p2 - 1, row / 2)
        guard firstRow <= lastRow else { return }
        let pairs = pairColumns(squared, groups: channels.count, width: columns.count, unit: unit)
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
                                    inputIsCipher: true, inputComponents: 3))
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
                accumulate: true)
        }
    }

    /// Neighbouring squares paired as sq[2p] + X^(N/2)·sq[2p+1] (slot values a + σ_j·b·i), written over sq[2p]:
    /// `squares` is `[group · width + col]` (three components at conv2's primes), the result
    /// `[group · ⌈width/2⌉ + p]`. The paired (complex) conv2 weights take both in one product.
    func pairColumns(_ squares: [WordBuffer], groups: Int, width: Int, unit: [[ShoupOperand]]) -> [WordBuffer] {
        let k = PipelineLevels.conv2Primes, n = context.degree, moduli = context.moduli(k)
        let half = (width + 1) / 2
        let pairs = (0..<(groups * half)).map { i -> (Int, Int?) in
            let g = i / half, col = 2 * (i % half)
            return (g * width + col, col + 1 < width ? g * width + col + 1 : nil)
        }
        Workers.forEach(pairs.count * 3 * k) { item in
            let (a, b) = pairs[item / (3 * k)]
            guard let b else { return }
            let c = item % (3 * k) / k, j = item % k
            let q = moduli[j], row = (c * k + j) * n
            let x = squares[a].pointer + row, y = squares[b].pointer + row
            unit[j].withUnsafeBufferPointer { u in
                for t in 0..<n { x[t] = q.addMod(x[t], u[t].multiplyMod(y[t], modulus: q)) }
            }
        }
        return pairs.map { squares[$0.0] }
    }

    /// ct², rescaled but not relinearized: its three components go into conv2's sums, which are relinearized
    /// once per conv2 output (16 key switches with s² and s³ instead of 144 with s², (1,1): activation
    /// 0.35 → 0.07 s).
    func square(_ input: Ciphertext) throws -> Ciphertext {
        var out = try context.evaluator.square(input)
        try context.evaluator.rescaleToNextInPlace(&out)
        return out
    }

    /// The selected conv2 filters' pooled outputs, accumulated input channel by input channel so that at most one
    /// channel's encoded activations (or a few rows of them) and its weight blocks are in memory at a time.
    ///
    /// With `streamed`, the encrypted channels were already added to `totals` row by row.
    func conv2(
        squares: [[WordBuffer]], streamed: Bool, totals: [WordBuffer], activations: [Float], count: Int,
        times: inout PhaseTimes
    ) throws -> [[Ciphertext]] {
        let filters = weights.conv2Filters.count
        guard filters > 0 else { return [] }
        let n = context.degree
        let k2 = PipelineLevels.conv2Primes
        let moduli = context.moduli(k2)
        let p1 = pooled1Side, p2 = pooled2Side, plane = p1 * p1, outputs = p2 * p2
        let boxSide = p1 - 1
        let encryptedChannel = Dictionary(uniqueKeysWithValues: weights.conv1Filters.enumerated().map { ($1, $0) })
        let size = weights.conv1Filters.isEmpty ? 2 : 4
        let sign = try context.pairingUnit()  // σ_j of each slot, for the plaintext channels' paired encodings
        for c in 0..<conv1Channels {
            defer { progress?() }
            let encrypted = encryptedChannel[c]
            if encrypted != nil && streamed { continue }
            let isCipher = encrypted != nil
            // Encrypted channels use the wide kernel on the squares themselves, plaintext ones the box kernel on
            // their 2×2 means, both with horizontally adjacent taps paired (``PooledKernels/conv2Paired``): an
            // input holds two neighbouring values as one complex slot value, v[x] + σ_j·v[x+1]·i (an encoding of two
            // means; for squares, sq[x] + X^(N/2)·sq[x+1]), so a plaintext channel takes 66 encodings and 15
            // products per output instead of 144 and 36, an encrypted one 18 products instead of 36.
            let window = isCipher ? kernel + 1 : kernel, tapsPerRow = (window + 1) / 2
            let inputRows = isCipher ? p1 : boxSide, rowLength = (inputRows + 1) / 2
            let channelTaps = window * tapsPerRow
            // A plaintext channel is encoded a few rows of means at a time, each group multiplied into every
            // output it feeds, when the filters' weight blocks (then kept for the whole channel) are smaller than
            // the channel's encodings; otherwise all at once, each block loaded once.
            let keepBlocks = !isCipher && filters * channelTaps <= inputRows * rowLength
            let groupRows = keepBlocks ? Self.conv2RowsPerGroup : inputRows
            var blocks: [Int: [WordBuffer]] = [:]
            for first in stride(from: 0, to: inputRows, by: groupRows) {
                let rows = first..<min(inputRows, first + groupRows)
                let inputs: [WordBuffer]
                if let e = encrypted {
                    inputs = squares[e]  // already paired
                } else {
                    inputs = try times.measure("conv2.encode") {
                        try Workers.map(rows.count * rowLength) { item -> Result<WordBuffer, Error> in
                            let row = first + item / rowLength, col = 2 * (item % rowLength)
                            func mean(_ b: Int, _ col: Int) -> Double {
                                guard col < boxSide else { return 0 }
                                let base = (b * conv1Channels + c) * plane + row * p1 + col
                                return 0.25
                                    * (Double(activations[base]) + Double(activations[base + 1])
                                        + Double(activations[base + p1]) + Double(activations[base + p1 + 1]))
                            }
                            return Result {
                                try context.encodeComplexBuffer(
                                    count: count, value: { Complex64(mean($0, col), sign[$0] * mean($0, col + 1)) },
                                    scale: plan.squareScale, primes: k2)
                            }
                        }.map { try $0.get() }
                    }
                }
                for index in 0..<filters {
                    let block = try blocks[index] ?? times.measure("conv2.load") { try weights.buffers(2, index, c) }
                    if keepBlocks { blocks[index] = block }
                    times.measure("conv2") {
                        // Output (y, x) takes the taps whose input row 2y + tap / tapsPerRow is in this group.
                        var terms: [[ProductTerm]] = [], destinations: [UnsafeMutablePointer<UInt64>] = []
                        for pos in 0..<outputs {
                            let y = pos / p2, x = pos % p2
                            let sum = (0..<channelTaps).compactMap { tap -> ProductTerm? in
                                let row = 2 * y + tap / tapsPerRow, t = tap % tapsPerRow
                                guard rows.contains(row) else { return nil }
                                // Pair t of output x holds columns 2(x + t) and 2(x + t) + 1.
                                let at = (row - first) * rowLength + x + t
                                return ProductTerm(
                                    weight: block[tap].pointer, input: inputs[at].pointer, inputIsCipher: isCipher,
                                    inputComponents: 3)
                            }
                            guard !sum.isEmpty else { continue }
                            terms.append(sum)
                            destinations.append(totals[index * outputs + pos].pointer)
                        }
                        // The sums are added (mod q) straight into the running totals.
                        withExtendedLifetime((block, inputs)) {
                            LazyAccumulator.sumAll(
                                terms, primes: k2, degree: n, moduli: moduli, outSize: isCipher ? 4 : 2,
                                into: destinations, accumulate: true)
                        }
                    }
                }
            }
        }
        let productScale = plan.squareScale * plan.conv2WeightScale
        let relinKeys = try times.measure("conv2.load") { try self.relinKeys() }
        return try (0..<filters).map { index in
            // The bias was encrypted at exactly the products' scale.
            guard let bias = try weights.part(2, index, conv1Channels).first else {
                throw InferenceError.invalidArgument("filter \(weights.conv2Filters[index]) has no bias ciphertext")
            }
            return try times.measure("conv2") {
                try Workers.map(outputs) { o in
                    Result {
                        var ct = context.ciphertext(
                            totals[index * outputs + o], size: size, primes: k2, scale: productScale)
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
final class WordBuffer: @unchecked Sendable {
    /// The first word.
    let pointer: UnsafeMutablePointer<UInt64>
    /// The number of words.
    let count: Int

    /// `count` zero words.
    init(count: Int) {
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
    init(_ words: [UInt64]) {
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
            parmsID: parmsIDs[k], size: size, polyModulusDegree: degree, coeffModulusSize: k, scale: scale,
            data: words.array)
    }
}
