import Foundation
import Testing

@testable import NN

/// The one-sided Jacobi SVD behind HRank: exact ranks of matrices built with a known rank, singular values of a
/// matrix built from them, and numpy's tolerance rule.
@Suite struct MatrixRankTests {
    /// `rows × rank` times `rank × columns` small integers: exactly representable in Float, so the product has
    /// rank `rank` exactly (the seeded factors have full rank).
    static func product(rows: Int, columns: Int, rank: Int, seed: UInt64) -> [Float] {
        var generator = Xoshiro256(seed: seed)
        let left = (0..<(rows * rank)).map { _ in Float(Int.random(in: -3...3, using: &generator)) }
        let right = (0..<(rank * columns)).map { _ in Float(Int.random(in: -3...3, using: &generator)) }
        return (0..<(rows * columns)).map { index in
            let i = index / columns, j = index % columns
            return (0..<rank).reduce(Float(0)) { $0 + left[i * rank + $1] * right[$1 * columns + j] }
        }
    }

    @Test(arguments: [
        (8, 8, 0), (8, 8, 1), (8, 8, 5), (8, 8, 8), (24, 24, 3), (24, 24, 17), (24, 24, 24), (12, 20, 7),
        (20, 12, 7), (20, 12, 12), (32, 32, 31), (1, 9, 1),
    ])
    func knownRankMatricesGetExactlyTheirRank(shape: (Int, Int, Int)) {
        let (rows, columns, rank) = shape
        let matrix = Self.product(rows: rows, columns: columns, rank: rank, seed: UInt64(rows * 100 + rank))
        #expect(MatrixRank.rank(of: matrix, rows: rows, columns: columns) == rank, "\(rows)×\(columns)")
    }

    @Test func singularValuesOfAConstructedMatrix() {
        // Q₁ · diag(7, 2, 1e-4, 0) · Q₂ᵀ with Q₁, Q₂ products of plane rotations: singular values 7, 2, 1e-4, 0.
        let n = 4
        func rotation(_ p: Int, _ q: Int, _ angle: Double) -> [Double] {
            var r = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
            r[p * n + p] = cos(angle)
            r[q * n + q] = cos(angle)
            r[p * n + q] = -sin(angle)
            r[q * n + p] = sin(angle)
            return r
        }
        func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
            (0..<(n * n)).map { index in (0..<n).reduce(0.0) { $0 + a[index / n * n + $1] * b[$1 * n + index % n] } }
        }
        let q1 = multiply(multiply(rotation(0, 1, 0.3), rotation(1, 3, 1.1)), rotation(2, 3, -0.7))
        let q2 = multiply(rotation(0, 2, 0.9), rotation(1, 2, 2.0))
        let diagonal = [7.0, 2, 1e-4, 0]
        let middle = (0..<(n * n)).map { $0 / n == $0 % n ? diagonal[$0 / n] : 0 }
        let q2t = (0..<(n * n)).map { q2[$0 % n * n + $0 / n] }
        let matrix = multiply(multiply(q1, middle), q2t)
        let values = MatrixRank.singularValues(of: matrix, rows: n, columns: n)
        for (found, expected) in zip(values, diagonal) { #expect(abs(found - expected) < 1e-13, "\(values)") }
        // Wide and tall forms of one matrix share their singular values.
        let wide = [1.0, 2, 3, 4, 5, 6]
        let tall = [1.0, 4, 2, 5, 3, 6]
        let a = MatrixRank.singularValues(of: wide, rows: 2, columns: 3)
        let b = MatrixRank.singularValues(of: tall, rows: 3, columns: 2)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 } && a.count == 2)
        // σ₁² + σ₂² is the squared Frobenius norm, 91.
        #expect(abs(a.reduce(0) { $0 + $1 * $1 } - 91) < 1e-11)
    }

    @Test func toleranceFollowsNumpy() {
        // diag(1, 1, δ) in a 10×10 float matrix: numpy counts δ when δ > σ_max · 10 · ε_float ≈ 1.19e-6.
        func rank(_ delta: Float) -> Int {
            var matrix = [Float](repeating: 0, count: 100)
            matrix[0] = 1
            matrix[11] = 1
            matrix[22] = delta
            return MatrixRank.rank(of: matrix, rows: 10, columns: 10)
        }
        #expect(rank(1e-5) == 3)
        #expect(rank(1e-7) == 2)
        #expect(MatrixRank.rank(of: [Float](repeating: 0, count: 64), rows: 8, columns: 8) == 0)
        // With double's epsilon the same 1e-7 counts.
        var matrix = [Float](repeating: 0, count: 100)
        (matrix[0], matrix[11], matrix[22]) = (1, 1, 1e-7)
        #expect(MatrixRank.rank(of: matrix, rows: 10, columns: 10, epsilon: Double.ulpOfOne) == 3)
    }
}
