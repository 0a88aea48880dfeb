import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// A few real MNIST test images through the encrypted pipeline at a small ring, against the plaintext
/// "separate" model.
@Suite struct EncryptedPipelineTests {
    static func images(_ count: Int) throws -> LabeledImages {
        let test = try Dataset.mnist.load(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
        return test.subset(Array(0..<count))
    }

    /// N = 4096 with the `auto` prime sizes (or others).
    static func smallContext(bitSizes: [Int] = [60, 60, 60, 60, 60, 60]) throws -> HEContext {
        let parms = try EncryptionParameters(polyModulusDegree: 4096, bitSizes: bitSizes)
        return try HEContext(parameters: parms, securityLevel: .none)
    }

    /// Keys, encrypted weights and an evaluator for `model` and `selection` at the small ring.
    struct Fixture {
        let context: HEContext
        let kernels: LayerKernels
        let plan: ScalePlan
        let keys: OwnerKeyMaterial
        let evaluator: UserEvaluator

        init(model: Model, selection: SelectedNeurons, bitSizes: [Int] = [60, 60, 60, 60, 60, 60]) throws {
            context = try EncryptedPipelineTests.smallContext(bitSizes: bitSizes)
            kernels = try LayerKernels(model: model, normalization: .unit)
            keys = try context.generateKeys()
            let (plan, weights) = try context.prepare(kernels, selection: selection, secret: keys.secret)
            self.plan = plan
            evaluator = UserEvaluator(
                context: context, plan: plan, weights: weights, relinKeys: { [keys] in keys.relinKeys },
                geometry: kernels.geometry, inputShift: kernels.inputShift)
        }

        /// Plaintext activations and the encrypted outputs for the first `count` test images.
        func run(_ model: Model, count: Int) throws -> (LabeledImages, Tensor, [[Ciphertext]]) {
            let images = try EncryptedPipelineTests.images(count)
            let x = Tensor(shape: [count, 1, 28, 28], data: images.floats(at: 0..<count))
            let activations = model.network.forward(x, from: 0, through: 2, training: false)
            var times = PhaseTimes()
            let outputs = try evaluator.evaluate(
                pixels: images.pixels, count: count, times: &times
            ) { _ in activations.data }
            return (images, x, outputs)
        }
    }

    @Test func pooledKernelsMatchConvThenPool() throws {
        let model = Model(.lenet5MNIST, seed: 7)
        let kernels = try LayerKernels(model: model, normalization: .unit)
        let images = try Self.images(2)
        let x = Tensor(shape: [2, 1, 28, 28], data: images.floats(at: 0..<2))
        let reference = model.network.forward(x, from: 0, through: 1, training: false)  // conv1 → pool
        for b in 0..<2 {
            for f in 0..<6 {
                for y in 0..<12 {
                    for xx in 0..<12 {
                        var sum = kernels.conv1Bias[f]
                        for t in 0..<36 {
                            let byte = images.pixels[b * 784 + (2 * y + t / 6) * 28 + 2 * xx + t % 6]
                            sum += kernels.conv1Wide[f][t] * Double(byte)
                        }
                        let expected = Double(reference.data[((b * 6 + f) * 12 + y) * 12 + xx])
                        #expect(abs(sum - expected) < 1e-4)
                    }
                }
            }
        }
    }

    /// The box form (k² taps on 2×2 means) computes the same pooled conv1 and conv2 as the wide form.
    @Test func boxKernelsMatchWideKernels() throws {
        let model = Model(.lenet5MNIST, seed: 7)
        let kernels = try LayerKernels(model: model, normalization: .unit)
        let images = try Self.images(2)
        #expect(kernels.geometry.conv1Taps == 25 && kernels.geometry.conv2Cipher.window == 6)
        for b in 0..<2 {
            let pixel = { (r: Int, c: Int) in Double(images.pixels[b * 784 + r * 28 + c]) }
            for f in 0..<6 {
                for y in 0..<12 {
                    for xx in 0..<12 {
                        var wide = 0.0, box = 0.0
                        for t in 0..<36 { wide += kernels.conv1Wide[f][t] * pixel(2 * y + t / 6, 2 * xx + t % 6) }
                        for t in 0..<25 {
                            let r = 2 * y + t / 5, c = 2 * xx + t % 5
                            box +=
                                kernels.conv1Taps[f][t]
                                * 0.25 * (pixel(r, c) + pixel(r + 1, c) + pixel(r, c + 1) + pixel(r + 1, c + 1))
                        }
                        #expect(abs(wide - box) < 1e-9 * max(1, abs(wide)))
                    }
                }
            }
        }
        // conv2 on an arbitrary 12×12 plane.
        let plane = (0..<144).map { Double(($0 * 37) % 23) - 11 }
        for o in [0, 9] {
            for c in [0, 5] {
                for y in 0..<4 {
                    for xx in 0..<4 {
                        var wide = 0.0, box = 0.0
                        for t in 0..<36 {
                            wide += kernels.conv2CipherTaps[o][c][t] * plane[(2 * y + t / 6) * 12 + 2 * xx + t % 6]
                        }
                        for t in 0..<25 {
                            let at = (2 * y + t / 5) * 12 + 2 * xx + t % 5
                            let pair = kernels.conv2Plain[o][c][t / 5 * 3 + t % 5 / 2]
                            box +=
                                (t % 5 % 2 == 0 ? pair.0 : pair.1) * 0.25
                                * (plane[at] + plane[at + 1] + plane[at + 12] + plane[at + 13])
                        }
                        #expect(abs(wide - box) < 1e-9 * max(1, abs(wide)))
                    }
                }
            }
        }
    }

    /// Two conv2 filters stream the squares into conv2 row by row; thirteen (more paired weight blocks than
    /// squares) keep all squares for a channel-by-channel conv2; three conv1 filters are evaluated in two groups.
    @Test(
        arguments: zip(
            [[1, 4], [1, 4], [0, 1, 4], [0, 1, 4]], [[2, 9], Array(0...12), [2, 9], Array(0...12)]))
    func encryptedConvMatchesSeparateModel(conv1Filters: [Int], conv2Filters: [Int]) throws {
        let model = Model(.lenet5MNIST, seed: 3)
        let selection = try SelectedNeurons([1: conv1Filters, 2: conv2Filters])
        let fixture = try Fixture(model: model, selection: selection)
        let (context, plan, keys) = (fixture.context, fixture.plan, fixture.keys)
        let count = 3
        let (_, x, outputs) = try fixture.run(model, count: count)
        try model.applyMask(selection, mode: .separate)
        let reference = model.network.forward(x, from: 0, through: 4, training: false)
        #expect(outputs.count == conv2Filters.count)
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        var worst = 0.0
        for (i, o) in selection[2].enumerated() {
            for pos in 0..<16 {
                let ct = outputs[i][pos]
                #expect(ct.coeffModulusSize == PipelineLevels.finalPrimes)
                #expect(abs(ct.scale / plan.resultScale - 1) < 1e-12)
                let values = try context.decodeCoefficients(
                    try context.decryptToCoefficients(ct, decryptor: decryptor), primes: PipelineLevels.finalPrimes,
                    scale: ct.scale)
                for b in 0..<count {
                    let expected = Double(reference.data[(b * 16 + o) * 16 + pos])
                    worst = max(worst, abs(values[b] - expected))
                }
            }
        }
        print("encrypted pipeline: max abs error \(worst)")
        #expect(worst < 1e-3, "max |encrypted − plaintext| = \(worst)")
    }
}
