/// What the user of LeNet-5's encrypted pipeline decrypts, computed in doubles: the pooled conv2 outputs of the
/// encrypted conv2 filters of the "separate" model, optionally passed through a per-channel 3×3 obscure conv
/// (padding 1) between conv2 and the pooling (polymorphic obfuscation, spec §8.6).
///
/// The layout follows the encrypted pipeline (docs/usage.md, "What the user computes"): conv1 followed by 2×2
/// average pooling is a stride-2 convolution of the *pooled input patches*, so every pooled conv1 pre-activation
/// is `z(p) = Σ_u w[u]·P_u(p) + b` with `P_u(p)` the 2×2 mean of the input at `2p + u`; the activation is `z²`.
/// conv2 then pooling is linear in the conv2 weights, so for fixed activations (and obscure kernel) the output is
/// `Φ·θ` with a design matrix `Φ` of one row per pooled output and one column per conv2 weight plus the bias —
/// the structure the regression attack exploits.
struct LeNetLeak: Sendable {
    /// Input side (28), conv1 kernel (5), pooled conv1 side (12), conv2 kernel (5), conv2 output side (8),
    /// pooled conv2 side (4).
    let side: Int, k1: Int, p1: Int, k2: Int, s2: Int, p2: Int
    /// conv1 output channels.
    let c1: Int
    /// Side of the obscure kernels.
    static let obscureSide = 3

    /// Reads the geometry of a LeNet-5 (conv1 → AvgPool 2 → Square → conv2 → AvgPool 2).
    /// - Throws: ``NNError/shapeMismatch(_:)`` for another architecture.
    init(_ model: Model) throws {
        let entries = model.network.entries
        guard entries.count > 4, entries[0].layer === model.conv1, entries[1].layer is AvgPool2d,
            entries[2].layer is Square, entries[3].layer === model.conv2, entries[4].layer is AvgPool2d,
            model.conv1.inChannels == 1, model.conv1.padding == 0, model.conv2.padding == 0,
            model.conv1.stride == 1, model.conv2.stride == 1, model.inputShape.count == 3
        else {
            throw NNError.shapeMismatch(
                "\(model.architecture.datasetName): the regression attack models LeNet-5's encrypted pipeline "
                    + "(conv1, avg-pool, square, conv2, avg-pool)")
        }
        side = model.inputShape[1]
        k1 = model.conv1.kernelSize
        p1 = (side - k1 + 1) / 2
        k2 = model.conv2.kernelSize
        s2 = p1 - k2 + 1
        p2 = s2 / 2
        c1 = model.conv1.outChannels
        guard (side - k1 + 1) % 2 == 0, s2 % 2 == 0, p2 >= 1 else {
            throw NNError.shapeMismatch("LeNet-5 geometry with odd pooled sides is not supported")
        }
    }

    /// conv1 parameters per filter: `k1²` weights then the bias.
    var conv1Count: Int { k1 * k1 + 1 }
    /// conv2 parameters per filter: `c1·k2²` weights (channel-major) then the bias.
    var linearCount: Int { c1 * k2 * k2 + 1 }
    /// Pooled conv2 outputs per filter.
    var outputs: Int { p2 * p2 }
    /// Pooled conv1 positions.
    var positions: Int { p1 * p1 }

