import Foundation
import NN
import Testing

/// The recovery sweep over shares of encrypted filters and its chart, on real MNIST.
@Suite(.serialized) struct AttackSweepTests {
    @Test func sweepMeasuresEachShareAndPlotsIt() throws {
        let state = Dictionary(uniqueKeysWithValues: try AttackFixtures.trainedState)
        let sweep = RecoverySweep(
            percents: [100, 25], selector: .greedy, attack: ModelRecoveryAttack(epochs: 2, seed: 1))
        // Greedy selection on 1,000 validate images keeps the test fast.
        var data = try AttackFixtures.data
        data.validate = data.validate.subset(0..<1000)
        var ticks = 0
        let result = try sweep.run(.lenet5MNIST, state: state, data: data) { _, total in
            ticks += 1
            #expect(total == 4)
        }
        #expect(ticks == 4)
        #expect(result.points.map(\.percent) == [25, 100])
        // 25%: 1 of 6 and 4 of 16 filters; 100%: all 22.
        #expect(result.points[0].selection[1].count == 1 && result.points[0].selection[2].count == 4)
        #expect(abs(result.points[0].encryptedShare - 100 * 5 / 22) < 1e-9)
        #expect(result.points[1].encryptedShare == 100)
        // Everything encrypted: zero substitution leaves a constant network, far below the partial case.
        #expect(result.points[1].recovery.removeAccuracy < result.points[0].recovery.removeAccuracy)
        #expect(result.points[1].recovery.removeAccuracy < 30)
        let svg = result.plot.render()
        for name in ["A_s (deployed)", "A_r (zeroed)", "A_rec (retrained)", "A_o"] {
            #expect(svg.contains(name))
        }
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(throws: NNError.self) {
            try RecoverySweep(percents: [0], attack: ModelRecoveryAttack(epochs: 1))
                .run(.lenet5MNIST, state: state, data: AttackFixtures.data)
        }
    }
}
