import Foundation

/// A JSON-lines file of ``ExhaustiveSearch/Row``s, so the days-long exhaustive runs can save as they go and resume
/// (the original saved `thread_0.npy` every 100 rows).
public enum ExhaustiveLog {
    /// Appends `rows` to `url` (created if absent), one compact JSON object per line.
    ///
    /// An unfinished last line (from a run killed mid-write) is removed first.
    /// - Throws: ``DataFileError`` if the file cannot be opened or written.
    public static func append(_ rows: [ExhaustiveSearch.Row], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var text = Data()
        for row in rows {
            guard let line = try? encoder.encode(row) else {
                throw DataFileError(file: url.path, problem: "row \(row.index) cannot be encoded")
            }
            text.append(line)
            text.append(0x0a)
        }
        let manager = FileManager.default
        if !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw DataFileError(file: url.path, problem: "cannot be created")
            }
        }
        do {
            let handle = try FileHandle(forUpdating: url)
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            if size > 0 {
                // Drop an unfinished last line left by a killed run, so the new rows start on a line of their own.
                let tailStart = size > 4096 ? size - 4096 : 0
                try handle.seek(toOffset: tailStart)
                let tail = try handle.readToEnd() ?? Data()
                if tail.last != 0x0a {
                    let keep: UInt64
                    if let newline = tail.lastIndex(of: 0x0a) {
                        keep = tailStart + UInt64(newline - tail.startIndex) + 1
                    } else if tailStart == 0 {
                        keep = 0
                    } else {
                        throw DataFileError(file: url.path, problem: "last line is longer than 4,096 bytes")
                    }
                    try handle.truncate(atOffset: keep)
                }
                try handle.seekToEnd()
            }
            try handle.write(contentsOf: text)
        } catch let error as DataFileError {
            throw error
        } catch {
            throw DataFileError(file: url.path, problem: "cannot be appended to (\(error.localizedDescription))")
        }
    }

    /// Reads every row of a log, in file order.
    ///
    /// A last line without its newline (a run killed mid-write) is ignored, so a resumed run rewrites that row.
    /// - Returns: the rows.
    /// - Throws: ``DataFileError`` naming the file and line for a line that is not a row.
    public static func read(_ url: URL) throws -> [ExhaustiveSearch.Row] {
        let bytes = try FileBytes.read(url)
        let decoder = JSONDecoder()
        var rows: [ExhaustiveSearch.Row] = []
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        // Everything after the last newline is an unfinished write.
        lines.removeLast()
        for (number, line) in lines.enumerated() where !line.isEmpty {
            do {
                rows.append(try decoder.decode(ExhaustiveSearch.Row.self, from: Data(line)))
            } catch {
                throw DataFileError(file: url.path, problem: "line \(number + 1) is not an exhaustive-search row")
            }
        }
        return rows
    }

    /// The first row index not yet in the log (0 for a missing or empty log): where a resumed run starts.
    ///
    /// - Throws: ``DataFileError`` for a corrupt log.
    public static func nextIndex(_ url: URL) throws -> Int {
        guard FileManager.default.fileExists(atPath: url.path) else { return 0 }
        return (try read(url).map(\.index).max() ?? -1) + 1
    }
}
