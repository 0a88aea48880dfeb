/// Where one image's values sit in the slots of the pixels packing: the layout both parties derive from the
/// geometry, the selection and the slot count, so the owner can encrypt weights in it and decrypt results from it.
///
/// The batch packing puts image i in slot i and every feature-map value in its own ciphertext. For one image that
/// wastes all slots but one, so here one image's values fill the slots. A conv2 output is a sum of terms — one per
/// input channel and kernel tap — and the layout gives every term its own block of slots:
///
/// - A **block** holds `blockSize` slots, one per conv2 output position (a power of two; positions beyond the plane's
///   are empty). Blocks are interleaved: block b of a ciphertext serves output filter `b % filtersPerOutput` and
///   term `b / filtersPerOutput` of a lane.
/// - A **cipher lane** is a ciphertext of encrypted activations: block (filter f, term τ) holds, at position q, the
///   square of encrypted conv1 channel e at the place conv2's tap t reads for output q (τ ↦ (e, t)). Those values
///   are computed directly there: conv1 reads the user's plaintext image, so every shifted copy of an encrypted
///   channel comes from encoding the image at shifted places — the encrypted weights are slot vectors, and no
///   ciphertext is ever rotated to move a feature map. The lane is the same for every output filter group.
/// - A **plain lane** is a plaintext of the user's own activations (plaintext conv1 channels) laid out the same way,
///   for conv2's box form on them.
/// - An **output** ciphertext covers `filtersPerOutput` encrypted conv2 filters of one chunk of positions: the sum
///   of every lane times its weight ciphertext (the conv2 taps of (filter, term) repeated over the block's
///   positions, zero where the position is empty or the tap reads padding) and the bias, relinearized and rescaled
///   once; then `log2(groupBlocks)` rotate-and-add steps (`blockSize · filtersPerOutput · 2^i`) fold each filter's
///   term blocks. A filter's blocks are a whole cyclic subgroup of the slots, so after folding *every* one of them
///   holds the filter's complete outputs: no slot of a decrypted output holds a partial sum (a single term would be
///   one weight times a known activation), and the batch exchange's coefficient-domain masks, flooding and budget
///   apply unchanged.
///
/// Zero padding and pooling are folded into the operands: a tap that reads outside the plane has a zero weight, and
/// pooling is the box and wide forms of ``StageGeometry``, so no mask costs a level. Only the folding rotations
/// need Galois keys.
struct PixelsLayout: Sendable, Equatable {
    let geometry: StageGeometry
    /// Slots per ciphertext (N/2).
    let slots: Int
    /// The encrypted conv1 filters (input channels of the cipher lanes), ascending.
    let cipherChannels: [Int]
    /// conv1's plaintext filters (the user's own activations), ascending.
    let plainChannels: [Int]
    /// The encrypted conv2 filters, ascending.
    let filters: [Int]
    /// Slots per block: conv2 output positions per chunk (a power of two).
    let blockSize: Int
    /// Chunks of positions (more than one only when a filter's positions exceed the slots).
    let chunks: Int
    /// Blocks given to each filter in an output ciphertext (a power of two): term blocks folded by rotations.
    private(set) var groupBlocks: Int
    /// Whether a request also carries conv1's result on the encrypted channels (a residual shortcut reads it):
    /// the cipher lanes that hold conv2's ``identityTap`` (``resultLanes``), relinearized, after the outputs.
    let carriesConv1Result: Bool

