import CKKS
import Foundation
import NN

/// The owner's encrypted filters laid out for the pixels packing (``PixelsLayout``): every ciphertext is a slot
/// vector, so one product multiplies a whole lane's blocks, each by its own (channel, tap) weight.
///
/// Held as the multiply-accumulate kernel's words, one copy each (made per file as the package is read, so a
/// file's ciphertexts are freed before the next is parsed): GTSRB's AlexNet at 50 % holds ~3.2 GB of them expanded
/// (TinyImageNet's ResNet-18 ~7.4 GB), and a second copy, or their four-row evaluation form, would double that.
struct PixelsWeights: Sendable {
    /// `conv1[set][i]`: per set of cipher lanes (``PixelsLayout/conv1WeightSets()``), conv1 tap i of the encrypted
    /// channel each block holds.
    ///
    /// Taps run over every input channel in ``LayerKernels/conv1Taps`` order, at conv1's primes; the same for every
    /// chunk.
    var conv1: [[WordBuffer]]
    /// `conv1Bias[set]`: the set's conv1 biases, at the products' scale.
    var conv1Bias: [Ciphertext]
    /// `cipher[output][lane]`: conv2's taps on the cipher lane's blocks, repeated over their positions and zero where
    /// the tap reads padding or the slot is empty; at conv2's primes (coefficient form: the kernel makes the
    /// weight's values at ±1 itself).
    var cipher: [[WordBuffer]]
    /// `plain[output][lane]`: conv2's taps on the plain lane's blocks.
    var plain: [[WordBuffer]]
    /// `bias[output]`: each filter's bias on its first block's positions.
    var bias: [Ciphertext]

    /// The words of one cipher lane's conv1 file (``HEContext/encryptPixelsConv1(_:layout:plan:lane:encryptor:)``:
    /// the taps, then the bias) and of every output's file (``HEContext/encryptPixelsOutput(_:layout:plan:output:encryptor:)``:
    /// cipher lanes, plain lanes, the bias).
    init(layout: PixelsLayout, conv1: [[Ciphertext]], outputs: [[Ciphertext]]) {
        self.init(layout: layout, conv1: conv1)
        for output in outputs { append(output, layout: layout) }
    }

    /// The conv1 operands only; outputs are added with ``append(_:layout:)`` one file at a time.
    init(layout: PixelsLayout, conv1: [[Ciphertext]]) {
        self.conv1 = conv1.map { lane in lane.dropLast().map { WordBuffer($0.data) } }
        conv1Bias = conv1.compactMap(\.last)
        cipher = []
        plain = []
        bias = []
    }

    /// Adds the next output's operands (cipher lanes, plain lanes, the bias).
    mutating func append(_ output: [Ciphertext], layout: PixelsLayout) {
        let lanes = layout.cipherLanes + layout.plainLanes
        cipher.append(output[..<layout.cipherLanes].map { WordBuffer($0.data) })
        plain.append(output[layout.cipherLanes..<lanes].map { WordBuffer($0.data) })
        bias.append(output[lanes])
    }
}

extension HEContext {
    /// Encrypts the selected filters in `layout` at the plan's scales (owner side, in memory): every distinct set of
    /// cipher lanes' conv1 operands (``encryptPixelsConv1(_:layout:plan:lane:encryptor:)``) and every output's conv2 operands
    /// (``encryptPixelsOutput(_:layout:plan:output:encryptor:)``).
    func encryptPixelsWeights(
        _ kernels: LayerKernels, layout: PixelsLayout, plan: ScalePlan, encryptor: Encryptor
    ) throws -> PixelsWeights {
        let conv1 = try layout.conv1WeightSets().lanes.map {
            try encryptPixelsConv1(kernels, layout: layout, plan: plan, lane: $0, encryptor: encryptor)
        }
        let outputs = try (0..<layout.outputs).map {
            try encryptPixelsOutput(kernels, layout: layout, plan: plan, output: $0, encryptor: encryptor)
        }
        return PixelsWeights(layout: layout, conv1: conv1, outputs: outputs)
    }