    /// The pooled input patches of one normalised image: `[positions][k1² + 1]`, a trailing 1 for the bias.
    func patches(_ image: ArraySlice<Double>) -> [Double] {
        let base = image.startIndex
        let stride = k1 * k1 + 1
        var out = [Double](repeating: 0, count: positions * stride)
        let m = side - 1
        var pooled = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m {
                let a = base + i * side + j
                pooled[i * m + j] = 0.25 * (image[a] + image[a + 1] + image[a + side] + image[a + side + 1])
            }
        }
        for py in 0..<p1 {
            for px in 0..<p1 {
                let row = (py * p1 + px) * stride
                for uy in 0..<k1 {
                    for ux in 0..<k1 { out[row + uy * k1 + ux] = pooled[(2 * py + uy) * m + 2 * px + ux] }
                }
                out[row + k1 * k1] = 1
            }
        }
        return out
    }

    /// Pooled conv1 pre-activations `z(p)` of one filter from ``patches(_:)``.
    func preActivation(_ patches: [Double], _ filter: [Double]) -> [Double] {
        let stride = k1 * k1 + 1
        return (0..<positions).map { p in
            var s = 0.0
            for u in 0..<stride { s += patches[p * stride + u] * filter[u] }
            return s
        }
    }

    /// For each pooled conv2 output, the conv2 output positions it reads and their weights: the 2×2 mean, after
    /// the obscure kernel (cross-correlation, zero padding 1) when one is given.
    func coefficients(_ kernel: [Double]?) -> [[(position: Int, weight: Double)]] {
        (0..<outputs).map { q in
            let (qy, qx) = (q / p2, q % p2)
            var weights = [Double](repeating: 0, count: s2 * s2)
            for dy in 0..<2 {
                for dx in 0..<2 {
                    let (oy, ox) = (2 * qy + dy, 2 * qx + dx)
                    guard let kernel else {
                        weights[oy * s2 + ox] += 0.25
                        continue
                    }
                    let k = Self.obscureSide
                    for sy in 0..<k {
                        for sx in 0..<k {
                            let (ry, rx) = (oy + sy - k / 2, ox + sx - k / 2)
                            if ry >= 0, ry < s2, rx >= 0, rx < s2 {
                                weights[ry * s2 + rx] += 0.25 * kernel[sy * k + sx]
                            }
                        }
                    }
                }
            }
            return weights.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) }
        }
    }

    /// The design matrix `[outputs][linearCount]` for activations `[c1][positions]`: column `c·k2² + t` is the
    /// pooled (obscured) conv2 output of a unit weight at channel `c`, tap `t`; the last column is the bias's.
    func design(_ activations: [[Double]], _ coefficients: [[(position: Int, weight: Double)]]) -> [Double] {
        let cols = linearCount, taps = k2 * k2
        var phi = [Double](repeating: 0, count: outputs * cols)
        for q in 0..<outputs {
            let row = q * cols
            for (r, w) in coefficients[q] {
                let (ry, rx) = (r / s2, r % s2)
                phi[row + cols - 1] += w
                for c in 0..<c1 {
                    let a = activations[c]
                    for ty in 0..<k2 {
                        let at = (ry + ty) * p1 + rx
                        let col = row + c * taps + ty * k2
                        for tx in 0..<k2 { phi[col + tx] += w * a[at + tx] }
                    }
                }
            }
        }
        return phi
    }

    /// conv2's output map (8×8, before obscure and pooling) of one filter.
    func conv2Map(_ activations: [[Double]], _ filter: [Double]) -> [Double] {
        let taps = k2 * k2
        return (0..<(s2 * s2)).map { r in
            let (ry, rx) = (r / s2, r % s2)
            var s = filter[c1 * taps]
            for c in 0..<c1 {
                for ty in 0..<k2 {
                    for tx in 0..<k2 { s += filter[c * taps + ty * k2 + tx] * activations[c][(ry + ty) * p1 + rx + tx] }
                }
            }
            return s
        }
    }

    /// `G(q, p) = Σ_r coef(q, r)·W[p − r]`: how pooled output `q` depends on activation `p` of one input channel
    /// through that channel's conv2 weights `W` (`k2²` taps); `[outputs][positions]`.
    func sensitivity(_ coefficients: [[(position: Int, weight: Double)]], _ weights: ArraySlice<Double>)
        -> [Double]
    {
        var g = [Double](repeating: 0, count: outputs * positions)
        let base = weights.startIndex
        for q in 0..<outputs {
            for (r, c) in coefficients[q] {
                let (ry, rx) = (r / s2, r % s2)
                for ty in 0..<k2 {
                    for tx in 0..<k2 { g[q * positions + (ry + ty) * p1 + rx + tx] += c * weights[base + ty * k2 + tx] }
                }
            }
        }
        return g
    }

    /// The leak of one image: pooled (obscured) conv2 outputs of each encrypted conv2 filter, `[filters][outputs]`.
    /// - Parameters:
    ///   - image: the normalised image.
    ///   - conv1: every conv1 filter's parameters (``conv1Count`` each).
    ///   - conv2: the encrypted conv2 filters' parameters (``linearCount`` each).
    ///   - kernels: each encrypted conv2 filter's obscure kernel, or `nil` entries for none.
    /// - Returns: the outputs per filter.
    func leak(_ image: ArraySlice<Double>, conv1: [[Double]], conv2: [[Double]], kernels: [[Double]?]) -> [[Double]] {
        let patches = patches(image)
        let activations = conv1.map { preActivation(patches, $0).map { $0 * $0 } }
        return zip(conv2, kernels).map { filter, kernel in
            let map = conv2Map(activations, filter)
            return coefficients(kernel).map { $0.reduce(0) { $0 + $1.weight * map[$1.position] } }
        }
    }
}
