import Foundation
import NN

/// The plaintext weights of the two encryptable LeNet-5 layers rewritten for the encrypted pipeline.
///
/// Each conv (k×k, stride 1, no padding) followed by 2×2 average pooling equals one (k+1)×(k+1) convolution
/// with stride 2 whose kernel is ¼ of the conv kernel convolved with a 2×2 box: 36 taps per pooled output
/// instead of 4 × 25 products and 3 additions, and 4× fewer ciphertexts to rescale, square and decrypt.
/// The same output is also the k×k stride-2 convolution of the conv kernel itself over the 2×2 means of the
/// input (stride 1; the "box" form): 25 taps instead of 36, for inputs the user holds in the clear, whose means
/// cost nothing (conv1's bytes and conv2's plaintext channels); encrypted inputs keep the (k+1)² ("wide") form,
/// which needs no ciphertext additions. Means rather than sums keep the encoded inputs, and so the weights'
/// encryption noise multiplied by them, as small as in the wide form.
/// conv1 also absorbs the input transform (bytes / 255, then mean/std), so inputs are encoded as raw bytes.
struct PooledKernels: Sendable {
    /// conv1's kernel size k; pooled kernels are (k+1)².
    let kernel: Int
    /// Input image side (28).
    let inputSide: Int
    /// conv1 output channels.
    let conv1Channels: Int
    /// conv2 output channels.
    let conv2Channels: Int
    /// `conv1[f]`: (k+1)² pooled taps of filter f, on raw bytes.
    let conv1: [[Double]]
    /// `conv1Box[f]`: k² taps of filter f on the 2×2 means of the raw bytes.
    let conv1Box: [[Double]]
    /// conv1 biases with the input shift folded in.
    let conv1Bias: [Double]
    /// `conv2[o][c]`: (k+1)² pooled taps of filter o on input channel c.
    let conv2: [[[Double]]]
    /// `conv2Box[o][c]`: k² taps of filter o on the 2×2 means of input channel c.
    let conv2Box: [[[Double]]]
    /// conv2 biases.
    let conv2Bias: [Double]
    /// `conv2Paired[o][c]`: the box kernel of filter o on channel c with horizontally adjacent taps paired,
    /// k·⌈k/2⌉ entries (a, b) = (w[dy][2p], w[dy][2p+1], or 0 past the edge). Encrypted as the slot values
    /// a − σ_j·b·i (σ_j = ±1, ``HEContext/pairingUnit()``), its product with two adjacent means held as
    /// M[x] + σ_j·M[x+1]·i has real part a·M[x] + b·M[x+1]: one product and one encoding per pair of taps (15
    /// instead of 25), for a channel whose conv2 result is only decrypted (the owner returns the real part only).
    let conv2Paired: [[[(Double, Double)]]]
    /// `conv2WidePaired[o][c]`: the wide kernel of filter o on channel c paired the same way ((k+1)·⌈(k+1)/2⌉
    /// entries), for an encrypted channel whose squares the user pairs as sq[x] + X^(N/2)·sq[x+1] (X^(N/2) is
    /// σ_j·i in slot j).
    let conv2WidePaired: [[[(Double, Double)]]]

    /// Side of the pooled conv1 output (12).
    var pooled1Side: Int { (inputSide - kernel + 1) / 2 }
    /// Side of the pooled conv2 output (4).
    var pooled2Side: Int { (pooled1Side - kernel + 1) / 2 }
    /// Taps per pooled kernel in the wide form.
    var taps: Int { (kernel + 1) * (kernel + 1) }
    /// Taps per pooled kernel in the box form.
    var boxTaps: Int { kernel * kernel }
    /// Complex taps per paired box kernel.
    var pairedTaps: Int { kernel * ((kernel + 1) / 2) }
    /// Complex taps per paired wide kernel.
    var widePairedTaps: Int { (kernel + 1) * ((kernel + 2) / 2) }

