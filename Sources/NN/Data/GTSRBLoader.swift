import Foundation

/// Loader for the German Traffic Sign Recognition Benchmark in its distributed layout.
///
/// Training: `Final_Training/Images/<00000…00042>/GT-<class>.csv` plus `*.ppm`. Test: `Final_Test/Images/*.ppm`
/// plus a `GT-final_test.csv` with a `ClassId` column. Each CSV is `;`-separated with the header
/// `Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId`; file names are relative to the CSV's folder.
/// Samples come in CSV order, CSVs in sorted path order (so the split permutation is stable).
public enum GTSRBLoader {
    /// GTSRB has 43 sign classes, labelled by their `ClassId`.
    public static let classCount = 43

    /// Loads every `GT-*.csv` in `folder` and its immediate subfolders, resizing each image to `size`×`size`.
    ///
    /// - Parameters:
    ///   - folder: `Final_Training/Images` or `Final_Test/Images` (or any folder of that shape).
    ///   - size: output side; the spec resizes to 32×32 with PIL bilinear (torchvision `Resize`).
    ///   - cropToROI: crop to the CSV's region of interest before resizing. Off by default, because the spec's
    ///     torchvision transform does not crop.
    /// - Returns: the images, 3 channels of `size`×`size`, labelled by `ClassId`.
    /// - Throws: ``DataFileError`` for a missing folder or CSV, a malformed row, an unknown class or a bad image.
    public static func load(folder: URL, size: Int = 32, cropToROI: Bool = false) throws -> LabeledImages {
        let csvFiles = try annotationFiles(in: folder)
        guard !csvFiles.isEmpty else {
            throw DataFileError(
                file: folder.path, problem: "no GT-*.csv annotation file in the folder or its subfolders")
        }
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for csv in csvFiles {
            for row in try parseAnnotations(csv) {
                let imageURL = csv.deletingLastPathComponent().appendingPathComponent(row.fileName)
                var image = try PPM.decode(try FileBytes.read(imageURL), file: imageURL.path)
                if cropToROI, let roi = row.roi {
                    // GTSRB's Roi.X2/Y2 are inclusive pixel coordinates.
                    image = image.cropped(x0: roi.x1, y0: roi.y1, x1: roi.x2 + 1, y1: roi.y2 + 1)
                    if image.width == 0 || image.height == 0 {
                        throw DataFileError(file: csv.path, problem: "empty region of interest for \(row.fileName)")
                    }
                }
                Resize.bilinear(image, width: size, height: size).appendPlanar(to: &pixels)
                labels.append(Int32(row.classID))
            }
        }
        return LabeledImages(
            unchecked: labels.count, channels: 3, height: size, width: size, pixels: pixels, labels: labels,
            labelNames: (0..<classCount).map { String($0) })
    }

    struct Row {
        var fileName: String
        var classID: Int
        var roi: (x1: Int, y1: Int, x2: Int, y2: Int)?
    }

    static func annotationFiles(in folder: URL) throws -> [URL] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataFileError(file: folder.path, problem: "no such folder")
        }
        func csvs(_ dir: URL) -> [URL] {
            let names = (try? manager.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.filter { $0.hasPrefix("GT-") && $0.hasSuffix(".csv") }.map { dir.appendingPathComponent($0) }
        }
        var found = csvs(folder)
        let children = ((try? manager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for child in children {
            var childIsFolder: ObjCBool = false
            let url = folder.appendingPathComponent(child)
            if manager.fileExists(atPath: url.path, isDirectory: &childIsFolder), childIsFolder.boolValue {
                found += csvs(url)
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    static func parseAnnotations(_ csv: URL) throws -> [Row] {
        guard let text = String(bytes: try FileBytes.read(csv), encoding: .utf8) else {
            throw DataFileError(file: csv.path, problem: "not UTF-8 text")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard let header = lines.first else { throw DataFileError(file: csv.path, problem: "empty annotation file") }
        let columns = header.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard let fileColumn = columns.firstIndex(of: "Filename"), let classColumn = columns.firstIndex(of: "ClassId")
        else {
            throw DataFileError(file: csv.path, problem: "header lacks Filename or ClassId columns: \(header)")
        }
        let roiColumns = ["Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2"].map { columns.firstIndex(of: $0) }
        var rows: [Row] = []
        for (lineNumber, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else {
                throw DataFileError(
                    file: csv.path,
                    problem: "line \(lineNumber + 1): \(fields.count) fields, header has \(columns.count)")
            }
            let name = fields[fileColumn]
            guard !name.isEmpty, !name.contains("/"), !name.contains("\\") else {
                throw DataFileError(file: csv.path, problem: "line \(lineNumber + 1): bad file name '\(name)'")
            }
            guard let classID = Int(fields[classColumn]), (0..<classCount).contains(classID) else {
                throw DataFileError(
                    file: csv.path,
                    problem: "line \(lineNumber + 1): ClassId '\(fields[classColumn])' outside 0..<\(classCount)")
            }
            var roi: (Int, Int, Int, Int)?
            let values = roiColumns.compactMap { $0.flatMap { Int(fields[$0]) } }
            if values.count == 4 { roi = (values[0], values[1], values[2], values[3]) }
            rows.append(Row(fileName: name, classID: classID, roi: roi))
        }
        return rows
    }
}