    /// The layout for one image.
    /// - Parameters:
    ///   - geometry: the network's encrypted part.
    ///   - slots: N/2, a power of two.
    ///   - cipherChannels: the encrypted conv1 filters; the other conv1 channels are plaintext.
    ///   - filters: the encrypted conv2 filters (at least one).
    ///   - carriesConv1Result: whether requests carry conv1's result on the encrypted channels too (a residual
    ///     network: ``EncryptedStructure/readsConv1Result``).
    /// - Throws: ``InferenceError/invalidArgument(_:)`` for a slot count that is not a power of two, no conv2
    ///   filter, or a conv1 result asked of a geometry whose conv2 has no tap reading conv1's plane in place.
    init(
        geometry: StageGeometry, slots: Int, cipherChannels: [Int], filters: [Int], carriesConv1Result: Bool = false
    ) throws {
        guard slots > 0, slots & (slots - 1) == 0 else {
            throw InferenceError.invalidArgument("slots must be a power of two, got \(slots)")
        }
        guard !filters.isEmpty else { throw InferenceError.invalidArgument("no encrypted conv2 filter to lay out") }
        self.geometry = geometry
        self.slots = slots
        self.cipherChannels = cipherChannels.sorted()
        let encrypted = Set(cipherChannels)
        plainChannels = (0..<geometry.conv1Channels).filter { !encrypted.contains($0) }
        self.filters = filters.sorted()
        self.carriesConv1Result = carriesConv1Result && !cipherChannels.isEmpty
        guard !self.carriesConv1Result || Self.identityTap(geometry) != nil else {
            throw InferenceError.invalidArgument(
                "conv2 has no tap that reads conv1's plane in place, so the pixels packing cannot return conv1's result"
            )
        }
        let positions = Self.powerOfTwo(atLeast: geometry.positions)
        blockSize = min(positions, slots)
        chunks = positions / blockSize
        let cipherTerms = self.cipherChannels.count * geometry.conv2Cipher.window * geometry.conv2Cipher.window
        let plainTerms = plainChannels.count * geometry.conv2Plain.window * geometry.conv2Plain.window
        let widest = min(slots / blockSize, Self.powerOfTwo(atLeast: max(cipherTerms, plainTerms, 1)))
        // Fewer term blocks per filter put more filters in each output: fewer outputs to relinearize, fold, protect
        // and decrypt, and fewer folding steps, for more lanes (a filter's terms are repeated in each of its blocks).
        // The widest grouping unless a narrower one is estimated at least 10 % cheaper (``estimatedCost``).
        groupBlocks = widest
        var best = estimatedCost
        for shift in Swift.stride(from: 1, through: widest.trailingZeroBitCount, by: 1) {
            var candidate = self
            candidate.groupBlocks = widest >> shift
            let cost = candidate.estimatedCost
            if 10 * cost < 9 * best {
                best = cost
                groupBlocks = candidate.groupBlocks
            }
        }
    }

    /// The estimated wall time of one image in this layout, in units of ~10 µs (one product of two N-word rows at
    /// N = 16384).
    ///
    /// Fitted to the one-image runs at N = 16384: an output's key switches (its relinearization (s², s³) and its
    /// folding rotations) ≈ 300 each and its rescale, interpolation, protection and decryption ≈ 500 (GTSRB's
    /// AlexNet at 50 %: 26 ms per output with seven key switches); per cipher lane conv1's products (10 per tap, at
    /// five primes) and its rescales and square (≈ 300); each distinct conv1 operand an encoding at five primes
    /// (≈ 120: LeNet-5 pays ~30 ms for a lane of 25 unshared operands, GTSRB's lanes share most of theirs); a plain
    /// lane's encoding ≈ 60; and per output and lane its products at three primes (12 cipher, 6 plain).
    var estimatedCost: Int {
        let keySwitches = (cipherChannels.isEmpty ? 0 : 2) + groupBlocks.trailingZeroBitCount
        let lanes =
            conv1OperandKeys().keys.count * 120 + cipherLanes * (10 * geometry.conv1Taps + 300) + plainLanes * 60
        // conv1's result lanes (a residual network): a relinearization, protection and decryption each.
        return chunks * lanes + outputs * (300 * keySwitches + 500 + 12 * cipherLanes + 6 * plainLanes)
            + resultCiphertexts * 800
    }

