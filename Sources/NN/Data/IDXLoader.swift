import Foundation

/// Reader for the IDX files of MNIST and EMNIST (`*-idx3-ubyte` images, `*-idx1-ubyte` labels), raw or gzipped.
///
/// An IDX file is a big-endian header `00 00 <type> <rank>`, `rank` big-endian `UInt32` sizes, then the data.
/// Only unsigned bytes (type `0x08`) are used by these data sets.
public enum IDXLoader {
    /// Reads an IDX file and returns its dimensions and bytes.
    ///
    /// - Parameters:
    ///   - url: the file, raw or gzipped.
    ///   - rank: the expected number of dimensions (3 for images, 1 for labels).
    /// - Returns: the dimensions from the header and the data bytes.
    /// - Throws: ``DataFileError`` for a missing file, a foreign magic number, a wrong rank or element type, or
    ///   a data region shorter or longer than the header says.
    public static func read(_ url: URL, rank: Int) throws -> (dimensions: [Int], bytes: [UInt8]) {
        let bytes = try FileBytes.readMaybeGzipped(url)
        var cursor = ByteCursor(bytes, file: url.path)
        let magic = try cursor.readUInt32BigEndian("IDX magic number")
        guard magic >> 16 == 0 else {
            throw DataFileError(
                file: url.path, problem: "not an IDX file (magic 0x\(String(magic, radix: 16)), expected 0x0000TTRR)")
        }
        let type = (magic >> 8) & 0xff
        let fileRank = Int(magic & 0xff)
        guard type == 0x08 else {
            throw DataFileError(
                file: url.path, problem: "IDX element type 0x\(String(type, radix: 16)), expected 0x08 (ubyte)")
        }
        guard fileRank == rank else {
            throw DataFileError(file: url.path, problem: "IDX rank \(fileRank), expected \(rank)")
        }
        var dimensions: [Int] = []
        var total = 1
        for k in 0..<rank {
            let d = Int(try cursor.readUInt32BigEndian("IDX dimension \(k)"))
            dimensions.append(d)
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= bytes.count else {
                throw DataFileError(
                    file: url.path,
                    problem: "truncated: header announces \(dimensions) but the file has \(bytes.count) bytes")
            }
            total = product
        }
        guard cursor.remaining == total else {
            let problem =
                cursor.remaining < total
                ? "truncated: \(cursor.remaining) data bytes, header announces \(total)"
                : "\(cursor.remaining - total) bytes after the \(total) announced data bytes"
            throw DataFileError(file: url.path, problem: problem)
        }
        return (dimensions, Array(try cursor.take(total, "IDX data")))
    }

    /// Loads an image file and its label file into ``LabeledImages`` (1 channel).
    ///
    /// - Parameters:
    ///   - images: the `idx3-ubyte` image file.
    ///   - labels: the `idx1-ubyte` label file.
    ///   - labelNames: one name per class; labels must lie in `0..<labelNames.count`.
    /// - Returns: one-channel images with their labels.
    /// - Throws: ``DataFileError`` for bad files, mismatched counts or out-of-range labels.
    public static func load(images: URL, labels: URL, labelNames: [String]) throws -> LabeledImages {
        let (dims, pixels) = try read(images, rank: 3)
        let (labelDims, labelBytes) = try read(labels, rank: 1)
        guard labelDims[0] == dims[0] else {
            throw DataFileError(
                file: labels.path, problem: "\(labelDims[0]) labels for the \(dims[0]) images of \(images.path)")
        }
        guard dims[1] > 0, dims[2] > 0 else {
            throw DataFileError(file: images.path, problem: "empty image size \(dims[1])×\(dims[2])")
        }
        if let bad = labelBytes.firstIndex(where: { Int($0) >= labelNames.count }) {
            throw DataFileError(
                file: labels.path, problem: "label \(labelBytes[bad]) of item \(bad) outside 0..<\(labelNames.count)")
        }
        return LabeledImages(
            unchecked: dims[0], channels: 1, height: dims[1], width: dims[2], pixels: pixels,
            labels: labelBytes.map { Int32($0) }, labelNames: labelNames)
    }
}
