import Foundation
import NN

/// The weights of a network's two encryptable layers rewritten for the encrypted engine (``StageGeometry``).
///
/// Rules applied where they hold:
/// - **Box form.** A conv followed by 2×2 average pooling equals the k×k stride-2 convolution of its own kernel
///   over the 2×2 means of its (padded) input: one output per pooled position, k² taps instead of 4·k² products and
///   a pooling. Means rather than sums keep the encoded inputs, and so the weights' encryption noise multiplied by
///   them, as small as without pooling. An encrypted input uses the (k+1)² kernel ¼·(w ⋆ box) with stride 2 over the
///   input itself (the "wide" form: means of ciphertexts would cost additions).
/// - **Folded normalization and batch norm.** conv1 takes the encoded bytes v = byte − shift_c: the input transform
///   (bytes / 255, then mean/std per channel) becomes a factor 1/(255·std_c) in the weights and, without padding, a
///   shift folded into the bias (shift 0, so bytes that are zero in every image encode to nothing and are skipped);
///   with padding, v = byte − 255·mean_c, so that padding is zero as in the model. A batch norm after conv1 is an
///   affine map per channel and is folded into conv1's weights and bias exactly.
/// - **Paired taps.** conv2's horizontally adjacent taps (a, b) are encrypted as one complex weight a − σ_j·b·i
///   (σ_j = ±1, ``HEContext/pairingUnit()``); its product with two neighbouring inputs held as v + σ_j·w·i has real
///   part a·v + b·w: one product per pair of taps, for a layer whose result is only decrypted (the owner returns the
///   real part only).
struct LayerKernels: Sendable {
    let geometry: StageGeometry
    /// Per input channel c, what is subtracted from a byte before encoding (0 when folded into the bias).
    let inputShift: [Double]
    /// `conv1Taps[f]`: filter f's taps on the encoded values, `[c][dy][dx]` over ``StageGeometry/conv1`` (box form
    /// after a pool).
    let conv1Taps: [[Double]]
    /// conv1 biases (input shift and batch norm folded in).
    let conv1Bias: [Double]
    /// `conv2Cipher[o][c]`: filter o's paired taps on encrypted channel c's squares (``StageGeometry/conv2Cipher``).
    let conv2Cipher: [[[(Double, Double)]]]
    /// `conv2CipherTaps[o][c]`: the same taps unpaired (`window`² of ``StageGeometry/conv2Cipher``).
    let conv2CipherTaps: [[[Double]]]
    /// `conv2Plain[o][c]`: filter o's paired taps on plaintext channel c's activations (``StageGeometry/conv2Plain``).
    let conv2Plain: [[[(Double, Double)]]]
    /// `conv2PlainTaps[o][c]`: the same taps unpaired (`window`² of ``StageGeometry/conv2Plain``: the conv's own
    /// kernel, box form after a pool).
    let conv2PlainTaps: [[[Double]]]
    /// conv2 biases (0 for a conv without bias).
    let conv2Bias: [Double]
    /// Worst-case |conv1 output| per conv1 filter over every input of bytes 0…255.
    let conv1Bounds: [Double]
    /// Per conv2 filter o and input channel c, Σ|taps| of the kernel applied to the squares (the (k+1)² wide kernel
    /// after a pool: its sum of magnitudes is at most the conv kernel's).
    let conv2Norms: [[Double]]

