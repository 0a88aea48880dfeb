import Foundation

/// One fuzzed reader: `run` feeds it one input (errors it throws are the expected outcome for bad bytes; only a
/// crash, a leak or a limit exceeded is a finding), `seeds` makes its starting corpus.
struct Harness {
    let name: String
    /// What it reads, for `--list` and docs/fuzzing.md.
    let summary: String
    let run: ([UInt8]) -> Void
    let seeds: () throws -> [(name: String, bytes: [UInt8])]
}

/// Every harness, by name.
enum Harnesses {
    static let all: [Harness] = SEALHarnesses.all + NNHarnesses.all + ExchangeHarnesses.all + ServiceHarnesses.all

    static func named(_ name: String) -> Harness? { all.first { $0.name == name } }
}

/// A private scratch directory per fuzzing process (in memory when /dev/shm exists), for the readers that take a
/// path: the input is written where the real command would read it.
enum Scratch {
    static let root: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent(
            "privdnn-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: url)
        makeDirectory(url)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// A fresh (emptied) subdirectory.
    static func directory(_ name: String) -> URL {
        let url = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        makeDirectory(url)
        return url
    }

    /// Makes directory `url` and its parents (nothing if it exists).
    static func makeDirectory(_ url: URL) {
        setUp("cannot make \(url.path)") {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
    }

    /// Writes `bytes` to `url`, replacing it.
    static func write(_ bytes: [UInt8], to url: URL) {
        setUp("cannot write \(url.path)") { try Data(bytes).write(to: url) }
    }
}

/// `body`'s value, or, if it throws, the end of the process with its error (exit status 2, which libFuzzer reports
/// as a finding).
///
/// For the harnesses' own set-up (scratch files, the fixed toy fixtures), which works on any sound build and
/// machine: fuzzing on without it would exercise nothing.
func setUp<T>(_ what: String, _ body: () throws -> T) -> T {
    do { return try body() } catch { fail("\(what): \(error)") }
}

/// Seed helpers.
enum Seeds {
    /// The repository root (the harness runs from it, or finds it beside its build folder).
    static let repository: URL = {
        var url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// A repository file's bytes (vectors, fixtures, models).
    static func file(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: repository.appendingPathComponent(path)))
    }

    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }
}
