import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn demo`: the product in one command — greedy (1, 1) selection on the validate half, packaging, the
/// encrypted owner/user exchange on the test half, a summary table (or JSON) and an SVG chart.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Greedy-select 1+1 core filters of LeNet5-MNIST, run the encrypted exchange on the test half, report.",
        discussion: "--model defaults to the committed LeNet-5, \(DemoCommand.defaultModel); --dataset must be mnist.")

    /// The committed LeNet-5 MNIST model, read when `--model` is not given.
    static let defaultModel = "models/lenet5-mnist.safetensors"

    @OptionGroup var data: DataOptions
    @OptionGroup var trained: ModelOption
    @Option(help: "Use a selection JSON instead of running greedy selection.") var selection: String?
    @Option(help: "Evaluate only the first K test images.") var limit: Int?
    @Option(help: "CKKS parameters.") var params: ParameterPreset = .auto
    @Option(help: "SVG chart to write.") var svg = "privdnn-demo.svg"
    @Option(
        help: """
            Full-encryption baseline: recorded (the newest run measured by `InferenceBenchmarks --full`, read from \
            --full-baseline-record), run (measure it now: every layer of the Square-activation LeNet-5 encrypted, \
            about 8 minutes on 2 cores), estimate (kernel timings × operation counts, under a minute), or none.
            """)
    var fullBaseline: FullBaselineChoice = .recorded
    @Option(help: "JSON-lines file of measured full-encryption runs for --full-baseline recorded.")
    var fullBaselineRecord = FullBaseline.defaultRecord
    @Option(
        help: """
            Data-encrypted (CryptoNets-style) baseline: run (measure it now on the same images: the user's images \
            encrypted, the owner's weights in the clear, N=16384; about half a minute on 2 idle cores) or none.
            """)
    var dataEncrypted: DataEncryptedChoice = .run
    @Option(
        help: """
            One picture at a time, as an app classifies: run (PrivDNN's pixels packing and, with --data-encrypted \
            run, the data-encrypted one-image run, each on the first test image; a few seconds) or none.
            """)
    var oneImage: OneImageChoice = .run
    @Option(help: "LeNet-5 with Square FC activations for --full-baseline run and --data-encrypted run.")
    var squareModel = "models/lenet5-mnist-square.safetensors"
    @Flag(help: "Same as --full-baseline none.") var noBaseline = false
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard data.dataset == .mnist else {
            throw ValidationError("demo runs LeNet-5 on MNIST: --dataset must be mnist")
        }
    }

    func run() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let root = data.root, model = trained.path(default: Self.defaultModel)
        let modelURL = URL(fileURLWithPath: model)
        guard FileManager.default.fileExists(atPath: model) else {
            throw ToolError("\(model): no such model (train one with `privdnn train --dataset mnist`)")
        }
        let (net, test) = try InferenceSupport.run { () throws -> (Model, LabeledImages) in
            let net = try Model(contentsOf: URL(fileURLWithPath: model), architecture: .lenet5MNIST)
            return (net, try Dataset.mnist.load(.test, root: root))
        }
        // 1. Selection on the validate half (spec §12 item 13: never on the reporting half).
        let chosen: SelectedNeurons
        let selectionSeconds: Double
        let selectStart = DispatchTime.now().uptimeNanoseconds
        if let selection {
            chosen = try InferenceSupport.selection(selection)
        } else {
            // Exactly `privdnn select --algorithm greedy --count 1,1`'s path: its evaluator of the validate half (the
            // factored one for LeNet-5) and its greedy search.
            let evaluator = try SelectionInputs.evaluator(
                model: net, subset: .validate, data: data, limit: nil)
            chosen = try InferenceSupport.run {
                try SelectionInputs.greedy(
                    GreedySelection(counts: [1, 1], base: Dataset.mnist.accuracyBase), on: evaluator, label: "greedy")
            }
        }
        selectionSeconds = Double(DispatchTime.now().uptimeNanoseconds - selectStart) / 1e9
        // 2. A_r on the test half (A_o and A_s come with the exchange's report, which compares with both models).
        var images = test
        if let limit { images = images.subset(Array(0..<min(limit, images.count))) }
        let remove = try InferenceSupport.run { () throws -> Double in
            let evaluator = try SelectionEvaluators.make(
                model: net, images: images.tensor(normalization: Dataset.mnist.normalization),
                labels: images.labels.map(Int.init))
            return try evaluator.evaluate(chosen, mode: .remove).roundedAccuracy
        }
        // 3. The encrypted exchange.
        let (progress, box) = InferenceSupport.progress("encrypted inference")
        let report = try InferenceSupport.run {
            try ExchangeRun.run(
                modelURL: modelURL, selection: chosen, images: images, preset: params,
                normalization: Dataset.mnist.normalization, progress: progress)
        }
        box.finish()
        // 4. The full-encryption baseline: measured, or estimated from kernel timings, in this process.
        let baseline = try FullBaseline.make(
            noBaseline ? .none : fullBaseline, squareModel: squareModel, images: images,
            record: fullBaselineRecord, preset: params.rawValue)
        // 5. The data-encrypted baseline, measured in this process after the others (it resets the peak RSS
        //    counter so that its peak is its own).
        let dataBaseline = try DataEncryptedBaseline.make(dataEncrypted, squareModel: squareModel, images: images)
        // 6. One picture, both ways.
        let single = try OneImageComparison.make(
            oneImage, modelURL: modelURL, selection: chosen, preset: params,
            squareModel: dataBaseline == nil ? nil : squareModel, images: images
        ).map { comparison in
            var comparison = comparison
            comparison.full = baseline
            return comparison
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try chart(report, baseline, dataBaseline, single).write(to: URL(fileURLWithPath: svg))

        let selectionText = chosen.layerNumbers.map { "\($0): \(chosen[$0])" }.joined(separator: ", ")
        let timeSaving = baseline.map { 100 * (1 - report.secondsTotal / $0.secondsTotal) }
        let memorySaving = baseline.map { 100 * (1 - Double(report.peakRSSBytes) / $0.peakBytes) }
        // The partial exchange's bytes on the wire: the model package (once) plus the request and response.
        let partialWire = Double(report.packageBytes + report.requestBytes + report.responseBytes)
        let wireSaving = baseline?.wireBytes.map { 100 * (1 - partialWire / $0) }
        let dataSavings = dataBaseline.map { d in
            (
                time: 100 * (1 - report.secondsTotal / d.report.secondsTotal),
                memory: 100 * (1 - Double(report.peakRSSBytes) / Double(d.report.peakRSSBytes)),
                wire: 100 * (1 - partialWire / Double(d.wireBytes))
            )
        }
        if json {
            var extra: [String: Any] = [
                "selection": Dictionary(uniqueKeysWithValues: chosen.layers.map { (String($0.key), $0.value) }),
                "accuracy_remove": remove, "seconds_selection": selectionSeconds, "seconds_demo": total,
                "svg": svg,
            ]
            if let baseline {
                extra["full_encryption_seconds"] = baseline.secondsTotal
                extra["full_encryption_peak_bytes"] = baseline.peakBytes
                extra["full_encryption_kind"] = baseline.kind
                extra["full_encryption_phases"] = InferenceReportJSON.phaseList(baseline.phases)
                if let measuredOn = baseline.measuredOn { extra["full_encryption_measured_on"] = measuredOn }
                if let agreement = baseline.agreement { extra["full_encryption_agreement"] = agreement }
                extra["saving_time_percent"] = timeSaving
                extra["saving_memory_percent"] = memorySaving
            }
            if let wireSaving { extra["saving_wire_percent"] = wireSaving }
            if let dataBaseline, let dataSavings {
                let d = dataBaseline.report
                extra["data_encrypted_seconds"] = d.secondsTotal
                extra["data_encrypted_cpu_seconds"] = d.cpuSeconds
                extra["data_encrypted_peak_bytes"] = d.peakRSSBytes
                extra["data_encrypted_agreement"] = d.agreement
                extra["data_encrypted_accuracy"] = d.accuracyEncrypted
                extra["data_encrypted_max_logit_difference"] = d.maxLogitDifference
                extra["data_encrypted_upload_bytes"] = d.uploadBytes
                extra["data_encrypted_key_bytes"] = d.keyBytes
                extra["data_encrypted_download_bytes"] = d.downloadBytes
                extra["data_encrypted_phases"] = InferenceReportJSON.phaseList(d.phases.seconds)
                extra["data_encrypted_load_average"] = d.loadAverage
                extra["saving_vs_data_encrypted_time_percent"] = dataSavings.time
                extra["saving_vs_data_encrypted_memory_percent"] = dataSavings.memory
                extra["saving_vs_data_encrypted_wire_percent"] = dataSavings.wire
            }
            if let single { extra.merge(single.json) { _, new in new } }
            print(try InferenceReportJSON.encode(report, extra: extra))
            return
        }
        print("selection (greedy on validate)  {\(selectionText)}  in \(String(format: "%.1f", selectionSeconds)) s")
        print(InferenceReportJSON.table(report, remove: remove))
        if let baseline, let timeSaving, let memorySaving {
            print(baseline.summary)
            let wire = wireSaving.map { String(format: ", bytes on the wire %.1f %%", $0) } ?? ""
            print(
                String(format: "saving against full encryption: time %.1f %%, memory %.1f %%", timeSaving, memorySaving)
                    + wire)
        }
        if let dataBaseline, let dataSavings {
            print(dataBaseline.summary)
            print(
                String(
                    format: "saving against data encryption: time %.1f %%, memory %.1f %%, bytes on the wire %.1f %%",
                    dataSavings.time, dataSavings.memory, dataSavings.wire)
                    + "  (partial: \(InferenceSupport.bytes(Int(partialWire))) incl. the one-time package)")
            var slower: [String] = []
            if dataSavings.time < 0 { slower.append("slower") }
            if dataSavings.memory < 0 { slower.append("uses more memory") }
            if dataSavings.wire < 0 { slower.append("sends more bytes") }
            if !slower.isEmpty {
                print("  partial encryption \(slower.joined(separator: ", ")) than data encryption on this run")
            }
            print(
                "  (protects: data encryption the images from the owner, the model stays with the owner; "
                    + "partial encryption the core filters from the user, the images stay with the user)")
        }
        for line in single?.summary ?? [] { print(line) }
        print("chart: \(svg)   demo wall time \(String(format: "%.1f", total)) s")
    }

    /// The partial exchange beside full encryption and data encryption, horizontal bars on log axes: the time of
    /// every phase (in pipeline order, after the totals), then peak memory, bytes on the wire and one image.
    func chart(
        _ report: InferenceReport, _ baseline: FullBaseline?, _ dataBaseline: DataEncryptedBaseline?,
        _ single: OneImageComparison?
    ) -> SVGBarChart {
        let series = [
            "partial (PrivDNN, measured in this run)",
            baseline.map { b in
                b.recordedIn != nil
                    ? "full encryption (recorded: \(b.measuredOn ?? "date and CPU not recorded"))"
                    : "full encryption (\(b.kind) in this run)"
            } ?? "full encryption (none)",
            "data encrypted (measured in this run)",
        ]
        func seconds(_ value: Double) -> String {
            String(
                format: value < 0.1 ? "%.1f ms" : value < 10 ? "%.2f s" : "%.0f s", value < 0.1 ? value * 1e3 : value)
        }
        func bytes(_ value: Double) -> String { InferenceSupport.bytes(Int(value)) }
        // The three runs' seconds by phase; a run without a phase has no bar in its row.
        let phases: [(series: Int, seconds: [String: Double])] =
            [(0, report.phases.seconds)] + (baseline.map { [(1, $0.phases)] } ?? [])
            + (dataBaseline.map { [(2, $0.report.phases.seconds)] } ?? [])
        let names = PhaseTimes.ordered(phases.reduce(into: [:]) { all, run in all.merge(run.seconds) { a, _ in a } })
        var totals = [SVGBarChart.Bar(series: 0, value: report.secondsTotal, text: seconds(report.secondsTotal))]
        var memory = [
            SVGBarChart.Bar(series: 0, value: Double(report.peakRSSBytes), text: bytes(Double(report.peakRSSBytes)))
        ]
        let partialWire = Double(report.packageBytes + report.requestBytes + report.responseBytes)
        var wire = [SVGBarChart.Bar(series: 0, value: partialWire, text: bytes(partialWire))]
        if let baseline {
            totals.append(
                SVGBarChart.Bar(series: 1, value: baseline.secondsTotal, text: seconds(baseline.secondsTotal)))
            memory.append(SVGBarChart.Bar(series: 1, value: baseline.peakBytes, text: bytes(baseline.peakBytes)))
            if let sent = baseline.wireBytes { wire.append(SVGBarChart.Bar(series: 1, value: sent, text: bytes(sent))) }
        }
        if let d = dataBaseline {
            totals.append(
                SVGBarChart.Bar(series: 2, value: d.report.secondsTotal, text: seconds(d.report.secondsTotal)))
            let peak = Double(d.report.peakRSSBytes)
            memory.append(SVGBarChart.Bar(series: 2, value: peak, text: bytes(peak)))
            wire.append(SVGBarChart.Bar(series: 2, value: Double(d.wireBytes), text: bytes(Double(d.wireBytes))))
        }
        let time =
            [SVGBarChart.Group(label: "total", bars: totals)]
            + names.map { name in
                SVGBarChart.Group(
                    label: name.phase,
                    bars: phases.compactMap { run in
                        run.seconds[name.phase].map {
                            SVGBarChart.Bar(series: run.series, value: $0, text: seconds($0))
                        }
                    })
            }
        var panels = [
            SVGBarChart.Panel(
                name: "time", title: "time per phase, seconds (package through finish; log scale)",
                tickLabel: Self.secondsTick, groups: time),
            SVGBarChart.Panel(
                name: "memory", title: "peak memory, bytes (log scale)", tickLabel: Self.bytesTick,
                groups: [SVGBarChart.Group(label: "peak RSS", bars: memory)]),
            SVGBarChart.Panel(
                name: "wire", title: "bytes on the wire: the partial package once, requests, responses (log scale)",
                tickLabel: Self.bytesTick, groups: [SVGBarChart.Group(label: "sent", bars: wire)]),
        ]
        if let single {
            var bars = [
                SVGBarChart.Bar(
                    series: 0, value: single.partialSeconds, text: seconds(single.partialSeconds) + " (pixels packing)")
            ]
            if let d = single.data {
                bars.append(SVGBarChart.Bar(series: 2, value: d.secondsPerImage, text: seconds(d.secondsPerImage)))
            }
            panels.append(
                SVGBarChart.Panel(
                    name: "one image",
                    title: "one image, seconds (package, keys and setup once, not counted; log scale)",
                    tickLabel: Self.secondsTick, groups: [SVGBarChart.Group(label: "one image", bars: bars)]))
        }
        return SVGBarChart(
            title: String(
                format: "PrivDNN LeNet5-MNIST, %d test images: encrypted %.2f %%, agreement %.2f %%", report.images,
                report.accuracyEncrypted, report.agreement),
            series: series, reference: 0, panels: panels)
    }

    /// A decade of seconds: "0.1 ms", "10 ms", "0.1 s", "1 s", "100 s".
    static let secondsTick: @Sendable (Double) -> String = { value in
        value < 0.1 ? String(format: "%g ms", value * 1e3) : String(format: "%g s", value)
    }

    /// A decade of bytes: "100 kB", "1 MB", "10 GB".
    static let bytesTick: @Sendable (Double) -> String = { value in
        let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        let (scale, unit) = units.first { value >= $0.0 * 0.999 } ?? (1, "B")
        return String(format: "%.0f %@", value / scale, unit as NSString)
    }
}
