import Foundation

/// Locates the repository's data folders from this file's path, so tests need no SwiftPM resources.
public enum RepositoryPaths {
    /// The repository root (the folder holding `Package.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `vectors/`, the SEAL-generated golden data.
    public static var vectors: URL { root.appendingPathComponent("vectors") }

    /// `data/`, the committed data sets (real MNIST).
    public static var data: URL { root.appendingPathComponent("data") }

    /// Reads a file under `vectors/` whole.
    public static func vector(_ relativePath: String) throws -> Data {
        try Data(contentsOf: vectors.appendingPathComponent(relativePath))
    }
}
