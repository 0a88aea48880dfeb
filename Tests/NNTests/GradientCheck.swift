import NN

/// Finite-difference checking of a layer's backward pass against its training-mode forward.
///
/// The scalar checked is `L = Σ out·r` for a fixed random `r`, accumulated in `Double`; central differences use
/// a step of 1e-2 on `Float` data, so tolerances are relative to the gradient's largest magnitude.
enum GradientCheck {
    struct Report {
        var worstInput: Double = 0
        var worstParameter: Double = 0
    }

    static func randomTensor(_ shape: [Int], _ g: inout Xoshiro256, scale: Float = 1) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in g.nextSymmetric(scale) })
    }

    static func objective(_ layer: any Layer, _ x: Tensor, _ r: Tensor) -> Double {
        let y = layer.forward(x, training: true)
        var sum = 0.0
        for i in y.data.indices { sum += Double(y.data[i]) * Double(r.data[i]) }
        return sum
    }

    /// Returns the worst relative error over sampled input and parameter coordinates.
    static func run(
        _ layer: any Layer, input: Tensor, seed: UInt64 = 7, samples: Int = 40, step: Float = 1e-2
    ) -> Report {
        var g = Xoshiro256(seed: seed)
        let y = layer.forward(input, training: true)
        let r = randomTensor(y.shape, &g)
        for (_, p) in layer.namedParameters { p.zeroGrad() }
        _ = layer.forward(input, training: true)
        let dx = layer.backward(r)
        var report = Report()

        func relative(_ numeric: Double, _ analytic: Double, scale: Double) -> Double {
            abs(numeric - analytic) / max(scale, 1e-3)
        }

        let inputScale = dx.data.map { Double(abs($0)) }.max() ?? 1
        for _ in 0..<samples {
            let i = Int(g.next(upperBound: UInt64(input.count)))
            var plus = input, minus = input
            plus.data[i] += step
            minus.data[i] -= step
            let numeric = (objective(layer, plus, r) - objective(layer, minus, r)) / (2 * Double(step))
            report.worstInput = max(report.worstInput, relative(numeric, Double(dx.data[i]), scale: inputScale))
        }
        for (_, p) in layer.namedParameters {
            let analytic = p.grad
            let scale = analytic.data.map { Double(abs($0)) }.max() ?? 1
            for _ in 0..<samples {
                let i = Int(g.next(upperBound: UInt64(p.value.count)))
                let original = p.value.data[i]
                p.value.data[i] = original + step
                let up = objective(layer, input, r)
                p.value.data[i] = original - step
                let down = objective(layer, input, r)
                p.value.data[i] = original
                let numeric = (up - down) / (2 * Double(step))
                report.worstParameter = max(
                    report.worstParameter, relative(numeric, Double(analytic.data[i]), scale: scale))
            }
        }
        return report
    }
}
