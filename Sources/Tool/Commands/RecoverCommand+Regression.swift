import ArgumentParser
import Foundation
import NN
import PrivateInference

extension RecoverCommand {
    /// `--attack regression`: prepares the undefended (and, for `--defence obscure|naive`, an obfuscated variant
    /// of the) model and runs the sweep.
    func regression(_ architecture: Architecture) throws -> RegressionSweepResult {
        let (counts, probes, defences) = try regressionLists()
        let model = try loadModel(architecture)
        let chosen = try loadSelection(model)
        guard !chosen[2].isEmpty else {
            throw ValidationError(
                "--attack regression needs encrypted conv2 filters in the selection (the decrypted outputs)")
        }
        let dataset = data.dataset
        let sets = try AttackData.load(dataset, root: data.root, samples: 1, testLimit: testLimit, seed: seed)
        let train = try data.load(.train)
        var generator = Xoshiro256(seed: seed ^ 0x5245_4752)  // "REGR"
        let order = generator.permutation(train.count)
        // The attacker's own images and the owner's (for retraining obscure kernels) are disjoint draws.
        let largest = counts.max() ?? 1
        let pool =
            probes.contains(.mnist)
            ? LabeledTensor(
                train.subset(Array(order.prefix(min(largest, train.count)))), normalization: dataset.normalization)
            : nil
        let views = try ModelSelectionEvaluator(model: model, images: sets.test.images, labels: sets.test.labels)
            .accuracies(chosen, includingOriginal: true)
        let plain: RegressionTarget
        do {
            plain = try RegressionTarget(
                model, selection: chosen, test: sets.test, normalization: dataset.normalization)
        } catch let error as NNError {
            throw ValidationError("--attack regression: \(error.description)")
        }
        var obscured: RegressionTarget?
        if defences.contains(where: { $0 != .none }) {
            let ownerCount = min(samples ?? 10_000, max(1, train.count - largest))
            let owner = LabeledTensor(
                train.subset(Array(order.suffix(ownerCount))), normalization: dataset.normalization)
            let obfuscation = PolymorphicObfuscation(epochs: epochs ?? 8, variants: 1, seed: seed)
            let progress = ProgressReporter(label: "obscure kernels", total: obfuscation.epochs, unit: "epoch")
            let variant = try obfuscation.run(
                model, channels: chosen[2], train: owner, test: sets.test, validate: sets.validate
            ) { _, _ in progress.advance() }
            progress.finish()
            obscured = try RegressionTarget(
                model, selection: chosen, test: sets.test, normalization: dataset.normalization,
                kernels: variant.variants.first?.kernels)
        }
        // The owner's flooding (σ per coefficient) seen on a decoded slot at N = 16384.
        let sigma = noise ?? FloodingParameters.standard.sigma(resultScale: 1) * Double(8192).squareRoot()
        let trials = variants ?? 3
        let attack = RegressionAttack(
            queries: 1, noiseSigma: sigma, restarts: restarts, iterations: iterations ?? 60, seed: seed)
        let sweep = RegressionSweep(
            queries: counts, probes: probes, defences: defences, attack: attack, trials: trials)
        let progress = ProgressReporter(
            label: "regression", total: counts.count * probes.count * defences.count * trials, unit: "run")
        let points = try sweep.run(plain: plain, obscured: obscured, pool: pool) { _, _ in progress.advance() }
        progress.finish()
        let result = RegressionSweepResult(
            points: points, originalAccuracy: views.original ?? 0, separateAccuracy: views.separate,
            removeAccuracy: views.remove)
        if let plot { try Data(result.plot.utf8).write(to: URL(fileURLWithPath: plot), options: .atomic) }
        return result
    }

    /// `--queries`, `--probe` and `--defence` parsed.
    func regressionLists() throws -> ([Int], [QueryProbe], [RegressionDefence]) {
        (
            try Self.list(queries, "--queries", "positive integers") { Int($0).flatMap { $0 >= 1 ? $0 : nil } },
            try Self.list(probe, "--probe", "mnist, uniform or impulse") { QueryProbe(rawValue: $0) },
            try Self.list(defence, "--defence", "none, obscure or naive") { RegressionDefence(rawValue: $0) }
        )
    }

    /// A comma-separated option parsed element by element.
    static func list<T>(_ text: String, _ flag: String, _ expected: String, _ parse: (String) -> T?) throws -> [T] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap(parse)
        guard !values.isEmpty, values.count == parts.count else {
            throw ValidationError("\(flag) needs \(expected) separated by commas, got '\(text)'")
        }
        return values
    }
}

extension RegressionSweepResult {
    /// One line per run and the reference accuracies.
    var text: String {
        func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        var lines = ["defence  probe    queries  weight err  known err  hidden err  output err  accuracy  ok   [s]"]
        for p in points {
            let r = p.result
            lines.append(
                pad(p.defence.rawValue, 9) + pad(r.probe.rawValue, 9)
                    + String(
                        format: "%7d  %10.2e  %9.2e  %10@  %10.2e  %7.2f%%  %d/%d  %.1f", r.queries, r.weightError,
                        r.knownInputError, r.hiddenInputError.map { String(format: "%.2e", $0) } ?? "-", r.outputError,
                        r.recoveredAccuracy, p.successes, p.trials, r.seconds))
        }
        lines.append("(each row: the median of the trials by weight error; ok = trials with weight error < 1e-2)")
        lines.append(
            String(
                format: "A_o %.2f%%  A_s %.2f%%  A_r %.2f%%", originalAccuracy, separateAccuracy, removeAccuracy))
        if let obscured = points.first(where: { $0.defence != .none }) {
            lines.append(String(format: "obfuscated variant (deployed): %.2f%%", obscured.result.deployedAccuracy))
        }
        return lines.joined(separator: "\n")
    }
}