    /// Rewrites a LeNet-5 model's conv1/conv2.
    /// - Throws: ``InferenceError/unsupportedModel(_:)`` for networks other than the LeNet-5 variants.
    init(model: Model, normalization: Normalization) throws {
        guard model.architecture == .lenet5MNIST || model.architecture == .lenet5EMNIST else {
            throw InferenceError.unsupportedModel(
                "encrypted inference supports the LeNet-5 networks, not \(model.architecture.rawValue)")
        }
        let c1 = model.conv1, c2 = model.conv2
        guard c1.stride == 1, c1.padding == 0, c2.stride == 1, c2.padding == 0, c1.kernelSize == c2.kernelSize,
            c1.inChannels == 1, let b1 = c1.bias?.value.data, let b2 = c2.bias?.value.data
        else { throw InferenceError.unsupportedModel("conv1/conv2 must be unpadded stride-1 convs with biases") }
        let k = c1.kernelSize
        kernel = k
        inputSide = model.inputShape[1]
        conv1Channels = c1.outChannels
        conv2Channels = c2.outChannels
        // ToTensor (bytes / 255) then Normalize: x = byte / (255·std) − mean / std.
        let std = Double(normalization.std.first ?? 1), mean = Double(normalization.mean.first ?? 0)
        let scale = 1 / (255 * std)
        let shift = -mean / std
        let w1 = c1.weight.value.data.map(Double.init)
        var k1: [[Double]] = [], box1: [[Double]] = []
        var bias1: [Double] = []
        for f in 0..<c1.outChannels {
            let w = Array(w1[(f * k * k)..<((f + 1) * k * k)])
            let pooled = Self.pool(w, k)
            k1.append(pooled.map { $0 * scale })
            box1.append(w.map { $0 * scale })
            bias1.append(Double(b1[f]) + shift * pooled.reduce(0, +))
        }
        conv1 = k1
        conv1Box = box1
        conv1Bias = bias1
        let w2 = c2.weight.value.data.map(Double.init)
        conv2 = (0..<c2.outChannels).map { o in
            (0..<c2.inChannels).map { c in
                let base = (o * c2.inChannels + c) * k * k
                return Self.pool(Array(w2[base..<(base + k * k)]), k)
            }
        }
        conv2Box = (0..<c2.outChannels).map { o in
            (0..<c2.inChannels).map { c in
                let base = (o * c2.inChannels + c) * k * k
                return Array(w2[base..<(base + k * k)])
            }
        }
        conv2Paired = conv2Box.map { $0.map { Self.paired($0, side: k) } }
        conv2WidePaired = conv2.map { $0.map { Self.paired($0, side: k + 1) } }
        conv2Bias = b2.map(Double.init)
    }

    /// A side×side kernel's horizontally adjacent taps as pairs (w[dy][2p], w[dy][2p+1] or 0 past the edge).
    static func paired(_ w: [Double], side: Int) -> [(Double, Double)] {
        (0..<side).flatMap { dy in
            stride(from: 0, to: side, by: 2).map { dx in
                (w[dy * side + dx], dx + 1 < side ? w[dy * side + dx + 1] : 0)
            }
        }
    }

    /// ¼ · (w ⋆ 2×2 box): the (k+1)² kernel of conv-then-average-pool.
    static func pool(_ w: [Double], _ k: Int) -> [Double] {
        let side = k + 1
        var out = [Double](repeating: 0, count: side * side)
        for a in 0..<k {
            for b in 0..<k {
                for da in 0..<2 { for db in 0..<2 { out[(a + da) * side + b + db] += 0.25 * w[a * k + b] } }
            }
        }
        return out
    }

    /// Worst-case bounds over every input of bytes 0…255: |pooled conv1| per channel, the squared activations
    /// entering conv2, and |pooled conv2| of the filters `conv2Filters`.
    func bounds(conv2Filters: [Int]) -> (conv1: Double, square: Double, result: Double) {
        let channel1 = (0..<conv1Channels).map { f in abs(conv1Bias[f]) + 255 * conv1[f].reduce(0) { $0 + abs($1) } }
        let square = channel1.map { $0 * $0 }
        var result = 0.0
        for o in conv2Filters {
            var sum = abs(conv2Bias[o])
            for c in 0..<conv1Channels { sum += square[c] * conv2[o][c].reduce(0) { $0 + abs($1) } }
            result = max(result, sum)
        }
        return (channel1.max() ?? 0, square.max() ?? 0, result)
    }
}
