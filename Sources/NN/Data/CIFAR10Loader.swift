import Foundation

/// Loader for the CIFAR-10 binary version (`cifar-10-batches-bin`).
///
/// Each batch file is a run of 3,073-byte records: one label byte (0…9), then 1,024 red, 1,024 green and
/// 1,024 blue bytes, rows top to bottom, which is already planar CHW.
public enum CIFAR10Loader {
    /// The class names of `batches.meta.txt`, used when that file is absent.
    public static let defaultLabelNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]
    /// Bytes per record: one label byte and a 3×32×32 image.
    public static let recordSize = 1 + 3 * 32 * 32

    /// Reads batch files in the given order and concatenates them.
    ///
    /// - Parameters:
    ///   - files: e.g. `data_batch_1.bin` … `data_batch_5.bin`, or `test_batch.bin`.
    ///   - labelNames: class names; labels must be below their count.
    /// - Returns: all records of all files, 3×32×32 each.
    /// - Throws: ``DataFileError`` when a file is missing, is not a whole number of records, or has a bad label.
    public static func load(files: [URL], labelNames: [String] = defaultLabelNames) throws -> LabeledImages {
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for file in files {
            let bytes = try FileBytes.read(file)
            guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
                throw DataFileError(
                    file: file.path,
                    problem: "\(bytes.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records")
            }
            let records = bytes.count / recordSize
            pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
            for r in 0..<records {
                let base = r * recordSize
                let label = bytes[base]
                guard Int(label) < labelNames.count else {
                    throw DataFileError(
                        file: file.path, problem: "record \(r): label \(label) outside 0..<\(labelNames.count)")
                }
                labels.append(Int32(label))
                pixels.append(contentsOf: bytes[(base + 1)..<(base + recordSize)])
            }
        }
        return LabeledImages(
            unchecked: labels.count, channels: 3, height: 32, width: 32, pixels: pixels, labels: labels,
            labelNames: labelNames)
    }

    /// Reads `batches.meta.txt` (one class name per line) if present, else returns ``defaultLabelNames``.
    public static func labelNames(folder: URL) throws -> [String] {
        let url = folder.appendingPathComponent("batches.meta.txt")
        guard FileManager.default.fileExists(atPath: url.path) else { return defaultLabelNames }
        guard let text = String(bytes: try FileBytes.read(url), encoding: .utf8) else {
            throw DataFileError(file: url.path, problem: "not UTF-8 text")
        }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard names.count == 10 else {
            throw DataFileError(file: url.path, problem: "\(names.count) class names, expected 10")
        }
        return names
    }
}