    /// conv1's image operands of every cipher lane, each distinct one named once: the operand of conv1 tap
    /// (c, dy, dx) in a block whose conv2 tap is (ty, tx) is input channel c read at offset (s·ty + dy, s·tx + dx)
    /// from the block's output positions, so lanes (and taps) with the same offsets share it.
    /// - Returns: the distinct operands, each as [input channel, then per block its row and column offsets (−1, −1
    ///   for an empty block)], and per lane and conv1 tap the index of its operand.
    func conv1OperandKeys() -> (keys: [[Int]], index: [[Int]]) {
        let stage = geometry.conv1, wide = geometry.conv2Cipher
        let window = stage.window, s1 = stage.stride, taps = geometry.conv1Taps
        var keys: [[Int]] = [], known: [[Int]: Int] = [:]
        let index = (0..<cipherLanes).map { lane -> [Int] in
            let blockTaps = (0..<blocksPerCiphertext).map { term(lane: lane, slot: $0 * blockSize, cipher: true)?.tap }
            return (0..<taps).map { i in
                let c = i / (window * window), dy = i % (window * window) / window, dx = i % window
                let key =
                    [c]
                    + blockTaps.flatMap { t -> [Int] in
                        guard let t else { return [-1, -1] }
                        return [s1 * (t / wide.window) + dy, s1 * (t % wide.window) + dx]
                    }
                if let known = known[key] { return known }
                known[key] = keys.count
                keys.append(key)
                return keys.count - 1
            }
        }
        return (keys, index)
    }

    /// The cipher lanes' conv1 weights, each distinct set once: a lane's conv1 operands are, per block, the weights
    /// of the encrypted channel the block holds, so lanes whose blocks hold the same channels (terms are tap-major:
    /// GTSRB's 54 lanes of 8 blocks over 48 channels repeat every 6 lanes) share them.
    /// - Returns: per set its first lane (whose weights the owner encrypts), and per lane its set.
    func conv1WeightSets() -> (lanes: [Int], index: [Int]) {
        var lanes: [Int] = [], known: [[Int]: Int] = [:]
        let index = (0..<cipherLanes).map { lane -> Int in
            let channels = (0..<blocksPerCiphertext).map {
                term(lane: lane, slot: $0 * blockSize, cipher: true)?.channel ?? -1
            }
            if let set = known[channels] { return set }
            known[channels] = lanes.count
            lanes.append(lane)
            return lanes.count - 1
        }
        return (lanes, index)
    }

    /// conv2's cipher tap that reads, for output position q, conv1's value at q itself (the centre of a stride-1
    /// kernel whose padding keeps the plane's size), or `nil` when there is none.
    static func identityTap(_ geometry: StageGeometry) -> Int? {
        let stage = geometry.conv2Cipher, pad = geometry.conv2Padding
        guard stage.stride == 1, geometry.conv1Side == geometry.conv2Side, pad < stage.window else { return nil }
        return pad * stage.window + pad
    }

    /// The cipher lanes (of every chunk) that hold conv1's result.
    ///
    /// Those with a block of term (e, ``identityTap``), whose slots are encrypted channel e's squares at the block's
    /// positions. Empty unless ``carriesConv1Result``.
    var resultLanes: Range<Int> {
        guard carriesConv1Result, let tap = Self.identityTap(geometry) else { return 0..<0 }
        let channels = cipherChannels.count
        return (tap * channels / groupBlocks)..<((tap + 1) * channels - 1) / groupBlocks + 1
    }

    /// Ciphertexts of conv1's result per image: ``resultLanes`` of every chunk, chunk-major, after the outputs.
    var resultCiphertexts: Int { chunks * resultLanes.count }

    /// Where encrypted channel `channel` (index into ``cipherChannels``) has its conv1 result at `position`: the
    /// index among ``resultCiphertexts`` and the slot.
    func resultSlot(channel: Int, position: Int) -> (ciphertext: Int, slot: Int) {
        let t = (Self.identityTap(geometry) ?? 0) * cipherChannels.count + channel
        let lane = t / groupBlocks, block = (t % groupBlocks) * filtersPerOutput
        let chunk = position / blockSize
        return (chunk * resultLanes.count + lane - resultLanes.lowerBound, block * blockSize + position % blockSize)
    }

    static func powerOfTwo(atLeast n: Int) -> Int {
        var p = 1
        while p < n { p <<= 1 }
        return p
    }

