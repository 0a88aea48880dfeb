import COpenBLAS
import Foundation

/// Fits the encrypted filters of LeNet-5 to observed leaks by variable projection (Golub–Pereyra) with
/// Levenberg–Marquardt steps.
///
/// For fixed *nonlinear* parameters — the unknown conv1 filters (their channels enter conv2 squared) and, when the
/// attacker models the defence, the unknown obscure kernels — every encrypted conv2 filter's output is linear in
/// its weights, so those are solved exactly by (ridge-regularised) least squares. What remains is a small
/// nonlinear problem in 26 values per encrypted conv1 filter plus 9 per obscure kernel, minimised with Kaufman's
/// Jacobian of the projected residual. With no unknown conv1 filter and no kernel to fit, one pass is the plain
/// least-squares attack of protocol.md.
struct LeakFit {
    /// The geometry.
    let leak: LeNetLeak
    /// Pooled input patches per query image (``LeNetLeak/patches(_:)``).
    let patches: [[Double]]
    /// Activations of the plaintext conv1 channels per image, `[c1][positions]` (encrypted channels empty).
    let known: [[[Double]]]
    /// Observed outputs per image, `[filters][outputs]`.
    let targets: [[[Double]]]
    /// Encrypted conv1 channels (unknown).
    let unknownChannels: [Int]
    /// Encrypted conv2 filters observed.
    let filters: Int
    /// Whether an obscure kernel per observed filter is fitted too.
    let fitsKernels: Bool
    /// Ridge added to each normal matrix, relative to its mean diagonal (keeps few-query systems solvable: the
    /// solution tends to the minimum-norm one).
    var ridge = 1e-9

    /// Nonlinear parameters: unknown conv1 filters, then kernels.
    var nonlinearCount: Int { unknownChannels.count * leak.conv1Count + (fitsKernels ? filters * 9 : 0) }

    /// A point of the search: nonlinear parameters, the solved linear ones, and what pass 2 needs.
    struct Point {
        var theta: [Double]
        var linear: [[Double]]
        var factors: [[Double]]
        var cost: Double
    }

    func conv1Filter(_ theta: [Double], _ i: Int) -> [Double] {
        Array(theta[(i * leak.conv1Count)..<((i + 1) * leak.conv1Count)])
    }

    func kernel(_ theta: [Double], _ f: Int) -> [Double]? {
        guard fitsKernels else { return nil }
        let start = unknownChannels.count * leak.conv1Count + f * 9
        return Array(theta[start..<(start + 9)])
    }

    /// Activations of every channel (unknown ones from `theta`) and the unknown channels' pre-activations.
    func activations(_ image: Int, _ theta: [Double]) -> (all: [[Double]], z: [[Double]]) {
        var all = known[image]
        var z: [[Double]] = []
        for (i, c) in unknownChannels.enumerated() {
            let pre = leak.preActivation(patches[image], conv1Filter(theta, i))
            z.append(pre)
            all[c] = pre.map { $0 * $0 }
        }
        return (all, z)
    }

    /// Pass 1: the normal equations of each design group, the solved linear parameters and the cost.
    func solve(_ theta: [Double]) -> Point {
        let l = leak.linearCount, rows = leak.outputs
        let groups = fitsKernels ? filters : 1
        let coefficients = (0..<groups).map { leak.coefficients(kernel(theta, $0)) }
        struct Sums {
            var a: [[Double]], b: [[Double]], yy: [Double]
        }
        let chunks = Parallelism.chunkCount(patches.count, minimumChunk: 8)
        var partial = [Sums?](repeating: nil, count: chunks)
        partial.withUnsafeMutableBufferPointer { out in
            Parallelism.forEachChunk(patches.count, minimumChunk: 8) { chunk, range in
                var s = Sums(
                    a: Array(repeating: [Double](repeating: 0, count: l * l), count: groups),
                    b: Array(repeating: [Double](repeating: 0, count: l), count: filters),
                    yy: [Double](repeating: 0, count: filters))
                for image in range {
                    let acts = activations(image, theta).all
                    for g in 0..<groups {
                        let phi = leak.design(acts, coefficients[g])
                        cblas_dsyrk(
                            CblasRowMajor, CblasUpper, CblasTrans, Int32(l), Int32(rows), 1, phi, Int32(l), 1,
                            &s.a[g], Int32(l))
                        for f in (fitsKernels ? g..<(g + 1) : 0..<filters) {
                            let y = targets[image][f]
                            cblas_dgemv(
                                CblasRowMajor, CblasTrans, Int32(rows), Int32(l), 1, phi, Int32(l), y, 1, 1,
                                &s.b[f], 1)
                            s.yy[f] += y.reduce(0) { $0 + $1 * $1 }
                        }
                    }
                }
                out[chunk] = s
            }
        }
        let sums = partial.compactMap { $0 }
        var factors: [[Double]] = []
        for g in 0..<groups {
            var a = sums.dropFirst().reduce(sums[0].a[g]) { acc, s in zip(acc, s.a[g]).map(+) }
            Dense.symmetrize(&a, l)
            let meanDiagonal = (0..<l).reduce(0.0) { $0 + a[$1 * l + $1] } / Double(l)
            for i in 0..<l { a[i * l + i] += ridge * meanDiagonal + 1e-300 }
            factors.append(Dense.cholesky(a, l))
        }
        var linear: [[Double]] = [], cost = 0.0
        for f in 0..<filters {
            let b = sums.dropFirst().reduce(sums[0].b[f]) { acc, s in zip(acc, s.b[f]).map(+) }
            let x = Dense.choleskySolve(factors[fitsKernels ? f : 0], l, b)
            linear.append(x)
            cost += sums.reduce(0.0) { $0 + $1.yy[f] } - zip(b, x).reduce(0.0) { $0 + $1.0 * $1.1 }
        }
        return Point(theta: theta, linear: linear, factors: factors, cost: max(0, cost))
    }

