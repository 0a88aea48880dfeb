import Foundation
import Testing

@testable import NN

/// Model recovery (spec §8.4) and training from scratch (§8.3) on real MNIST.
@Suite(.serialized) struct AttackRecoveryTests {
    /// Half of each layer, as in the original's 50% experiments.
    static let half = try? SelectedNeurons([1: [0, 2, 4], 2: [1, 3, 5, 7, 9, 11, 13, 15]])

    @Test func reinitialisationChangesOnlyTheEncryptedFilters() throws {
        let selection = try #require(Self.half)
        let model = try AttackFixtures.trainedModel()
        let before = Dictionary(uniqueKeysWithValues: model.stateDict())
        let (encrypted, _) = try ModelRecoveryAttack(seed: 3).prepare(model, selection: selection)
        // 3 conv1 filters (25 weights + bias) and 8 conv2 filters (150 weights + bias).
        #expect(encrypted.elementCount == 3 * 26 + 8 * 151)
        #expect(Set(encrypted.parts.map(\.name)) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"])
        let flags = Dictionary(uniqueKeysWithValues: encrypted.parts.map { ($0.name, $0.encrypted) })
        for (name, after) in model.stateDict() {
            let old = try #require(before[name])
            guard let marks = flags[name] else {
                #expect(after == old, "\(name) must be untouched")
                continue
            }
            for i in after.data.indices {
                if marks[i] {
                    #expect(after.data[i] != old.data[i], "\(name)[\(i)] must be re-initialised")
                } else {
                    #expect(after.data[i] == old.data[i], "\(name)[\(i)] is plaintext and must be kept")
                }
            }
        }
        // Row f of conv2.weight is filter f: filter 1 encrypted, filter 0 not.
        let conv2 = try #require(flags["conv2.weight"])
        #expect(conv2[150..<300].allSatisfy { $0 } && !conv2[0..<150].contains(true))
        // Fresh values follow PyTorch's bound 1/√(in·k·k).
        let bound = 1 / Float(6 * 25).squareRoot()
        #expect(model.conv2.weight.value.data[150..<300].allSatisfy { abs($0) <= bound })
    }

    @Test func twoGroupOptimizerRunsEachGroupAtItsRate() throws {
        // Recover elements at 10× the base rate, others at 1×, one element frozen; compared with plain Adam runs.
        let start = Tensor(shape: [6], data: [0.5, -0.25, 1, 2, -1, 0.125])
        let grads: [[Float]] = [[1, -2, 0.5, 3, -1, 0.25], [0.2, 0.1, -0.4, 1, 2, -3], [-1, 1, 1, -1, 0.5, 0.5]]
        let twoGroup = Parameter(start), slow = Parameter(start), fast = Parameter(start)
        let multipliers: [Float] = [10, 10, 1, 1, 0, 1]
        let optimizer = TwoGroupOptimizer(
            base: Adam([twoGroup], learningRate: 1e-3), scaled: [(twoGroup, multipliers)])
        let slowAdam = Adam([slow], learningRate: 1e-3), fastAdam = Adam([fast], learningRate: 1e-2)
        for g in grads {
            for p in [twoGroup, slow, fast] { p.grad = Tensor(shape: [6], data: g) }
            optimizer.step()
            slowAdam.step()
            fastAdam.step()
        }
        for i in 0..<6 {
            let expected =
                multipliers[i] == 10 ? fast.value.data[i] : multipliers[i] == 0 ? start.data[i] : slow.value.data[i]
            #expect(abs(twoGroup.value.data[i] - expected) < 1e-6, "element \(i)")
        }
        #expect(slow.value.data[0] != fast.value.data[0])

        // The attack's rates are the spec's: MNIST Adam 1e-4 (recover) / 1e-5 (others); SGD sets 5e-3 / 5e-4.
        let attack = ModelRecoveryAttack()
        let mnist = attack.learningRates(for: .lenet5MNIST)
        #expect(abs(mnist.recover - 1e-4) < 1e-9 && abs(mnist.other - 1e-5) < 1e-10)
        let cifar = attack.learningRates(for: .vgg16CIFAR10)
        #expect(abs(cifar.recover - 5e-3) < 1e-8 && abs(cifar.other - 5e-4) < 1e-9)
        // And the optimiser it builds scales exactly the encrypted elements by 10, at the other group's base rate.
        let model = try AttackFixtures.trainedModel()
        let (encrypted, built) = try attack.prepare(model, selection: try #require(Self.half))
        #expect(abs(built.learningRate - 1e-5) < 1e-10)
        for (part, scaled) in zip(encrypted.parts, built.scaled) {
            #expect(part.parameter === scaled.parameter)
            #expect(scaled.multipliers == part.encrypted.map { $0 ? 10 : 1 })
        }
    }

    @Test func frozenRecoveryTrainsOnlyTheEncryptedFilters() throws {
        let model = try AttackFixtures.trainedModel()
        let selection = try #require(Self.half)
        let attack = ModelRecoveryAttack(epochs: 1, freezeOthers: true, seed: 5)
        let (encrypted, optimizer) = try attack.prepare(model, selection: selection)
        let reset = Dictionary(uniqueKeysWithValues: model.stateDict())
        var training = AttackTraining(optimizer: optimizer, period: 1, batchSize: 128, seed: 5)
        _ = training.trainEpoch(0, model: model, on: try AttackFixtures.data.thiefSamples)
        let flags = Dictionary(uniqueKeysWithValues: encrypted.parts.map { ($0.name, $0.encrypted) })
        var moved = 0
        for (name, after) in model.stateDict() {
            let old = try #require(reset[name])
            let marks = flags[name] ?? [Bool](repeating: false, count: after.count)
            for i in after.data.indices {
                if marks[i] {
                    moved += after.data[i] != old.data[i] ? 1 : 0
                } else {
                    #expect(after.data[i] == old.data[i])
                }
            }
        }
        #expect(moved > encrypted.elementCount / 2)
    }

    @Test func recoveryRetrainingBeatsZeroSubstitution() throws {
        let model = try AttackFixtures.trainedModel()
        let result = try ModelRecoveryAttack(epochs: 12, seed: 1).run(
            model, selection: try #require(Self.half), data: AttackFixtures.data)
        #expect(result.originalAccuracy > 90)
        #expect(result.removeAccuracy < result.separateAccuracy)
        #expect(result.recoveredAccuracy > result.removeAccuracy + 2)
        #expect(result.recoveredAccuracy > result.reinitialisedAccuracy)
        #expect(result.recoveredAccuracy < result.originalAccuracy)
        #expect(result.losses.count == 12 && result.losses.last ?? 9 < result.losses.first ?? 0)
    }

    @Test func scratchOnFewSamplesStaysBelowTheOriginal() throws {
        let data = try AttackFixtures.data
        let original = try AttackFixtures.trainedModel().evaluate(images: data.test.images, labels: data.test.labels)
        var reports: [Int] = []
        let result = try ScratchAttack(architecture: .lenet5MNIST, epochs: 20, seed: 2).run(data) { done, _ in
            reports.append(done)
        }
        #expect(reports == Array(1...20))
        #expect(result.samples == 400)
        #expect(result.accuracy > 30, "the scratch model learns something")
        #expect(result.accuracy < original.accuracy - 5)
        #expect(throws: NNError.self) { try ScratchAttack(architecture: .lenet5MNIST, epochs: 0).run(data) }
    }
}
