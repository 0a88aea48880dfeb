import Foundation

@testable import NN

/// A fresh folder under the system temporary directory, removed when the value is deinitialised.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nn-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` at `relativePath`, creating folders, and returns the file's URL.
    @discardableResult
    func write(_ bytes: [UInt8], to relativePath: String) throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }
}

/// Builders for small data-set files in the published formats.
enum Fixtures {
    static func bigEndian(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// An IDX ubyte file with the given dimensions and data.
    static func idx(dimensions: [Int], data: [UInt8]) -> [UInt8] {
        [0, 0, 8, UInt8(dimensions.count)] + dimensions.flatMap(bigEndian) + data
    }

    /// Deterministic pixel pattern for image `n`.
    static func pattern(_ n: Int, count: Int) -> [UInt8] {
        (0..<count).map { UInt8((n * 31 + $0 * 7 + ($0 / 5) * 3) % 256) }
    }

    /// An RGB image whose pixels depend on position and `seed`.
    static func rgb(width: Int, height: Int, seed: Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { pixels.append(UInt8((x * 9 + y * 5 + c * 70 + seed * 40) % 256)) }
            }
        }
        return RGBImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// A smooth RGB gradient (no wrap-around edges), which JPEG reproduces closely.
    static func smooth(width: Int, height: Int, seed: Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { pixels.append(UInt8(min(255, x * 128 / width + y * 64 / height + c * 20 + seed * 3))) }
            }
        }
        return RGBImage(width: width, height: height, channels: 3, pixels: pixels)
    }
}
