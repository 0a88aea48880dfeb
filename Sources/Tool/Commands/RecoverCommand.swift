import ArgumentParser
import Foundation
import NN
import PrivateInference

/// `privdnn recover`: the model-stealing attacks and the defence of spec §8 on a trained model and a selection.
struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Run an attack on a partially encrypted model: scratch (A_t), model (A_rec), input, obfuscation, "
            + "regression.",
        discussion: """
            scratch: train a fresh model on --samples validate images (A_t); needs no model or selection.

            model: re-initialise the selected filters and retrain on --samples validate images, the encrypted \
            filters at 10x the rate of the rest (A_rec); prints A_o, A_s, A_r and A_rec. With --sweep 10,20,...,100 \
            the attack runs at each share of encrypted filters instead of --selection (greedy or random selection \
            on the validate half); --plot writes the A_s/A_r/A_rec chart with A_o and A_t (--scratch-epochs) as \
            reference lines.

            input: the owner reconstructs --images test inputs from the decrypted layer-2 channels and prints the \
            error (MSE, PSNR) against the true images.

            obfuscation: secret per-channel obscure convs after conv2; re-randomise those of the encrypted \
            channels and retrain only them, for --variants users, on --samples training images.

            regression: the user of the encrypted pipeline sends --queries chosen images (--probe mnist, uniform or \
            impulse; lists sweep) and fits the encrypted filters to the decrypted pooled conv2 outputs (simulated in \
            plaintext with the flooding noise, --noise); prints the relative error of the recovered weights and the \
            test accuracy with them in place. --defence none,obscure,naive adds secret per-channel obscure kernels \
            (an owner variant retrained for --epochs, default 8, on --samples training images) fitted by the \
            attacker (obscure) or ignored (naive). --variants N (default 3) repeats each point with N seeds and \
            reports the median. --plot writes accuracy and error against the query count.
            """)

    /// The attacks.
    enum Attack: String, ExpressibleByArgument, CaseIterable {
        case scratch, model, input, obfuscation, regression
    }

    @Option(help: "The attack: scratch, model, input, obfuscation or regression.")
    var attack: Attack

    @OptionGroup var data: DataOptions

    @OptionGroup var trained: ModelOption

    @Option(help: "The selection JSON ({\"1\": [...], \"2\": [...]}).")
    var selection: String?

    @Option(help: "Thief samples from the validate half (obfuscation: owner's training images).")
    var samples: Int?

    @Option(help: "Epochs (default: scratch 512, model 64, obfuscation 64).")
    var epochs: Int?

    @Option(help: "Seed for sample draws, initialisation and shuffling.")
    var seed: UInt64 = 0

    @Flag(help: "Model recovery: train only the encrypted filters (--recover_freeze).")
    var freeze = false

    @Option(help: "Also train from scratch for A_t with this many epochs (model attack and sweep).")
    var scratchEpochs: Int?

    @Option(help: "Sweep percentages of each layer to encrypt, comma-separated (model attack).")
    var sweep: String?

    @Option(help: "How the sweep selects filters: greedy or random.")
    var selector: String = "greedy"

    @Option(help: "Write the sweep chart (SVG) to this file.")
    var plot: String?

    @Option(help: "Input recovery: test images to reconstruct.")
    var images: Int = 100

    @Option(help: "Input recovery: optimisation steps (default 1000); regression: fit iterations per start (60).")
    var iterations: Int?

    @Flag(help: "Input recovery: the user does not blind its channels.")
    var noBlinding = false

    @Option(help: "Input recovery: write originals and reconstructions to this safetensors file.")
    var save: String?

    @Option(help: "Obfuscation: number of variants; regression: trials per point (seeds --seed, --seed + 1, ...).")
    var variants: Int?

    @Option(help: "Regression: images sent, comma-separated for a sweep.")
    var queries: String = "256"

    @Option(help: "Regression: probe kinds (mnist, uniform, impulse), comma-separated.")
    var probe: String = "mnist"

    @Option(help: "Regression: defences (none, obscure, naive), comma-separated.")
    var defence: String = "none"

    @Option(help: "Regression: noise on each decrypted output (default: the flooding's slot noise at N = 16384).")
    var noise: Double?

    @Option(help: "Regression: random starts of the nonlinear fit.")
    var restarts: Int = 6

    @Option(help: "Only the first N test images are scored (default: all).")
    var testLimit: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    mutating func validate() throws {
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let scratchEpochs, scratchEpochs < 1 { throw ValidationError("--scratch-epochs must be at least 1") }
        if images < 1 || (iterations ?? 0) < 0 || (variants ?? 1) < 1 || restarts < 1 {
            throw ValidationError("--images, --variants and --restarts must be at least 1, --iterations at least 0")
        }
        if let testLimit, testLimit < 1 { throw ValidationError("--test-limit must be at least 1") }
        if RecoverySweep.Selector(rawValue: selector) == nil {
            throw ValidationError("--selector must be greedy or random")
        }
        if let noise, !(noise >= 0) { throw ValidationError("--noise must be a non-negative number") }
        if attack == .regression { _ = try regressionLists() }
        if sweep != nil && attack != .model { throw ValidationError("--sweep goes with --attack model") }
        if attack != .scratch && trained.model == nil {
            throw ValidationError("--attack \(attack.rawValue) needs --model")
        }
        if attack != .scratch && sweep == nil && selection == nil {
            throw ValidationError("--attack \(attack.rawValue) needs --selection")
        }
    }

    func run() throws {
        let dataset = data.dataset, root = data.root
        let architecture = dataset.architecture
        let report: AttackReport
        switch attack {
        case .scratch:
            let sets = try AttackData.load(
                dataset, root: root, samples: samples ?? 1000, testLimit: testLimit, seed: seed)
            report = .scratch(try scratch(architecture, sets, epochs: epochs ?? 512))
        case .model:
            let sets = try AttackData.load(
                dataset, root: root, samples: samples ?? 1000, testLimit: testLimit, seed: seed)
            let attack = ModelRecoveryAttack(epochs: epochs ?? 64, freezeOthers: freeze, seed: seed)
            let at = try scratchEpochs.map { try scratch(architecture, sets, epochs: $0) }
            if let sweep {
                report = .sweep(try runSweep(architecture, sets, attack: attack, percents: sweep, scratch: at))
            } else {
                let model = try loadModel(architecture)
                let chosen = try loadSelection(model)
                let progress = ProgressReporter(label: "recover", total: attack.epochs, unit: "epoch")
                let result = try attack.run(model, selection: chosen, data: sets) { _, _ in progress.advance() }
                progress.finish()
                report = .model(ModelReport(recovery: result, scratch: at))
            }
        case .input:
            let model = try loadModel(architecture)
            let channels = try loadSelection(model)[2]
            let test = try data.load(.test)
            let validate = try data.load(.validate)
            let count = min(images, test.count)
            let truth = test.tensor(0..<count, normalization: dataset.normalization)
            let reference = validate.tensor(0..<min(1000, validate.count), normalization: dataset.normalization)
            let attack = InputRecoveryAttack(iterations: iterations ?? 1000, blinding: !noBlinding, seed: seed)
            let progress = ProgressReporter(label: "input recovery", total: attack.iterations, unit: "step")
            let (result, reconstruction) = try attack.run(
                model, channels: channels, images: truth, reference: reference,
                normalization: dataset.normalization
            ) { _, _ in progress.advance() }
            progress.finish()
            if let save {
                try Safetensors(stateDict: [("original", truth), ("reconstruction", reconstruction)])
                    .write(to: URL(fileURLWithPath: save))
            }
            report = .input(result)
        case .obfuscation:
            let model = try loadModel(architecture)
            let channels = try loadSelection(model)[2]
            let sets = try AttackData.load(dataset, root: root, samples: 1, testLimit: testLimit, seed: seed)
            let train = try data.load(.train)
            var generator = Xoshiro256(seed: seed)
            let picked = Array(generator.permutation(train.count).prefix(samples ?? 10_000))
            let owner = LabeledTensor(train.subset(picked), normalization: dataset.normalization)
            let defence = PolymorphicObfuscation(epochs: epochs ?? 64, variants: variants ?? 2, seed: seed)
            let progress = ProgressReporter(
                label: "obfuscation", total: defence.epochs * defence.variants, unit: "epoch")
            let result = try defence.run(
                model, channels: channels, train: owner, test: sets.test, validate: sets.validate
            ) { _, _ in
                progress.advance()
            }
            progress.finish()
            report = .obfuscation(result)
        case .regression:
            report = .regression(try regression(architecture))
        }
        print(json ? report.json : report.text)
    }

    private func scratch(_ architecture: Architecture, _ data: AttackData, epochs: Int) throws -> ScratchResult {
        let progress = ProgressReporter(label: "scratch", total: epochs, unit: "epoch")
        defer { progress.finish() }
        return try ScratchAttack(architecture: architecture, epochs: epochs, seed: seed).run(data) { _, _ in
            progress.advance()
        }
    }

    private func runSweep(
        _ architecture: Architecture, _ data: AttackData, attack: ModelRecoveryAttack, percents: String,
        scratch: ScratchResult?
    ) throws -> RecoverySweepResult {
        let values = percents.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = values.compactMap { Int($0) }
        guard !parsed.isEmpty, parsed.count == values.count, parsed.allSatisfy({ (1...100).contains($0) }) else {
            throw ValidationError("--sweep needs percentages in 1...100 separated by commas, got '\(percents)'")
        }
        let loaded = try loadModel(architecture)
        let state = loaded.stateDict()
        let sweep = RecoverySweep(
            percents: parsed, selector: RecoverySweep.Selector(rawValue: selector) ?? .greedy, attack: attack)
        let sizes = [loaded.conv1.outChannels, loaded.conv2.outChannels]
        let progress = ProgressReporter(
            label: "sweep (select + recover)", total: try sweep.plannedWork(layerSizes: sizes), unit: "step")
        let result = try sweep.run(
            architecture, state: Dictionary(uniqueKeysWithValues: state), data: data, scratch: scratch,
            progress: progress)
        progress.finish()
        if let plot { try result.plot.write(to: URL(fileURLWithPath: plot)) }
        return result
    }

    func loadModel(_ architecture: Architecture) throws -> Model {
        try Model(contentsOf: URL(fileURLWithPath: try trained.required()), architecture: architecture)
    }

    func loadSelection(_ model: Model) throws -> SelectedNeurons {
        let path = selection ?? ""
        let chosen = try SelectedNeurons(contentsOf: URL(fileURLWithPath: path))
        do {
            try model.validate(chosen)
        } catch let error as NNError {
            throw DataFileError(file: path, problem: error.description)
        }
        return chosen
    }
}