    /// Pass 2: Kaufman's Gauss–Newton matrix `JᵀJ − CᵀA⁻¹C` and gradient `Jᵀr` of the projected residual.
    func gaussNewton(_ point: Point) -> (h: [Double], g: [Double]) {
        let m = nonlinearCount, l = leak.linearCount, rows = leak.outputs, positions = leak.positions
        let stride1 = leak.conv1Count, taps = leak.k2 * leak.k2
        let coefficients = (0..<filters).map { leak.coefficients(kernel(point.theta, $0)) }
        // How each output depends on each unknown channel's activations, per filter: [filter][unknown].
        let sensitivity = (0..<filters).map { f in
            unknownChannels.map { c in
                leak.sensitivity(coefficients[f], point.linear[f][(c * taps)..<((c + 1) * taps)])
            }
        }
        struct Sums {
            var jj: [Double], jr: [Double], c: [[Double]]
        }
        let chunks = Parallelism.chunkCount(patches.count, minimumChunk: 8)
        var partial = [Sums?](repeating: nil, count: chunks)
        partial.withUnsafeMutableBufferPointer { out in
            Parallelism.forEachChunk(patches.count, minimumChunk: 8) { chunk, range in
                var s = Sums(
                    jj: [Double](repeating: 0, count: m * m), jr: [Double](repeating: 0, count: m),
                    c: Array(repeating: [Double](repeating: 0, count: l * m), count: filters))
                var weighted = [Double](repeating: 0, count: rows * positions)
                for image in range {
                    let (acts, z) = activations(image, point.theta)
                    var sharedPhi: [Double]?
                    for f in 0..<filters {
                        let phi =
                            fitsKernels
                            ? leak.design(acts, coefficients[f]) : (sharedPhi ?? leak.design(acts, coefficients[f]))
                        sharedPhi = phi
                        var r = targets[image][f]
                        cblas_dgemv(
                            CblasRowMajor, CblasNoTrans, Int32(rows), Int32(l), -1, phi, Int32(l), point.linear[f], 1,
                            1, &r, 1)
                        var j = [Double](repeating: 0, count: rows * m)
                        for (i, _) in unknownChannels.enumerated() {
                            let g = sensitivity[f][i]
                            for q in 0..<rows {
                                for p in 0..<positions {
                                    weighted[q * positions + p] = g[q * positions + p] * 2 * z[i][p]
                                }
                            }
                            // J[:, block] = weighted (rows × positions) · patches (positions × 26).
                            patches[image].withUnsafeBufferPointer { pp in
                                j.withUnsafeMutableBufferPointer { jp in
                                    cblas_dgemm(
                                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(stride1),
                                        Int32(positions), 1, weighted, Int32(positions), pp.baseAddress, Int32(stride1),
                                        0, jp.baseAddress.map { $0 + i * stride1 }, Int32(m))
                                }
                            }
                        }
                        if fitsKernels {
                            let map = leak.conv2Map(acts, point.linear[f])
                            let offset = unknownChannels.count * stride1 + f * 9
                            for q in 0..<rows {
                                let (qy, qx) = (q / leak.p2, q % leak.p2)
                                for sIndex in 0..<9 {
                                    var v = 0.0
                                    for d in 0..<4 {
                                        let ry = 2 * qy + d / 2 + sIndex / 3 - 1, rx = 2 * qx + d % 2 + sIndex % 3 - 1
                                        if ry >= 0, ry < leak.s2, rx >= 0, rx < leak.s2 { v += map[ry * leak.s2 + rx] }
                                    }
                                    j[q * m + offset + sIndex] = 0.25 * v
                                }
                            }
                        }
                        cblas_dgemm(
                            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(m), Int32(rows), 1, j, Int32(m), j,
                            Int32(m), 1, &s.jj, Int32(m))
                        cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(m), 1, j, Int32(m), r, 1, 1, &s.jr, 1)
                        cblas_dgemm(
                            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(l), Int32(m), Int32(rows), 1, phi, Int32(l),
                            j,
                            Int32(m), 1, &s.c[f], Int32(m))
                    }
                }
                out[chunk] = s
            }
        }
        let sums = partial.compactMap { $0 }
        var h = sums.dropFirst().reduce(sums[0].jj) { acc, s in zip(acc, s.jj).map(+) }
        let g = sums.dropFirst().reduce(sums[0].jr) { acc, s in zip(acc, s.jr).map(+) }
        for f in 0..<filters {
            let c = sums.dropFirst().reduce(sums[0].c[f]) { acc, s in zip(acc, s.c[f]).map(+) }
            // H −= Cᵀ A⁻¹ C, one column of A⁻¹C at a time.
            let factor = point.factors[fitsKernels ? f : 0]
            var solved = [Double](repeating: 0, count: l * m)
            for col in 0..<m {
                let x = Dense.choleskySolve(factor, l, (0..<l).map { c[$0 * m + col] })
                for i in 0..<l { solved[i * m + col] = x[i] }
            }
            cblas_dgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(m), Int32(l), -1, c, Int32(m), solved,
                Int32(m),
                1, &h, Int32(m))
        }
        return (h, g)
    }

    /// Scales each unknown conv1 filter and kernel to unit norm: both are gauges (the linear weights absorb them).
    func normalized(_ theta: [Double]) -> [Double] {
        var t = theta
        var blocks = unknownChannels.indices.map { ($0 * leak.conv1Count, leak.conv1Count) }
        if fitsKernels { blocks += (0..<filters).map { (unknownChannels.count * leak.conv1Count + $0 * 9, 9) } }
        for (start, count) in blocks {
            let norm = t[start..<(start + count)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in start..<(start + count) { t[i] /= norm } }
        }
        return t
    }

    /// Levenberg–Marquardt from `start`.
    /// - Returns: the best point and the accepted steps.
    func minimise(from start: [Double], iterations: Int) -> (Point, Int) {
        var point = solve(normalized(start))
        let m = nonlinearCount
        if m == 0 || iterations == 0 { return (point, 0) }
        var mu = 1e-3
        var steps = 0
        outer: for _ in 0..<iterations {
            let (h, g) = gaussNewton(point)
            while true {
                var damped = h
                for i in 0..<m { damped[i * m + i] += mu * max(h[i * m + i], 1e-12) + 1e-14 }
                let delta = Dense.choleskySolve(Dense.cholesky(damped, m), m, g)
                let trial = solve(normalized(zip(point.theta, delta).map(+)))
                if trial.cost.isFinite, trial.cost < point.cost {
                    let gain = (point.cost - trial.cost) / max(point.cost, 1e-300)
                    point = trial
                    steps += 1
                    mu = max(mu / 3, 1e-12)
                    if gain < 1e-10 { break outer }
                    break
                }
                mu *= 4
                if mu > 1e12 { break outer }
            }
        }
        return (point, steps)
    }
}

/// Small dense linear algebra on row-major `[Double]` matrices.
enum Dense {
    /// Copies the upper triangle into the lower one.
    static func symmetrize(_ a: inout [Double], _ n: Int) {
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
    }

    /// The lower Cholesky factor of a symmetric matrix; a non-positive pivot is lifted to a tiny positive
    /// value, which turns the solve into a least-norm-like one instead of failing.
    static func cholesky(_ a: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        let floor = max(1e-300, (0..<n).reduce(0.0) { max($0, abs(a[$1 * n + $1])) } * 1e-15)
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            let pivot = max(d, floor).squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / pivot
            }
        }
        return l
    }

    /// Solves `L Lᵀ x = b`.
    static func choleskySolve(_ l: [Double], _ n: Int, _ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(i + 1, n) { s -= l[k * n + i] * y[k] }
            y[i] = s / l[i * n + i]
        }
        return y
    }
}
