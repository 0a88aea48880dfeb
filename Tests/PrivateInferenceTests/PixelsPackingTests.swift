import CKKS
import Foundation
import NN
import Testing

@testable import PrivateInference

/// The pixels packing (one image's values in the slots) on every PrivDNN network: the same geometry, kernels and scale
/// plan as the batch packing, decrypted results against the plaintext model.
///
/// N = 1024 (toy ring, no security), so the larger planes are cut into chunks of positions and LeNet-5 and AlexNet fold
/// term blocks with rotations.
@Suite struct PixelsPackingTests {
    /// A package serves both packings by default (`owner package --packing auto`): ResNet-18's shortcut reads
    /// conv1's squares, which the pixels packing returns from the lanes holding conv2's centre tap.
    @Test func servablePackingsFollowTheNetwork() throws {
        for architecture in Architecture.allCases {
            #expect(try Packing.servable(by: Model(architecture, seed: 0)) == [.batch, .pixels], "\(architecture)")
        }
    }

    /// Where conv1's result sits in the pixels packing of ResNet-18 (64×64 planes, a 3×3 conv2 with padding 1): each
    /// encrypted channel's square at position p is in a block of a result lane whose term is (that channel, the
    /// centre tap 4) and whose slot holds position p, at full size and in the toy ring's chunks of positions.
    @Test func conv1ResultSlotsHoldTheCentreTap() throws {
        let geometry = try StageGeometry(model: Model(.resNet18TinyImageNet, seed: 1))
        #expect(PixelsLayout.identityTap(geometry) == 4)
        #expect(PixelsLayout.identityTap(try StageGeometry(model: Model(.lenet5MNIST, seed: 1))) == nil)
        for (slots, channels) in [(8192, Array(0..<32)), (512, [2, 40]), (8192, [5])] {
            let layout = try PixelsLayout(
                geometry: geometry, slots: slots, cipherChannels: channels, filters: [9, 11],
                carriesConv1Result: true)
            #expect(layout.resultCiphertexts == layout.chunks * layout.resultLanes.count)
            #expect(layout.resultLanes.count <= layout.cipherLanes && !layout.resultLanes.isEmpty)
            for e in channels.indices {
                for p in [0, 1, 63, 64, 2049, 4095] {
                    let (ct, slot) = layout.resultSlot(channel: e, position: p)
                    let lane = layout.resultLanes.lowerBound + ct % layout.resultLanes.count
                    let term = try #require(layout.term(lane: lane, slot: slot, cipher: true))
                    #expect(term.channel == e && term.tap == 4)
                    #expect(layout.position(chunk: ct / layout.resultLanes.count, slot: slot) == p)
                    #expect(layout.activation(position: p, tap: 4).map { $0.row * 64 + $0.col } == p)
                }
            }
        }
        // A network without such a tap cannot carry conv1's result.
        #expect(throws: InferenceError.self) {
            try PixelsLayout(
                geometry: try StageGeometry(model: Model(.lenet5MNIST, seed: 1)), slots: 8192, cipherChannels: [1],
                filters: [2], carriesConv1Result: true)
        }
    }

    @Test(arguments: 0..<4)
    func encryptedConvolutionsMatchThePlaintextModel(index: Int) throws {
        let f = try EngineArchitectureTests.Fixture(index)
        let (architecture, normalization, layers) = EngineArchitectureTests.cases[index]
        let selection = try SelectedNeurons(layers)
        let (context, keys, g) = (f.context, f.keys, f.geometry)
        let kernels = try LayerKernels(model: f.model, normalization: normalization)
        let plan = context.plan(kernels, selection: selection)
        let layout = try PixelsLayout(
            geometry: g, slots: context.degree / 2, cipherChannels: selection[1], filters: selection[2])
        let encryptor = try Encryptor(context: context.ckks, secretKey: keys.secret)
        let weights = try context.encryptPixelsWeights(kernels, layout: layout, plan: plan, encryptor: encryptor)
        let galoisKeys = try KeyGenerator(context: context.ckks, secretKey: keys.secret)
            .createGaloisKeys(steps: layout.rotationSteps)
        let evaluator = PixelsEvaluator(
            context: context, plan: plan, layout: layout, weights: weights, inputShift: kernels.inputShift,
            relinKeys: keys.relinKeys, galoisKeys: galoisKeys)
        let reference = f.structure.conv2(f.model, f.activations)
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        let image = f.pixels.count / f.count, plane = g.conv1Channels * g.conv1Side * g.conv1Side
        var worst = 0.0, largest = 0.0, checked = 0, replicas = 0.0
        for b in 0..<f.count {
            var times = PhaseTimes()
            let outputs = try evaluator.evaluate(
                pixels: Array(f.pixels[(b * image)..<((b + 1) * image)]),
                activations: Array(f.activations.data[(b * plane)..<((b + 1) * plane)]), times: &times)
            #expect(outputs.count == layout.outputs)
            var seen = Set<Int>()
            for (o, ct) in outputs.enumerated() {
                #expect(ct.coeffModulusSize == PipelineLevels.finalPrimes)
                let values = try context.decodeCoefficients(
                    try context.decryptToCoefficients(ct, decryptor: decryptor), primes: PipelineLevels.finalPrimes,
                    scale: ct.scale)
                // Every slot holds a complete output (or zero past the last position): no partial sum is decrypted.
                let (chunk, group) = layout.place(output: o)
                for slot in 0..<layout.slots {
                    let expected =
                        layout.filter(group: group, slot: slot).flatMap { filter in
                            layout.position(chunk: chunk, slot: slot).map {
                                Double(
                                    reference.data[(b * g.conv2Channels + layout.filters[filter]) * g.positions + $0])
                            }
                        } ?? 0
                    replicas = max(replicas, abs(values[slot] - expected))
                }
                for (slot, filter, position) in layout.results(output: o) {
                    let expected = Double(
                        reference.data[(b * g.conv2Channels + layout.filters[filter]) * g.positions + position])
                    worst = max(worst, abs(values[slot] - expected))
                    largest = max(largest, abs(expected))
                    seen.insert(filter * g.positions + position)
                    checked += 1
                }
            }
            // Every encrypted filter's every position is returned exactly once.
            #expect(seen.count == selection[2].count * g.positions)
        }
        print(
            "\(architecture.rawValue) pixels: \(layout.outputs) outputs, \(layout.cipherLanes) cipher + \(layout.plainLanes) plain lanes, steps \(layout.rotationSteps), max |encrypted − plaintext| \(worst) of \(largest)"
        )
        #expect(checked == f.count * selection[2].count * g.positions)
        #expect(largest > 1e-2)
        #expect(worst < 1e-3 * max(1, largest))
        #expect(replicas < 1e-3 * max(1, largest))
    }

    /// `PixelsRun` (what `InferenceBenchmarks --pixels` reports: one image through the file exchange with the
    /// package loaded once) on LeNet-5 at N = 1024: the predictions are the separate model's, and the sizes it
    /// reports are the layout's.
    @Test func inMemoryRunReportsTheLayout() throws {
        let (architecture, normalization, layers) = EngineArchitectureTests.cases[0]
        let selection = try SelectedNeurons(layers)
        let model = EngineArchitectureTests.model(architecture, seed: 3)
        let report = try PixelsRun.run(
            model: model, normalization: normalization, selection: selection,
            parameters: try EngineArchitectureTests.context().parameters, security: .none,
            pixels: EngineArchitectureTests.pixels(architecture, count: 1, seed: 9), repeats: 2)
        #expect(report.outputs == 2 && report.cipherLanes == 2 && report.plainLanes == 8 && report.rotations == 5)
        // The outputs' words plus the chunk's header.
        let words = report.outputs * 2 * PipelineLevels.finalPrimes * 1024 * 8
        #expect(report.requestBytes > words && report.requestBytes < words + 4096)
        #expect(report.secondsUser > 0 && report.secondsDecrypt > 0 && report.secondsLoad > 0)
        // Seeded ciphertexts: c0 and a seed each; conv1 operands at three primes, conv2's at two.
        let seeded = { (primes: Int, count: Int) in count * primes * 1024 * 8 }
        #expect(report.weightBytes > seeded(3, 2 * 26) + seeded(2, 2 * (2 + 8 + 1)))
        #expect(report.galoisKeyBytes > 5 * 1024 * 8)
        // The user's finish from the remainder predicts what the separate model predicts.
        #expect(report.agrees && report.maxLogitDifference < 1e-2 && report.secondsFinish > 0)
    }

    /// The layouts at N = 16384 that the one-image targets are measured with: LeNet-5 (1,1) fits one output, one
    /// cipher lane and one plain lane, folded by seven rotations.
    @Test func lenetLayoutAtFullSize() throws {
        let geometry = try StageGeometry(model: Model(.lenet5MNIST, seed: 1))
        let layout = try PixelsLayout(geometry: geometry, slots: 8192, cipherChannels: [2], filters: [5])
        #expect(layout.blockSize == 16 && layout.chunks == 1)
        #expect(layout.groupBlocks == 128 && layout.filtersPerOutput == 4)
        #expect(layout.cipherLanes == 1 && layout.plainLanes == 1 && layout.outputs == 1)
        #expect(layout.rotationSteps == [64, 128, 256, 512, 1024, 2048, 4096])
        #expect(layout.results(output: 0).map(\.slot) == Array(0..<16))
        // A 5×5 pooled conv2 reads a 6×6 window at stride 2: output 5 = (1, 1) reads activation (2 + 1, 2 + 4) at tap
        // 10.
        let read = try #require(layout.activation(position: 5, tap: 10))
        #expect(read.row == 3 && read.col == 6)
    }

    /// Where outputs cost more than lanes the layout puts more filters in each output (``PixelsLayout/estimatedCost``).
    ///
    /// GTSRB's AlexNet at 50 % (48 encrypted conv1 channels, 128 conv2 filters, blocks of 256 positions) takes 8 term
    /// blocks per filter, four filters per output: 32 outputs of three folding steps instead of 128 of five (one image
    /// measured 1.79 s against 3.62 s), its 54 cipher lanes sharing most conv1 operands. CIFAR-10's VGG-16 at 50 %
    /// takes two filters per output (16 outputs). LeNet-5 keeps the widest grouping: a second cipher lane would
    /// encode 25 more operands, which costs more than an output saves.
    @Test func theCostModelTradesOutputsForLanes() throws {
        let alexNet = try StageGeometry(model: Model(.alexNetGTSRB, seed: 1))
        let gtsrb = try PixelsLayout(
            geometry: alexNet, slots: 8192, cipherChannels: Array(0..<48), filters: Array(0..<128))
        #expect(gtsrb.blockSize == 256 && gtsrb.groupBlocks == 8 && gtsrb.filtersPerOutput == 4)
        #expect(gtsrb.outputs == 32 && gtsrb.rotationSteps.count == 3)
        #expect(gtsrb.cipherLanes == 54 && gtsrb.plainLanes == 54)
        #expect(gtsrb.conv1OperandKeys().keys.count < gtsrb.cipherLanes * alexNet.conv1Taps / 4)
        // Lanes of 8 blocks over 48 channels hold the same channels every 6 lanes: 6 sets of conv1 weights, not 54.
        let sets = gtsrb.conv1WeightSets()
        #expect(sets.lanes == Array(0..<6) && sets.index == (0..<54).map { $0 % 6 })
        let vgg = try StageGeometry(model: Model(.vgg16CIFAR10, seed: 1))
        let cifar = try PixelsLayout(
            geometry: vgg, slots: 8192, cipherChannels: Array(0..<32), filters: Array(0..<32))
        #expect(cifar.blockSize == 1024 && cifar.groupBlocks == 4 && cifar.outputs == 16 && cifar.cipherLanes == 72)
        let lenet = try StageGeometry(model: Model(.lenet5MNIST, seed: 1))
        let pair = try PixelsLayout(geometry: lenet, slots: 8192, cipherChannels: [0, 1], filters: Array(0..<6))
        #expect(pair.groupBlocks == 128 && pair.outputs == 2 && pair.cipherLanes == 1)
    }
}

/// The peak resident set read from /proc: its field is padded to eight digits, so from 10^7 kB on the tab meets
/// the digits (a 9.6 GiB peak read as 0 before).
@Test func peakMemoryReadsEveryWidthOfItsField() {
    #expect(PeakMemory.bytes(status: "Name:\tx\nVmHWM:\t  213456 kB\nVmRSS:\t 1 kB") == 213_456 * 1024)
    #expect(PeakMemory.bytes(status: "VmPeak:\t1 kB\nVmHWM:\t10034456 kB\n") == 10_034_456 * 1024)
    #expect(PeakMemory.bytes(status: "VmRSS:\t 1 kB\n") == 0)
    #expect(PeakMemory.bytes() > 0)
}
