import CZlib
import CZstd

/// Versions of the C compression libraries linked in, for `privdnn --version` style reports.
public enum CompressionLibraries {
    /// The zlib version string.
    public static var zlibVersion: String { String(cString: CZlib.zlibVersion()) }
    /// The zstd version number (major*10000 + minor*100 + patch).
    public static var zstdVersionNumber: Int { Int(ZSTD_versionNumber()) }
}
