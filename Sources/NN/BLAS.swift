import COpenBLAS

/// Facts about the linked BLAS, used by benchmarks to report what they ran on.
public enum BLASInfo {
    /// OpenBLAS's configuration string (kernel and threading).
    public static var configuration: String { String(cString: openblas_get_config()) }
}
