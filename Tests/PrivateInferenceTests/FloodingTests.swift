import CKKS
import Foundation
import NN
import NTT
import TestSupport
import Testing

@testable import PrivateInference

/// Noise flooding: the bound B on the pipeline's own error, and key independence of flooded decryptions.
@Suite struct FloodingTests {
    /// Centered lift of a residue.
    static func centered(_ x: UInt64, _ q: UInt64) -> Double { x > q / 2 ? -Double(q - x) : Double(x) }

    /// Runs the pipeline on real MNIST images and measures max |e| over all coefficients of every result
    /// ciphertext, against the exact double-precision message polynomial.
    @Test(arguments: [[60, 60, 60, 60, 60], [60, 40, 40, 40, 40, 60]])
    func pipelineErrorStaysBelowTheFloodingBound(bitSizes: [Int]) throws {
        let model = Model(.lenet5MNIST, seed: 11)
        let selection = FilterSelection([1: [0, 3], 2: [5]])
        let fixture = try EncryptedPipelineTests.Fixture(model: model, selection: selection, bitSizes: bitSizes)
        let (context, kernels, plan, keys) = (fixture.context, fixture.kernels, fixture.plan, fixture.keys)
        let count = 4
        let (images, x, outputs) = try fixture.run(model, count: count)
        let activations = model.network.forward(x, from: 0, through: 2, training: false)
        let slots = context.degree / 2
        // Exact reference in doubles for every slot (slots ≥ count hold all-zero images).
        func pooledConv1(_ image: Int, _ f: Int, _ y: Int, _ xx: Int) -> Double {
            var sum = kernels.conv1Bias[f]
            if image < count {
                for t in 0..<36 { sum += kernels.conv1[f][t] * Double(images.pixels[image * 784 + (2 * y + t / 6) * 28 + 2 * xx + t % 6]) }
            }
            return sum
        }
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        var worst = 0.0
        let q0 = context.keyModuli[0].value
        for pos in 0..<16 {
            let (y, xx) = (pos / 4, pos % 4)
            var values = [Double](repeating: 0, count: slots)
            for image in 0..<slots {
                var sum = kernels.conv2Bias[5]
                for c in 0..<6 {
                    for t in 0..<36 {
                        let (ay, ax) = (2 * y + t / 6, 2 * xx + t % 6)
                        let a: Double
                        if selection[1].contains(c) {
                            let v = pooledConv1(image, c, ay, ax)
                            a = v * v
                        } else if image < count {
                            a = Double(activations.data[((image * 6 + c) * 12 + ay) * 12 + ax])
                        } else {
                            a = 0  // the user encodes only `count` slots of plaintext activations
                        }
                        sum += kernels.conv2[5][c][t] * a
                    }
                }
                values[image] = sum
            }
            var ideal = try context.encodeWords(values, scale: outputs[0][pos].scale, primes: 1)
            ideal.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { context.keyTables[0].inverse(p) } }
            let decrypted = try context.decryptToCoefficients(outputs[0][pos], decryptor: decryptor)
            for i in 0..<context.degree {
                worst = max(worst, abs(Self.centered(decrypted[i], q0) - Self.centered(ideal[i], q0)))
            }
        }
        let beta = log2(plan.resultScale / worst)
        print("pipeline coefficient error \(bitSizes): max |e| = \(worst) = resultScale · 2^-\(beta)")
        let flooding = FloodingParameters.defaults(for: context.parameters.coeffModulus.map(\.bitCount))
        #expect(beta >= Double(flooding.noiseBoundBitsBelowScale + 4))
    }
}

extension FloodingTests {
    /// Σ over coefficients of the 2×bins chi-square statistic comparing flooded decryptions of the same message
    /// under two keys (each key's ciphertext has its own key-dependent error).
    static func chiSquare(sigma: Double, samples: Int, coefficients: Int, bins: Int) throws -> (statistic: Double, df: Int) {
        let parms = try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [50, 50, 50, 50, 50])
        let context = try HEContext(parameters: parms, securityLevel: .none)
        let q = context.keyModuli[0]
        var decryptions: [[UInt64]] = []
        for _ in 0..<2 {
            let keys = try context.generateKeys()
            let encryptor = try Encryptor(context: context.ckks, secretKey: keys.secret)
            var ct = try context.encryptConstant(0.5, scale: exp2(30), primes: 2, encryptor: encryptor)
            try context.evaluator.modSwitchToInPlace(&ct, parmsID: context.parmsIDs[1])
            decryptions.append(
                try context.decryptToCoefficients(ct, decryptor: Decryptor(context: context.ckks, secretKey: keys.secret)))
        }
        // Bin edges: quantiles of N(0, σ²) (flooding dominates), via the inverse error function's table.
        let z: [Double] = [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816]
        precondition(bins == z.count + 1)
        var counts = [[[Int]]](repeating: [[Int]](repeating: [Int](repeating: 0, count: bins), count: coefficients), count: 2)
        for key in 0..<2 {
            for _ in 0..<samples {
                var poly = decryptions[key]
                Flooding.add(sigma: sigma, to: &poly, modulus: q)
                for i in 0..<coefficients {
                    let y = centered(poly[i + 1], q.value)  // coefficient 0 carries the message
                    counts[key][i][z.firstIndex { y < $0 * sigma } ?? z.count] += 1
                }
            }
        }
        var statistic = 0.0
        for i in 0..<coefficients {
            for b in 0..<bins {
                let total = Double(counts[0][i][b] + counts[1][i][b])
                guard total > 0 else { continue }
                for key in 0..<2 {
                    let expected = total / 2
                    statistic += pow(Double(counts[key][i][b]) - expected, 2) / expected
                }
            }
        }
        return (statistic, coefficients * (bins - 1))
    }

    @Test func floodedDecryptionsDoNotDependOnTheKey() throws {
        // Fresh-encryption errors are below 2^5; flood with s = 20 bits over that bound.
        let flooded = try Self.chiSquare(sigma: exp2(25), samples: 800, coefficients: 48, bins: 10)
        let threshold = Double(flooded.df) + 5 * Double(2 * flooded.df).squareRoot()
        print("chi-square flooded: \(flooded.statistic) (df \(flooded.df), threshold \(threshold))")
        #expect(flooded.statistic < threshold)
        // Control: with noise comparable to the error the two keys are told apart, so the test has power.
        let weak = try Self.chiSquare(sigma: 1.5, samples: 800, coefficients: 48, bins: 10)
        print("chi-square unflooded: \(weak.statistic)")
        #expect(weak.statistic > threshold)
    }
}
