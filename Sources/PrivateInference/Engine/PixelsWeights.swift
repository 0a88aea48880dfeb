import CKKS
import Foundation
import NN

/// The owner's encrypted filters laid out for the pixels packing (``PixelsLayout``): every ciphertext is a slot
/// vector, so one product multiplies a whole lane's blocks, each by its own (channel, tap) weight.
struct PixelsWeights: Sendable {
    /// `conv1[lane][i]`: per cipher lane, conv1 tap i (over every input channel, ``LayerKernels/conv1Taps`` order)
    /// of the encrypted channel each block holds, then the bias; at conv1's primes. The same for every chunk.
    var conv1: [[Ciphertext]]
    /// `cipher[output][lane]`: conv2's taps on the cipher lane's blocks, repeated over their positions and zero where
    /// the tap reads padding or the slot is empty; at conv2's primes.
    var cipher: [[Ciphertext]]
    /// `plain[output][lane]`: conv2's taps on the plain lane's blocks.
    var plain: [[Ciphertext]]
    /// `bias[output]`: each filter's bias on its first block's positions.
    var bias: [Ciphertext]
}

extension HEContext {
    /// Encrypts the selected filters in `layout` at the plan's scales (owner side). Every ciphertext is a seeded
    /// symmetric encryption, as in the batch packing.
    func encryptPixelsWeights(
        _ kernels: LayerKernels, layout: PixelsLayout, plan: ScalePlan, encryptor: Encryptor
    ) throws -> PixelsWeights {
        let slots = layout.slots
        let k1 = PipelineLevels.conv1Primes, k2 = PipelineLevels.conv2Primes
        func encrypt(_ values: [Double], scale: Double, primes: Int) throws -> Ciphertext {
            try encryptor.encryptSymmetric(encoder.encode(values, scale: scale, parmsID: parmsIDs[primes]), seeded: true)
        }
        let taps1 = kernels.geometry.conv1Taps
        let conv1 = try (0..<layout.cipherLanes).map { lane in
            try Parallelism.map(taps1 + 1) { i in
                Result {
                    let values = (0..<slots).map { slot -> Double in
                        guard let term = layout.term(lane: lane, slot: slot, cipher: true) else { return 0 }
                        let channel = layout.cipherChannels[term.channel]
                        return i < taps1 ? kernels.conv1Taps[channel][i] : kernels.conv1Bias[channel]
                    }
                    return try encrypt(
                        values, scale: i < taps1 ? plan.conv1WeightScale : plan.inputScale * plan.conv1WeightScale,
                        primes: k1)
                }
            }.map { try $0.get() }
        }
        func conv2(_ output: Int, lane: Int, cipher: Bool) throws -> Ciphertext {
            let (chunk, group) = layout.place(output: output)
            let values = (0..<slots).map { slot -> Double in
                guard let f = layout.filter(group: group, slot: slot),
                    let p = layout.position(chunk: chunk, slot: slot),
                    let term = layout.term(lane: lane, slot: slot, cipher: cipher)
                else { return 0 }
                let filter = layout.filters[f]
                if cipher {
                    guard layout.activation(position: p, tap: term.tap) != nil else { return 0 }
                    return kernels.conv2CipherTaps[filter][layout.cipherChannels[term.channel]][term.tap]
                }
                return kernels.conv2PlainTaps[filter][layout.plainChannels[term.channel]][term.tap]
            }
            return try encrypt(values, scale: plan.conv2WeightScale, primes: k2)
        }
        let outputs = layout.outputs
        let cipher = try Parallelism.map(outputs * layout.cipherLanes) { i in
            Result { try conv2(i / layout.cipherLanes, lane: i % layout.cipherLanes, cipher: true) }
        }.map { try $0.get() }
        let plain = try Parallelism.map(outputs * layout.plainLanes) { i in
            Result { try conv2(i / layout.plainLanes, lane: i % layout.plainLanes, cipher: false) }
        }.map { try $0.get() }
        let bias = try (0..<outputs).map { output in
            let (chunk, group) = layout.place(output: output)
            let values = (0..<slots).map { slot -> Double in
                guard slot / layout.blockSize < layout.filtersPerOutput,  // term block 0 of each filter
                    let f = layout.filter(group: group, slot: slot), layout.position(chunk: chunk, slot: slot) != nil
                else { return 0 }
                return kernels.conv2Bias[layout.filters[f]]
            }
            return try encrypt(values, scale: plan.squareScale * plan.conv2WeightScale, primes: k2)
        }
        return PixelsWeights(
            conv1: conv1,
            cipher: (0..<outputs).map { o in Array(cipher[(o * layout.cipherLanes)..<((o + 1) * layout.cipherLanes)]) },
            plain: (0..<outputs).map { o in Array(plain[(o * layout.plainLanes)..<((o + 1) * layout.plainLanes)]) },
            bias: bias)
    }
}
