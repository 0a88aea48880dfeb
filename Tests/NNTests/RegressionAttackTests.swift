import Foundation
import TestSupport
import Testing

@testable import NN

/// The regression attack on the decrypted conv2 outputs (protocol.md, "What still leaks by design"), on real MNIST
/// with the committed LeNet-5.
@Suite(.serialized) struct RegressionAttackTests {
    static let data = Result {
        try AttackData.load(.mnist, root: AttackFixtures.root, samples: 300, testLimit: 1000, seed: 1)
    }

    static func committed() throws -> Model {
        let file = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors")
        let model = Model(.lenet5MNIST)
        try model.load(try Safetensors(contentsOf: file).floatTensors(file: file.path))
        return model
    }

    /// Fixed random 3×3 obscure kernels, one per encrypted conv2 filter.
    static func kernels(_ count: Int, seed: UInt64) -> [[Float]] {
        var generator = Xoshiro256(seed: seed)
        return (0..<count).map { _ in (0..<9).map { $0 == 4 ? 1 : generator.nextSymmetric(0.5) } }
    }

    @Test func leakEqualsTheSeparateModelsPooledOutputs() throws {
        let model = try Self.committed()
        let data = try Self.data.get()
        let selection = try SelectedNeurons([1: [0, 5], 2: [0, 4, 15]])
        let images = data.test.images.items(0..<20)
        try model.applyMask(selection, mode: .separate)
        let pooled = model.network.forward(images, from: 0, through: 4, training: false)
        let leak = try LeNetLeak(model)
        let target = try RegressionTarget(
            model, selection: selection, test: data.test, normalization: Dataset.mnist.normalization)
        // With obscure kernels: the model's own depthwise conv (identity ones inserted) between conv2 and pooling.
        let kernels = Self.kernels(3, seed: 4)
        let chain = try ObscuredChain(model)
        for (f, k) in zip(selection[2], kernels) {
            chain.obscure.kernels[f].value = Tensor(shape: [1, 1, 3, 3], data: k)
        }
        let obscured = model.network.entries[4].layer.forward(
            chain.obscure.forward(chain.features(images), training: false), training: false)
        model.clearMasks()
        var worst = (plain: 0.0, obscured: 0.0)
        for i in 0..<20 {
            let image = target.testImages[(i * 784)..<((i + 1) * 784)]
            let plain = leak.leak(image, conv1: target.conv1, conv2: target.conv2, kernels: [nil, nil, nil])
            let hidden = leak.leak(
                image, conv1: target.conv1, conv2: target.conv2, kernels: kernels.map { $0.map(Double.init) })
            for (j, f) in selection[2].enumerated() {
                for q in 0..<16 {
                    let at = (i * 16 + f) * 16 + q
                    worst.plain = max(worst.plain, abs(plain[j][q] - Double(pooled.data[at])))
                    worst.obscured = max(worst.obscured, abs(hidden[j][q] - Double(obscured.data[at])))
                }
            }
        }
        #expect(worst.plain < 1e-4, "max |leak − model| = \(worst.plain)")
        #expect(worst.obscured < 1e-4, "obscured: max |leak − model| = \(worst.obscured)")
    }

    @Test func knownInputFilterFollowsByLeastSquares() throws {
        let data = try Self.data.get()
        let model = try Self.committed()
        let target = try RegressionTarget(
            model, selection: try SelectedNeurons([2: [15]]), test: data.test,
            normalization: Dataset.mnist.normalization)
        let attack = RegressionAttack(queries: 16, probe: .mnist, fitsKernels: false, seed: 2)
        let result = try attack.run(target, pool: data.thiefSamples)
        #expect(result.hiddenInputError == nil)
        #expect(result.knownInputError < 1e-2, "relative error \(result.knownInputError)")
        #expect(abs(result.recoveredAccuracy - result.deployedAccuracy) <= 0.1)
        // Too few queries (8 × 16 outputs < 151 unknowns) cannot pin the filter down.
        var few = attack
        few.queries = 8
        #expect(try few.run(target, pool: data.thiefSamples).knownInputError > 0.1)
    }

    @Test func greedySelectionIsStolenWithTheHiddenChannel() throws {
        let data = try Self.data.get()
        let model = try Self.committed()
        let selection = try SelectedNeurons([1: [0], 2: [15]])
        let target = try RegressionTarget(
            model, selection: selection, test: data.test, normalization: Dataset.mnist.normalization)
        let result = try RegressionAttack(queries: 32, probe: .mnist, fitsKernels: false, seed: 3).run(
            target, pool: data.thiefSamples)
        #expect(result.knownInputError < 1e-2, "known-input error \(result.knownInputError)")
        #expect(try #require(result.hiddenInputError) < 2e-2, "hidden-input error \(result.hiddenInputError ?? -1)")
        #expect(result.outputError < 1e-3)
        #expect(abs(result.recoveredAccuracy - result.deployedAccuracy) <= 0.1)
        // Uniform noise images work too.
        let uniform = try RegressionAttack(queries: 32, probe: .uniform, fitsKernels: false, seed: 3).run(target)
        #expect(uniform.weightError < 2e-2, "uniform probes: \(uniform.weightError)")
    }

    @Test func obscureKernelsStopOnlyAnAttackerWhoIgnoresThem() throws {
        let data = try Self.data.get()
        let model = try Self.committed()
        let selection = try SelectedNeurons([1: [0], 2: [15]])
        let plain = try RegressionTarget(
            model, selection: selection, test: data.test, normalization: Dataset.mnist.normalization)
        let obscured = try RegressionTarget(
            model, selection: selection, test: data.test, normalization: Dataset.mnist.normalization,
            kernels: Self.kernels(1, seed: 9))
        func run(_ target: RegressionTarget, _ queries: Int, fits: Bool, seed: UInt64 = 5) throws
            -> RegressionAttackResult
        {
            try RegressionAttack(queries: queries, probe: .mnist, fitsKernels: fits, seed: seed).run(
                target, pool: data.thiefSamples)
        }
        func errors(_ target: RegressionTarget, _ queries: Int, fits: Bool) throws -> (weight: Double, output: Double) {
            let runs = try (0..<3).map { try run(target, queries, fits: fits, seed: $0) }
            return (
                runs.map(\.weightError).sorted()[1], runs.reduce(0) { $0 + $1.outputError } / Double(runs.count)
            )
        }
        // Fewer outputs (8 × 16) than unknowns (177, or 186 with the kernel) steal nothing either way.
        #expect(try errors(plain, 8, fits: false).weight > 0.5)
        #expect(try errors(obscured, 8, fits: true).weight > 0.5)
        // The measured ordering: an attacker who fits the obscure kernels too steals the filters about as well as
        // without the defence (9 more unknowns per filter; the kernel's gain moves the relative error either way) …
        let undefended = try errors(plain, 64, fits: false)
        let defended = try errors(obscured, 64, fits: true)
        #expect(undefended.weight < 1e-2 && defended.weight < 1e-2, "\(undefended) vs \(defended)")
        #expect(defended.output < 3 * undefended.output && undefended.output < 3 * defended.output)
        let more = try run(obscured, 128, fits: true)
        #expect(more.weightError < 1e-2, "obscure, 128 queries: \(more.weightError)")
        #expect(abs(more.recoveredAccuracy - more.deployedAccuracy) <= 0.1)
        // … while one who ignores them never fits the outputs.
        let naive = try run(obscured, 128, fits: false)
        #expect(naive.outputError > 100 * more.outputError, "naive \(naive.outputError) vs \(more.outputError)")
    }
}
