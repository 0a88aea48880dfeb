import CZlib
import Foundation
import NN
import TestSupport

/// Reads the committed real MNIST (gzipped IDX) for tests, through zlib's `gzread`.
///
/// A private test helper only: the library's data loaders live in `Sources/NN/Data` (branch `nn-data`).
enum MNISTFixture {
    struct Split {
        var images: Tensor
        var labels: [Int]
    }

    struct Unreadable: Error { var path: String }

    static func gunzip(_ name: String) throws -> [UInt8] {
        let path = RepositoryPaths.data.appendingPathComponent("mnist/\(name)").path
        guard let file = gzopen(path, "rb") else { throw Unreadable(path: path) }
        defer { gzclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if read < 0 { throw Unreadable(path: path) }
            if read == 0 { break }
            out.append(contentsOf: chunk[0..<Int(read)])
        }
        return out
    }

    /// `count` images (from the start) of `train` or `t10k`, scaled to [0, 1] like torchvision's ToTensor.
    static func load(_ prefix: String, count: Int? = nil) throws -> Split {
        let imageBytes = try gunzip("\(prefix)-images-idx3-ubyte.gz")
        let labelBytes = try gunzip("\(prefix)-labels-idx1-ubyte.gz")
        let total = (labelBytes.count - 8)
        let n = min(count ?? total, total)
        let pixels = Array(imageBytes[16..<(16 + n * 784)]).map { Float($0) / 255 }
        return Split(
            images: Tensor(shape: [n, 1, 28, 28], data: pixels), labels: labelBytes[8..<(8 + n)].map { Int($0) })
    }
}
