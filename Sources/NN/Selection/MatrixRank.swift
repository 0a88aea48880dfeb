/// Singular values and numerical rank of small dense matrices, for HRank's feature-map ranks (spec §7.4).
///
/// Why a hand-written SVD: the OpenBLAS library on this machine does export LAPACK (`dgesdd_`, `dgesvd_`), but the
/// `COpenBLAS` system-library target declares only `cblas.h` and no LAPACK header (`lapacke.h`) is installed, so
/// Swift cannot call LAPACK through the shim. The matrices here are small feature maps (8×8 to 32×32 for the
/// networks of spec §3; 64×64 at most), where a one-sided Jacobi SVD (Hestenes) is simple and accurate: it
/// computes every singular value to high relative accuracy, including the tiny ones the rank threshold separates,
/// which an eigenvalue solve of AᵀA would lose (it squares the condition number).
public enum MatrixRank {
    /// The numerical rank as `numpy.linalg.matrix_rank` and `torch.linalg.matrix_rank` define it: the number of
    /// singular values above `σ_max · max(rows, columns) · epsilon`.
    ///
    /// - Parameters:
    ///   - matrix: `rows × columns` values, row-major.
    ///   - rows: the row count.
    ///   - columns: the column count.
    ///   - epsilon: the machine epsilon of the data's type. The default is `Float`'s, because feature maps are
    ///     float32 (the original ran `torch.linalg.matrix_rank` on float32 maps, whose tolerance uses float32's
    ///     epsilon); pass `Double.ulpOfOne` for double data.
    /// - Returns: the rank, in `0...min(rows, columns)`.
    public static func rank(
        of matrix: [Float], rows: Int, columns: Int, epsilon: Double = Double(Float.ulpOfOne)
    ) -> Int {
        precondition(rows >= 0 && columns >= 0 && matrix.count == rows * columns, "matrix is not rows × columns")
        var workspace = JacobiWorkspace()
        return matrix.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return workspace.rank(of: base, rows: rows, columns: columns, epsilon: epsilon)
        }
    }

    /// The singular values of a matrix, descending.
    ///
    /// - Parameters:
    ///   - matrix: `rows × columns` values, row-major.
    ///   - rows: the row count.
    ///   - columns: the column count.
    /// - Returns: `min(rows, columns)` values, largest first.
    public static func singularValues(of matrix: [Double], rows: Int, columns: Int) -> [Double] {
        precondition(rows >= 0 && columns >= 0 && matrix.count == rows * columns, "matrix is not rows × columns")
        var workspace = JacobiWorkspace()
        workspace.load(rows: rows, columns: columns) { matrix[$0 * columns + $1] }
        return workspace.singularValues().sorted(by: >)
    }
}

/// Scratch space for one-sided Jacobi, reused across the thousands of maps of one worker so that ranking a map
/// allocates nothing.
struct JacobiWorkspace {
    /// The matrix being orthogonalised, stored by column (`width` columns of `height` values), with
    /// `height ≥ width`.
    private var columns: [Double] = []
    private var height = 0
    private var width = 0

    /// Copies a matrix in, transposed if it is wider than tall (the singular values are the same, and the
    /// one-sided method needs at least as many rows as columns to reach a diagonal form).
    mutating func load(rows: Int, columns count: Int, _ value: (_ row: Int, _ column: Int) -> Double) {
        let transpose = count > rows
        height = transpose ? count : rows
        width = transpose ? rows : count
        if columns.count < height * width { columns = [Double](repeating: 0, count: height * width) }
        for j in 0..<width {
            for i in 0..<height { columns[j * height + i] = transpose ? value(j, i) : value(i, j) }
        }
    }

    /// The rank of a row-major float matrix (see ``MatrixRank/rank(of:rows:columns:epsilon:)``).
    mutating func rank(of matrix: UnsafePointer<Float>, rows: Int, columns count: Int, epsilon: Double) -> Int {
        load(rows: rows, columns: count) { Double(matrix[$0 * count + $1]) }
        let values = singularValues()
        guard let largest = values.max(), largest > 0 else { return 0 }
        let tolerance = largest * Double(max(rows, count)) * epsilon
        return values.reduce(0) { $0 + ($1 > tolerance ? 1 : 0) }
    }

    /// Hestenes' one-sided Jacobi: rotate pairs of columns until every pair is orthogonal; the column norms are
    /// then the singular values (unordered).
    mutating func singularValues() -> [Double] {
        let m = height, n = width
        guard n > 0 else { return [] }
        // Two columns count as orthogonal once their cosine is below m·ε: rounding in the dot product itself is of
        // that order, so asking for less would never converge.
        let threshold = Double(m) * Double.ulpOfOne
        columns.withUnsafeMutableBufferPointer { buffer in
            guard let a = buffer.baseAddress else { return }
            // Jacobi converges quadratically; 6–10 sweeps are typical. The cap only guards against a pathological
            // input cycling at rounding level.
            for _ in 0..<60 {
                var rotated = false
                for p in 0..<(n - 1) {
                    let up = a + p * m
                    for q in (p + 1)..<n {
                        let uq = a + q * m
                        var alpha = 0.0, beta = 0.0, gamma = 0.0
                        for i in 0..<m {
                            alpha += up[i] * up[i]
                            beta += uq[i] * uq[i]
                            gamma += up[i] * uq[i]
                        }
                        guard gamma != 0, abs(gamma) > threshold * (alpha * beta).squareRoot() else { continue }
                        rotated = true
                        // The rotation that zeroes the pair's off-diagonal entry of AᵀA; the smaller root of
                        // t² + 2ζt − 1 = 0 keeps the angle at most π/4, which is what makes the sweeps converge.
                        let zeta = (beta - alpha) / (2 * gamma)
                        let t: Double
                        if abs(zeta) > 1e150 {
                            t = 1 / (2 * zeta)  // ζ² would overflow; t ≈ 1/(2ζ) to full precision there
                        } else {
                            t = (zeta >= 0 ? 1 : -1) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                        }
                        let c = 1 / (1 + t * t).squareRoot(), s = c * t
                        for i in 0..<m {
                            let x = up[i], y = uq[i]
                            up[i] = c * x - s * y
                            uq[i] = s * x + c * y
                        }
                    }
                }
                if !rotated { break }
            }
        }
        return (0..<n).map { j in
            var sum = 0.0
            for i in 0..<m { sum += columns[j * m + i] * columns[j * m + i] }
            return sum.squareRoot()
        }
    }
}