/// The model attack's result with the optional from-scratch baseline.
struct ModelReport: Codable {
    var recovery: ModelRecoveryResult
    var scratch: ScratchResult?
}

/// What `privdnn recover` prints: text lines or one JSON object.
enum AttackReport {
    case scratch(ScratchResult)
    case model(ModelReport)
    case sweep(RecoverySweepResult)
    case input(InputRecoveryResult)
    case obfuscation(ObfuscationResult)
    case regression(RegressionSweepResult)

    private struct Tagged<Result: Encodable>: Encodable {
        var attack: String
        var result: Result
    }

    var json: String {
        let line: String?
        switch self {
        case .scratch(let r): line = try? JSONOutput.text(Tagged(attack: "scratch", result: r))
        case .model(let r): line = try? JSONOutput.text(Tagged(attack: "model", result: r))
        case .sweep(let r): line = try? JSONOutput.text(Tagged(attack: "sweep", result: r))
        case .input(let r): line = try? JSONOutput.text(Tagged(attack: "input", result: r))
        case .obfuscation(let r): line = try? JSONOutput.text(Tagged(attack: "obfuscation", result: r))
        case .regression(let r): line = try? JSONOutput.text(Tagged(attack: "regression", result: r))
        }
        return line ?? "{}"
    }

    var text: String {
        func pct(_ value: Double) -> String { String(format: "%.2f%%", value) }
        func secs(_ value: Double) -> String { String(format: "%.1f s", value) }
        switch self {
        case .scratch(let r):
            return "A_t (scratch, \(r.samples) samples, \(r.epochs) epochs): \(pct(r.accuracy))  [\(secs(r.seconds))]"
        case .model(let m):
            let r = m.recovery
            var lines = [
                "A_o (original):             \(pct(r.originalAccuracy))",
                "A_s (deployed, separate):   \(pct(r.separateAccuracy))",
                "A_r (zeroed, remove):       \(pct(r.removeAccuracy))",
                "re-initialised, untrained:  \(pct(r.reinitialisedAccuracy))",
                "A_rec (\(r.samples) samples, \(r.epochs) epochs, \(r.encryptedElements) encrypted weights, lr "
                    + String(format: "%.0e/%.0e", r.recoverLearningRate, r.otherLearningRate) + "): "
                    + "\(pct(r.recoveredAccuracy))  [\(secs(r.seconds))]",
            ]
            if let t = m.scratch {
                lines.append("A_t (scratch, \(t.epochs) epochs): \(pct(t.accuracy))  [\(secs(t.seconds))]")
            }
            return lines.joined(separator: "\n")
        case .sweep(let s):
            var lines = ["percent  encrypted  A_s      A_r      A_rec"]
            for p in s.points {
                lines.append(
                    String(
                        format: "%7d  %8.1f%%  %6.2f%%  %6.2f%%  %6.2f%%", p.percent, p.encryptedShare,
                        p.recovery.separateAccuracy, p.recovery.removeAccuracy, p.recovery.recoveredAccuracy))
            }
            if let first = s.points.first { lines.append("A_o: \(pct(first.recovery.originalAccuracy))") }
            if let t = s.scratch { lines.append("A_t (scratch, \(t.epochs) epochs): \(pct(t.accuracy))") }
            return lines.joined(separator: "\n")
        case .input(let r):
            var lines = [
                "observed conv2 channels: \(r.observedChannels)",
                "images: \(r.images), steps: \(r.iterations)  [\(secs(r.seconds))]",
                String(
                    format: "reconstruction MSE: %.5f (PSNR %.2f dB); starting guess MSE %.5f",
                    r.meanSquaredError, r.psnr, r.initialMeanSquaredError),
            ]
            if let e = r.blindingEstimateError {
                lines.append(String(format: "blinding factors estimated within %.2f%% on average", 100 * e))
            }
            return lines.joined(separator: "\n")
        case .obfuscation(let r):
            var lines = [
                "obscure channels: \(r.channels)\(r.inserted ? " (identity obscure convs inserted after conv2)" : "")",
                "accuracy before: \(pct(r.originalAccuracy))",
            ]
            for v in r.variants {
                lines.append(
                    "variant seed \(v.seed): randomised \(pct(v.randomisedAccuracy)) -> retrained "
                        + pct(v.retrainedAccuracy))
            }
            lines.append(
                String(format: "mean kernel distance between variants: %.3f  [%@]", r.kernelDistance, secs(r.seconds)))
            return lines.joined(separator: "\n")
        case .regression(let r):
            return r.text
        }
    }
}
