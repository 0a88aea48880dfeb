import Foundation
import NN

/// Core-neuron selection on real MNIST (spec §7): greedy (1,1) — 38 search evaluations plus the 3 of the closing
/// test, 41 passes over the 5,000-image validate half — with the factored LeNet-5 evaluator and with the plain
/// masked model, and slices of the exhaustive enumeration (two evaluations per selection).
///
/// Uses `models/lenet5-mnist.safetensors` when present; otherwise a LeNet-5 trained for one pass over 6,000
/// images (timings do not depend on the weights). Run from the repository root.
enum SelectionBenchmarks: BenchmarkGroup {
    static func benchmarks(quick: Bool) -> [Benchmark] {
        var result = [
            Benchmark("selection / MNIST / greedy (1,1) + closing test / factored / 5000 images", units: 41) {
                try greedy(factored: true)
            },
            Benchmark("selection / MNIST / exhaustive (1,1) all 96 / factored / 5000 images", units: 192) {
                try exhaustive(layer1: 1, layer2: 1, rows: 96)
            },
            Benchmark("selection / MNIST / exhaustive (2,6) first 1000 / factored / 5000 images", units: 2000) {
                try exhaustive(layer1: 2, layer2: 6, rows: 1000)
            },
        ]
        if !quick {
            result.append(
                Benchmark("selection / MNIST / greedy (1,1) + closing test / masked model / 5000 images", units: 41) {
                    try greedy(factored: false)
                })
        }
        return result
    }

    /// Process CPU seconds (user + system) so far: on a shared machine the wall time overstates the work.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Wraps a body so each call also prints its CPU time to stderr as `{"name":…,"cpu_s":…,"wall_s":…}`.
    static func reportingCPU(_ name: String, _ body: @escaping () -> Void) -> () -> Void {
        {
            let cpu = cpuSeconds(), wall = Date()
            body()
            let line = String(
                format: "{\"name\":\"%@\",\"cpu_s\":%.3f,\"wall_s\":%.3f}\n", name, cpuSeconds() - cpu,
                Date().timeIntervalSince(wall))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// The model and the validate half, loaded once.
    nonisolated(unsafe) static var cached: (Model, Tensor, [Int])?

    static func inputs() throws -> (Model, Tensor, [Int]) {
        if let cached { return cached }
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data/mnist")
        let model = Model(.lenet5MNIST, seed: 1)
        let file = URL(fileURLWithPath: "models/lenet5-mnist.safetensors")
        if FileManager.default.fileExists(atPath: file.path) {
            try model.load(try Safetensors(contentsOf: file).floatTensors(file: file.path))
        } else {
            let train = try Dataset.mnist.loadOfficial(train: true, root: root)
            let recipe = TrainingRecipe(optimizer: .adam, learningRate: 2e-3, momentum: 0, epochs: 1, batchSize: 64)
            _ = Trainer(model: model, recipe: recipe, seed: 2)
                .trainEpoch(0, images: train.tensor(0..<6000), labels: Array(train.intLabels[0..<6000]))
        }
        let (images, labels) = try Dataset.mnist.tensors(.validate, root: root)
        cached = (model, images, labels)
        return (model, images, labels)
    }

    /// Evaluator set-up, greedy and the closing test: what `privdnn select --algorithm greedy --count 1,1` times.
    static func greedy(factored: Bool) throws -> () -> Void {
        let (model, images, labels) = try inputs()
        return reportingCPU(factored ? "greedy factored" : "greedy masked") {
            do {
                let evaluator: any SelectionEvaluator =
                    factored
                    ? try LeNetSelectionEvaluator(model: model, images: images, labels: labels)
                    : try ModelSelectionEvaluator(model: model, images: images, labels: labels)
                let selection = try GreedySelection(counts: [1, 1], base: 99.36).run(on: evaluator)
                blackHole(try ClosingTest(selection: selection, evaluator: evaluator, base: 99.36))
                precondition(evaluator.evaluationCount == 41)
            } catch {
                preconditionFailure("greedy benchmark: \(error)")
            }
        }
    }

    /// The first `rows` selections of category (layer1, layer2), evaluator built outside the timed region.
    static func exhaustive(layer1: Int, layer2: Int, rows: Int) throws -> () -> Void {
        let (model, images, labels) = try inputs()
        let evaluator = try LeNetSelectionEvaluator(model: model, images: images, labels: labels)
        let category = try ExhaustiveGrid.mnist.category(layer1Count: layer1, layer2Count: layer2)
        return reportingCPU("exhaustive (\(layer1),\(layer2)) \(rows) rows") {
            do {
                blackHole(
                    try ExhaustiveSearch(grid: .mnist).run(on: evaluator, categories: [category], indices: 0..<rows))
            } catch {
                preconditionFailure("exhaustive benchmark: \(error)")
            }
        }
    }
}
