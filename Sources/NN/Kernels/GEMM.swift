import COpenBLAS

/// Row-major single-precision matrix multiply through OpenBLAS: `C = alpha·op(A)·op(B) + beta·C`.
///
/// `op(A)` is `m×k`, `op(B)` is `k×n`, `C` is `m×n`; leading dimensions are the row strides of the stored
/// (untransposed) matrices.
@inlinable
func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}