    /// Ciphertexts of one output's conv2 operands: its cipher lanes, its plain lanes, then the bias.
    static func pixelsOutputCount(_ layout: PixelsLayout) -> Int { layout.cipherLanes + layout.plainLanes + 1 }

    /// Encrypts cipher lane `lane`'s conv1 operands: per conv1 tap (over every input channel) the weight of the
    /// encrypted channel each block holds, then the biases; seeded symmetric encryptions at conv1's primes, on
    /// every core.
    func encryptPixelsConv1(
        _ kernels: LayerKernels, layout: PixelsLayout, plan: ScalePlan, lane: Int, encryptor: Encryptor
    ) throws -> [Ciphertext] {
        let taps1 = kernels.geometry.conv1Taps
        return try Parallelism.map(taps1 + 1) { i in
            Result {
                let values = (0..<layout.slots).map { slot -> Double in
                    guard let term = layout.term(lane: lane, slot: slot, cipher: true) else { return 0 }
                    let channel = layout.cipherChannels[term.channel]
                    return i < taps1 ? kernels.conv1Taps[channel][i] : kernels.conv1Bias[channel]
                }
                return try encryptPixels(
                    values, scale: i < taps1 ? plan.conv1WeightScale : plan.inputScale * plan.conv1WeightScale,
                    primes: PipelineLevels.conv1Primes, encryptor: encryptor)
            }
        }.map { try $0.get() }
    }

    /// Encrypts output ciphertext `output`'s conv2 operands (``pixelsOutputCount(_:)`` of them): per cipher lane and
    /// per plain lane, the conv2 taps of each block's (filter, term) repeated over its positions (zero where the
    /// tap reads padding or the slot is empty), then each filter's bias on its first block; at conv2's primes.
    func encryptPixelsOutput(
        _ kernels: LayerKernels, layout: PixelsLayout, plan: ScalePlan, output: Int, encryptor: Encryptor
    ) throws -> [Ciphertext] {
        let (chunk, group) = layout.place(output: output)
        let lanes = layout.cipherLanes + layout.plainLanes
        return try Parallelism.map(lanes + 1) { i in
            Result {
                let cipher = i < layout.cipherLanes, lane = cipher ? i : i - layout.cipherLanes
                let values = (0..<layout.slots).map { slot -> Double in
                    guard let f = layout.filter(group: group, slot: slot),
                        let p = layout.position(chunk: chunk, slot: slot)
                    else { return 0 }
                    let filter = layout.filters[f]
                    guard i < lanes else {
                        // The bias on term block 0 of each filter.
                        return slot / layout.blockSize < layout.filtersPerOutput ? kernels.conv2Bias[filter] : 0
                    }
                    guard let term = layout.term(lane: lane, slot: slot, cipher: cipher) else { return 0 }
                    if cipher {
                        guard layout.activation(position: p, tap: term.tap) != nil else { return 0 }
                        return kernels.conv2CipherTaps[filter][layout.cipherChannels[term.channel]][term.tap]
                    }
                    return kernels.conv2PlainTaps[filter][layout.plainChannels[term.channel]][term.tap]
                }
                return try encryptPixels(
                    values, scale: i < lanes ? plan.conv2WeightScale : plan.squareScale * plan.conv2WeightScale,
                    primes: PipelineLevels.conv2Primes, encryptor: encryptor)
            }
        }.map { try $0.get() }
    }

    /// A slot vector as a seeded symmetric encryption (as every weight of the batch packing).
    private func encryptPixels(_ values: [Double], scale: Double, primes: Int, encryptor: Encryptor) throws
        -> Ciphertext
    {
        try encryptor.encryptSymmetric(encoder.encode(values, scale: scale, parmsID: parmsIDs[primes]), seeded: true)
    }
}
