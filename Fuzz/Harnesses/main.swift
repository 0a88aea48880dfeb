import CLibFuzzer
import Foundation

// privdnn-fuzz --harness=NAME [libFuzzer flags and corpus directories]
// privdnn-fuzz --list                      the harnesses
// privdnn-fuzz --make-seeds=DIR [--harness=NAME]   writes DIR/<harness>/<seed> and exits
// libFuzzer ignores flags that start with "--", so ours pass through its argument parsing (and to -fork children).

var selected: Harness?

/// libFuzzer's entry point: runs the selected harness on one input.
///
/// - Parameters:
///   - data: the input's bytes.
///   - size: the input's length.
/// - Returns: 0, as libFuzzer requires (a harness reports findings by crashing, leaking or exceeding limits).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // The driver starts only after a harness is selected (below); a missing one is a bug of this file.
    guard let harness = selected else { fail("no harness selected before fuzzing") }
    harness.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

func option(_ name: String) -> String? {
    CommandLine.arguments.first { $0.hasPrefix("--\(name)=") }.map { String($0.dropFirst(name.count + 3)) }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("privdnn-fuzz: \(message)\n".utf8))
    exit(2)
}

if CommandLine.arguments.contains("--list") {
    for harness in Harnesses.all { print("\(harness.name)\t\(harness.summary)") }
    exit(0)
}
let name = option("harness")
if let out = option("make-seeds") {
    for harness in Harnesses.all where name == nil || harness.name == name {
        let dir = URL(fileURLWithPath: out).appendingPathComponent(harness.name)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        do {
            for seed in try harness.seeds() { try Data(seed.bytes).write(to: dir.appendingPathComponent(seed.name)) }
        } catch {
            fail("seeds of \(harness.name): \(error)")
        }
    }
    exit(0)
}
guard let name, let harness = Harnesses.named(name) else {
    fail("give --harness=NAME, one of: \(Harnesses.all.map(\.name).joined(separator: ", "))")
}
selected = harness
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
