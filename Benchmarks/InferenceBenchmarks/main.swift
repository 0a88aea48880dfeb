import Foundation
import NN
import PrivateInference

#if canImport(Glibc)
    import Glibc
#endif

/// Encrypted-inference benchmarks: `--micro` (kernel timings at N = 16384), `--kernel` (the lazy multiply-accumulate
/// alone), `--pipeline` (the whole exchange on the 5,000-image MNIST test half for the selections (1,1), (2,6) and
/// all filters, plus the measured full-encryption baseline `--full`; `--data-encrypted` measures the data-encrypted
/// baseline), each configuration in its own process so that peak RSS (VmHWM) is per configuration.
/// `--full-estimate` keeps the older extrapolation from kernel timings. Results are JSON lines on standard output.

ProcessMemory.useOneHeap()
let arguments = CommandLine.arguments
func value(_ flag: String) -> String? {
    guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

/// A preset named by `flag` (default "auto"); an unknown name stops the run instead of silently measuring `auto`.
func preset<P: RawRepresentable>(_ flag: String, _ type: P.Type) -> P where P.RawValue == String {
    let name = value(flag) ?? "auto"
    guard let preset = P(rawValue: name) else {
        FileHandle.standardError.write(Data("InferenceBenchmarks: \(flag) \(name): unknown parameter preset\n".utf8))
        exit(2)
    }
    return preset
}

let selections: [String: SelectedNeurons] = try [
    "1,1": SelectedNeurons([1: [0], 2: [0]]),
    "2,6": SelectedNeurons([1: [0, 1], 2: Array(0..<6)]),
    "all": SelectedNeurons([1: Array(0..<6), 2: Array(0..<16)]),
]

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
        usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func json(_ object: [String: Any]) -> String {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map {
        String(decoding: $0, as: UTF8.self)
    } ?? "{}"
}

if let spec = value("--tiles") {
    // DATASET:SHARE:TILES — the first TILES tiles of a request on seeded random images and a seeded random model
    // (pruning selection at SHARE %), with the phase times: one tile's cost without the whole request.
    let parts = spec.split(separator: ":").map(String.init)
    guard parts.count == 3, let set = Dataset(name: parts[0]), let share = Double(parts[1]), let tiles = Int(parts[2])
    else {
        FileHandle.standardError.write(Data("InferenceBenchmarks: --tiles DATASET:SHARE:TILES\n".utf8))
        exit(2)
    }
    let count = value("--images").flatMap(Int.init) ?? 5000
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-tiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let model = Model(set.architecture, seed: 0)
    let modelURL = root.appendingPathComponent("model.safetensors")
    let modelFile = Safetensors(
        stateDict: model.stateDict(), metadata: ["format": "pt", "architecture": set.architecture.rawValue])
    try modelFile.write(to: modelURL)
    let images = set.synthetic(count: count, seed: 0)
    let package = root.appendingPathComponent("package")
    _ = try OwnerRole.package(
        modelURL: modelURL, selection: .pruning(model, percent: share), out: package, preset: .auto,
        keys: root.appendingPathComponent("keys"), normalization: set.normalization)
    let start = DispatchTime.now().uptimeNanoseconds, cpu = cpuSeconds()
    let run = try UserRole.profileTiles(package: package, pixels: images.pixels, count: count, tiles: tiles)
    print(
        json([
            "tiles": run.evaluated, "of": run.total, "filter_block": run.filterBlock, "band_rows": run.bandRows,
            "dataset": set.rawValue, "share": share, "images": count,
            "seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, "cpu_seconds": cpuSeconds() - cpu,
            "phases": run.times.seconds,
        ]))
} else if let spec = value("--pixels") {
    // DATASET:SELECTION — one image at a time in the pixels packing through the file exchange, the package loaded
    // once (PixelsRun). MNIST takes the trained LeNet-5
    // (--model) and the first test image with a named selection (1,1 / 2,6 / all); the other data sets a seeded
    // random-initialised model and image (time does not depend on the weights) with SELECTION the pruning share in %.
    let parts = spec.split(separator: ":").map(String.init)
    guard parts.count == 2, let set = Dataset(name: parts[0]) else {
        FileHandle.standardError.write(Data("InferenceBenchmarks: --pixels DATASET:SELECTION\n".utf8))
        exit(2)
    }
    let parameters = try ParameterPreset.auto.encryptionParameters()
    let repeats = value("--repeats").flatMap(Int.init) ?? 5
    let report: PixelsRun.Report
    if set == .mnist {
        guard let selection = selections[parts[1]] else {
            FileHandle.standardError.write(Data("InferenceBenchmarks: --pixels mnist:1,1|2,6|all\n".utf8))
            exit(2)
        }
        let images = try Dataset.mnist.load(.test, root: value("--data-dir").map { URL(fileURLWithPath: $0) })
        report = try PixelsRun.run(
            modelURL: URL(fileURLWithPath: value("--model") ?? "models/lenet5-mnist.safetensors"),
            normalization: set.normalization, selection: selection, parameters: parameters,
            pixels: Array(images.pixels.prefix(28 * 28)), repeats: repeats)
    } else {
        guard let share = Double(parts[1]) else {
            FileHandle.standardError.write(Data("InferenceBenchmarks: --pixels DATASET:SHARE\n".utf8))
            exit(2)
        }
        let model = Model(set.architecture, seed: 0)
        report = try PixelsRun.run(
            model: model, normalization: set.normalization, selection: .pruning(model, percent: share),
            parameters: parameters, pixels: set.synthetic(count: 1, seed: 0).pixels, repeats: repeats)
    }
    print(
        json([
            "benchmark": "pixels/\(set.rawValue)/\(parts[1])", "random_model": set != .mnist,
            "outputs": report.outputs, "cipher_lanes": report.cipherLanes, "plain_lanes": report.plainLanes,
            "rotations": report.rotations, "seconds_package": report.secondsPackage, "seconds_load": report.secondsLoad,
            "seconds_user": report.secondsUser, "seconds_decrypt": report.secondsDecrypt,
            "seconds_finish": report.secondsFinish,
            "seconds_exchange": report.secondsUser + report.secondsDecrypt + report.secondsFinish,
            "agrees": report.agrees, "max_logit_difference": report.maxLogitDifference, "exchange": "files",
            "phases": report.phases.seconds,
            "weight_bytes": report.weightBytes, "galois_key_bytes": report.galoisKeyBytes,
            "request_bytes": report.requestBytes,
            "peak_rss_bytes": PeakMemory.bytes(),
        ]))
} else if arguments.contains("--micro") {
    try Micro.run()
} else if arguments.contains("--kernel") {
    let repeats = value("--repeats").flatMap(Int.init) ?? 5
    guard repeats > 0 else {
        FileHandle.standardError.write(Data("InferenceBenchmarks: --repeats takes 1 or more\n".utf8))
        exit(2)
    }
    try Micro.kernel(repeats: repeats)
} else if let name = value("--run"), let selection = selections[name] {
    // One configuration (a child process of --pipeline).
    let model = URL(fileURLWithPath: value("--model") ?? "models/lenet5-mnist.safetensors")
    let preset = preset("--params", ParameterPreset.self)
    var images = try Dataset.mnist.load(.test, root: value("--data-dir").map { URL(fileURLWithPath: $0) })
    if let limit = value("--limit").flatMap(Int.init) { images = images.subset(Array(0..<min(limit, images.count))) }
    let report = try ExchangeRun.run(
        modelURL: model, selection: selection, images: images, preset: preset,
        normalization: Dataset.mnist.normalization, packing: .batch)
    print(
        json([
            "benchmark": "privdnn/\(preset.rawValue)/N=\(preset.shape.degree)/selection=\(name)",
            "images": report.images,
            "phases": report.phases.seconds, "seconds_total": report.secondsTotal, "cpu_seconds": cpuSeconds(),
            "peak_rss_bytes": report.peakRSSBytes, "accuracy_plain": report.accuracyPlain,
            "accuracy_separate": report.accuracySeparate, "accuracy_encrypted": report.accuracyEncrypted,
            "agreement": report.agreement, "max_logit_difference": report.maxLogitDifference,
            "package_bytes": report.packageBytes, "request_bytes": report.requestBytes,
            "response_bytes": report.responseBytes,
        ]))
} else if arguments.contains("--full") {
    // The measured full-encryption baseline (FullEncryptionRun): every layer encrypted, in its own process.
    let model = URL(fileURLWithPath: value("--square-model") ?? "models/lenet5-mnist-square.safetensors")
    let preset = preset("--full-params", FullEncryptionPreset.self)
    var images = try Dataset.mnist.load(.test, root: value("--data-dir").map { URL(fileURLWithPath: $0) })
    if let limit = value("--limit").flatMap(Int.init) { images = images.subset(Array(0..<min(limit, images.count))) }
    let started = Machine.timestamp()
    let report = try FullEncryptionRun.run(
        modelURL: model, images: images, preset: preset, normalization: Dataset.mnist.normalization)
    let agrees = report.agreement == 100
    print(
        json([
            "benchmark": "full-encryption/\(preset.rawValue)/N=\(report.degree)/measured", "images": report.images,
            "date": started, "cpu": Machine.cpu(),
            "bit_sizes": report.bitSizes, "phases": report.phases.seconds, "seconds_total": report.secondsTotal,
            "cpu_seconds": report.cpuSeconds, "peak_rss_bytes": report.peakRSSBytes,
            "accuracy_plain": report.accuracyPlain, "accuracy_encrypted": report.accuracyEncrypted,
            "agreement": report.agreement, "agrees_with_plaintext": agrees,
            "max_logit_difference": report.maxLogitDifference, "operations": report.operations,
            "load_average": report.loadAverage,
        ]))
    if !agrees {
        FileHandle.standardError.write(Data("full encryption disagrees with the plaintext model\n".utf8))
        exit(1)
    }
} else if arguments.contains("--data-encrypted") {
    // The measured data-encrypted baseline (DataEncryptedRun): the user's images encrypted, plaintext weights.
    let model = URL(fileURLWithPath: value("--square-model") ?? "models/lenet5-mnist-square.safetensors")
    var images = try Dataset.mnist.load(.test, root: value("--data-dir").map { URL(fileURLWithPath: $0) })
    if let limit = value("--limit").flatMap(Int.init) { images = images.subset(Array(0..<min(limit, images.count))) }
    let packing = Packing(rawValue: value("--packing") ?? "batch") ?? .batch
    let report = try DataEncryptedRun.run(
        modelURL: model, images: images, packing: packing, normalization: Dataset.mnist.normalization)
    let agrees = report.agreement == 100
    print(
        json([
            "benchmark": "data-encrypted/\(packing.rawValue)/auto/N=\(report.degree)/measured", "images": report.images,
            "seconds_per_image": report.secondsPerImage, "galois_key_bytes": report.galoisKeyBytes,
            "prepared_bytes": report.preparedBytes,
            "bit_sizes": report.bitSizes, "phases": report.phases.seconds, "seconds_total": report.secondsTotal,
            "cpu_seconds": report.cpuSeconds, "peak_rss_bytes": report.peakRSSBytes,
            "accuracy_plain": report.accuracyPlain, "accuracy_encrypted": report.accuracyEncrypted,
            "agreement": report.agreement, "agrees_with_plaintext": agrees,
            "max_logit_difference": report.maxLogitDifference, "operations": report.operations,
            "upload_bytes": report.uploadBytes, "key_bytes": report.keyBytes, "download_bytes": report.downloadBytes,
            "load_average": report.loadAverage,
        ]))
    if !agrees {
        FileHandle.standardError.write(Data("data encryption disagrees with the plaintext model\n".utf8))
        exit(1)
    }
} else if arguments.contains("--full-estimate") {
    let start = DispatchTime.now().uptimeNanoseconds
    let estimate = try FullEncryptionEstimate.measure()
    print(
        json([
            "benchmark": "full-encryption/N=32768/estimated", "phases": estimate.phases,
            "seconds_total": estimate.secondsTotal,
            "peak_bytes_lower_bound": estimate.peakBytes, "package_bytes": estimate.packageBytes,
            "operations": estimate.operations,
            "measurement_seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            "peak_rss_bytes_of_measurement": PeakMemory.bytes(),
        ]))
} else if arguments.contains("--pipeline") {
    // Each configuration in a child process (peak RSS is per process).
    var forwarded: [String] = []
    for flag in ["--model", "--data-dir", "--limit", "--params"] { if let v = value(flag) { forwarded += [flag, v] } }
    var full = ["--full"]
    for flag in ["--square-model", "--data-dir", "--limit", "--full-params"] {
        if let v = value(flag) { full += [flag, v] }
    }
    let names = (value("--selections") ?? "1,1;2,6;all").split(separator: ";").map(String.init)
    for configuration in names.map({ ["--run", $0] + forwarded }) + [full] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = configuration
        try child.run()
        child.waitUntilExit()
    }
} else if let input = value("--networks-chart") {
    // The time-versus-share chart from `privdnn inference --json` lines (Benchmarks/run_networks.sh).
    let out = value("--out") ?? "Benchmarks/InferenceBenchmarks/networks.svg"
    let lines = try String(contentsOfFile: input, encoding: .utf8)
    try NetworksChart.render(jsonLines: lines).write(toFile: out, atomically: true, encoding: .utf8)
    print("wrote \(out)")
} else {
    print(
        "usage: InferenceBenchmarks --micro | --kernel [--repeats R] | --pipeline [--model M] [--data-dir D] "
            + "[--limit K] [--params auto|privdnn] [--selections '1,1;2,6;all'] [--full-params auto|privdnn] | --full "
            + "[--square-model M] [--full-params auto|privdnn] [--data-dir D] [--limit K] | --data-encrypted "
            + "[--square-model M] [--data-dir D] [--limit K] [--packing batch|pixels] | --full-estimate | "
            + "--networks-chart networks.jsonl [--out networks.svg]")
}