    /// Rewrites a model's conv1/conv2.
    /// - Throws: ``InferenceError/unsupportedModel(_:)`` for a network whose encrypted part has another shape.
    init(model: Model, normalization: Normalization) throws {
        let g = try StageGeometry(model: model)
        let structure = try EncryptedStructure(model)
        geometry = g
        let c1 = model.conv1, c2 = model.conv2
        let k = g.conv1Kernel, c0 = g.inputChannels
        let std = (0..<c0).map { normalization.std($0) }
        let mean = (0..<c0).map { normalization.mean($0) }
        inputShift = Self.inputShift(g, normalization: normalization)
        // Batch norm folded: y = γ·(x − μ)/√(var + ε) + β.
        let norm = structure.conv1Norm
        let gain = (0..<g.conv1Channels).map { f -> Double in
            guard let norm else { return 1 }
            return Double(norm.weight.value.data[f])
                / (Double(norm.runningVar.value.data[f]) + Double(norm.eps)).squareRoot()
        }
        let w1 = c1.weight.value.data.map(Double.init)
        let b1 = c1.bias?.value.data.map(Double.init) ?? [Double](repeating: 0, count: g.conv1Channels)
        var taps1: [[Double]] = [], bias1: [Double] = [], bounds1: [Double] = []
        for f in 0..<g.conv1Channels {
            var taps: [Double] = [], bias = b1[f], bound = 0.0
            for c in 0..<c0 {
                let base = (f * c0 + c) * k * k
                let w = w1[base..<(base + k * k)].map { $0 * gain[f] }
                taps += w.map { $0 / (255 * std[c]) }
                // x = (byte/255 − mean)/std: the shift's part is folded into the bias when not in the encoding.
                if g.foldsInputShift { bias += -mean[c] / std[c] * w.reduce(0, +) }
                let widest = max(255 - inputShift[c], inputShift[c])
                let norm1 =
                    g.conv1Pooled ? Self.pool(Array(w), k).reduce(0) { $0 + abs($1) } : w.reduce(0) { $0 + abs($1) }
                bound += widest * norm1 / (255 * std[c])
            }
            if let norm {
                bias =
                    gain[f] * b1[f] + Double(norm.bias.value.data[f]) - gain[f] * Double(norm.runningMean.value.data[f])
                    + (bias - b1[f])  // the folded shift, already scaled by the gain through the taps
            }
            taps1.append(taps)
            bias1.append(bias)
            bounds1.append(abs(bias) + bound)
        }
        conv1Taps = taps1
        conv1Bias = bias1
        conv1Bounds = bounds1
        let k2 = g.conv2Kernel, cin = c2.inChannels
        let w2 = c2.weight.value.data.map(Double.init)
        func kernel(_ o: Int, _ c: Int) -> [Double] {
            let base = (o * cin + c) * k2 * k2
            return Array(w2[base..<(base + k2 * k2)])
        }
        let cipherSide = g.conv2Cipher.window
        conv2CipherTaps = (0..<g.conv2Channels).map { o in
            (0..<cin).map { c in g.conv2Pooled ? Self.pool(kernel(o, c), k2) : kernel(o, c) }
        }
        conv2Cipher = conv2CipherTaps.map { $0.map { Self.paired($0, side: cipherSide) } }
        conv2PlainTaps = (0..<g.conv2Channels).map { o in (0..<cin).map { c in kernel(o, c) } }
        conv2Plain = conv2PlainTaps.map { $0.map { Self.paired($0, side: k2) } }
        conv2Norms = conv2CipherTaps.map { $0.map { $0.reduce(0) { $0 + abs($1) } } }
        conv2Bias = c2.bias?.value.data.map(Double.init) ?? [Double](repeating: 0, count: g.conv2Channels)
    }

    /// conv1's (k+1)² wide kernels per input channel (a pooled conv1 on the encoded values themselves, stride 2),
    /// for the full-encryption baseline, which multiplies encrypted weights by encoded inputs without means.
    var conv1Wide: [[Double]] {
        let k = geometry.conv1Kernel
        return conv1Taps.map { taps in
            (0..<geometry.inputChannels).flatMap { c in Self.pool(Array(taps[(c * k * k)..<((c + 1) * k * k)]), k) }
        }
    }

    /// What is subtracted from channel c's bytes before encoding: 255·mean_c with padding, else 0 (the shift is in
    /// conv1's bias).
    static func inputShift(_ geometry: StageGeometry, normalization: Normalization) -> [Double] {
        (0..<geometry.inputChannels).map { geometry.foldsInputShift ? 0 : 255 * normalization.mean($0) }
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

    /// Worst-case bounds over every input of bytes 0…255: |conv1| of any channel, the squares entering conv2, and
    /// |conv2| of the filters `conv2Filters`.
    func bounds(conv2Filters: [Int]) -> (conv1: Double, square: Double, result: Double) {
        let square = conv1Bounds.map { $0 * $0 }
        var result = 0.0
        for o in conv2Filters {
            var sum = abs(conv2Bias[o])
            for c in 0..<geometry.conv1Channels { sum += square[c] * conv2Norms[o][c] }
            result = max(result, sum)
        }
        return (conv1Bounds.max() ?? 0, square.max() ?? 0, result)
    }
}