    /// Blocks per ciphertext.
    var blocksPerCiphertext: Int { slots / blockSize }
    /// Encrypted conv2 filters per output ciphertext.
    var filtersPerOutput: Int { blocksPerCiphertext / groupBlocks }
    /// conv2 taps on an encrypted channel (wide form after a pool).
    var cipherTaps: Int { geometry.conv2Cipher.window * geometry.conv2Cipher.window }
    /// conv2 taps on a plaintext channel (box form after a pool).
    var plainTaps: Int { geometry.conv2Plain.window * geometry.conv2Plain.window }
    /// Cipher lanes per chunk.
    var cipherLanes: Int { (cipherChannels.count * cipherTaps + groupBlocks - 1) / groupBlocks }
    /// Plain lanes per chunk.
    var plainLanes: Int { (plainChannels.count * plainTaps + groupBlocks - 1) / groupBlocks }
    /// Output ciphertexts per chunk.
    var outputGroups: Int { (filters.count + filtersPerOutput - 1) / filtersPerOutput }
    /// Output ciphertexts in all.
    var outputs: Int { chunks * outputGroups }
    /// The rotation steps of the folding (Galois keys the user needs).
    var rotationSteps: [Int] {
        var steps: [Int] = [], step = blockSize * filtersPerOutput
        while step < slots {
            steps.append(step)
            step <<= 1
        }
        return steps
    }

    /// The conv2 output position (y·side + x) at `slot` of a ciphertext of `chunk`, or `nil` for an empty slot.
    func position(chunk: Int, slot: Int) -> Int? {
        let p = chunk * blockSize + slot % blockSize
        return p < geometry.positions ? p : nil
    }

    /// The term of lane `lane` at `slot`: (index into the lane's channel list, tap), or `nil` past the last term.
    ///
    /// Terms are tap-major (consecutive channels of one tap), so that the blocks of a cipher lane mostly share a tap
    /// and the image operands of conv1 repeat from lane to lane (encoded once: VGG-16 at 50 %, 75 instead of 972).
    func term(lane: Int, slot: Int, cipher: Bool) -> (channel: Int, tap: Int)? {
        let channels = (cipher ? cipherChannels : plainChannels).count
        let count = channels * (cipher ? cipherTaps : plainTaps)
        let t = lane * groupBlocks + slot / blockSize / filtersPerOutput
        return t < count ? (t % channels, t / channels) : nil
    }

    /// Where conv2's `tap` reads for output `position` on a stage's padded source plane: (row, col).
    func source(position: Int, tap: Int, cipher: Bool) -> (row: Int, col: Int) {
        let stage = cipher ? geometry.conv2Cipher : geometry.conv2Plain
        let side2 = geometry.conv2Side
        return (
            stage.stride * (position / side2) + tap / stage.window,
            stage.stride * (position % side2) + tap % stage.window
        )
    }

    /// The activation (row, col) a cipher tap reads, or `nil` where it reads padding.
    func activation(position: Int, tap: Int) -> (row: Int, col: Int)? {
        let (r, c) = source(position: position, tap: tap, cipher: true)
        let pad = geometry.conv2Padding, side = geometry.conv1Side
        let row = r - pad, col = c - pad
        return row >= 0 && row < side && col >= 0 && col < side ? (row, col) : nil
    }

    /// The encrypted filter (index into ``filters``) of output `group` at `slot`, or `nil` for a block past the last.
    func filter(group: Int, slot: Int) -> Int? {
        let f = group * filtersPerOutput + (slot / blockSize) % filtersPerOutput
        return f < filters.count ? f : nil
    }

    /// The chunk and filter group of output ciphertext `output` (outputs are chunk-major).
    func place(output: Int) -> (chunk: Int, group: Int) { (output / outputGroups, output % outputGroups) }

    /// A slot of output `output` where filter `filter` (its index within the output) has `position` after folding
    /// (its first block; every block b ≡ filter (mod ``filtersPerOutput``) holds the same value).
    func outputSlot(output: Int, filter: Int, position: Int) -> Int {
        filter * blockSize + position % blockSize
    }

    /// The slots the owner decrypts and returns of output ciphertext `output`, with the filter (index into
    /// ``filters``) and conv2 position each holds.
    func results(output: Int) -> [(slot: Int, filter: Int, position: Int)] {
        let (chunk, group) = place(output: output)
        var out: [(Int, Int, Int)] = []
        for f in 0..<filtersPerOutput {
            let index = group * filtersPerOutput + f
            guard index < filters.count else { break }
            for q in 0..<blockSize {
                guard let p = position(chunk: chunk, slot: q) else { break }
                out.append((outputSlot(output: output, filter: f, position: p), index, p))
            }
        }
        return out
    }
}
