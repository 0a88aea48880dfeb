import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The regression attack's simulation of the leak (the separate model's pooled conv2 outputs plus Gaussian noise
/// of the flooding's size) against what the user really decrypts from the owner's flooded response.
@Suite struct RegressionLeakTests {
    @Test func decryptedOutputsEqualTheSimulationWithinTheFlooding() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors")
        let selection = try SelectedNeurons([1: [0], 2: [15]])
        let keys = dir.appendingPathComponent("keys"), package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: modelURL, selection: selection, out: package, preset: .auto, keys: keys,
            normalization: Dataset.mnist.normalization, parameters: try EncryptedProtocolTests.smallParameters(),
            security: .none)
        // Three MNIST test images and two chosen inputs: uniform random bytes and an impulse.
        var images = try EncryptedPipelineTests.images(3)
        var generator = Xoshiro256(seed: 8)
        images.pixels += (0..<784).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        images.pixels += (0..<784).map { $0 == 300 ? 255 : 0 }
        images.labels += [0, 0]
        images.count = 5
        let request = dir.appendingPathComponent("req"), response = dir.appendingPathComponent("resp")
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: images.count, out: request)
        _ = try OwnerRole.decrypt(keys: keys, request: request, response: response)

        // What the user reads: unmask and decode each pooled output's ciphertext (one per filter and position).
        let pkg = try UserRole.load(package)
        let n = pkg.context.degree
        #expect(pkg.weights.conv2Filters == [15])
        let decoded = try UserRole.decode(pkg, request: request, response: response)
        // [position][image] of the one encrypted filter.
        let decrypted = (0..<16).map { p in (0..<images.count).map { Double(decoded.values[$0 * 16 + p]) } }

        // The simulation: the separate model's pooled outputs in doubles.
        let model = Model(.lenet5MNIST)
        try model.load(try Safetensors(contentsOf: modelURL).floatTensors(file: modelURL.path))
        let tensor = LabeledTensor(images, normalization: Dataset.mnist.normalization)
        let target = try RegressionTarget(
            model, selection: selection, test: tensor,
            normalization: Dataset.mnist.normalization)
        let simulated = try target.leaks(of: tensor.images)
        // Flooding: σ = resultScale·2^(s−β) per coefficient, σ·√(N/2)/resultScale on a decoded slot.
        let flooding = pkg.manifest.flooding
        let slotSigma = flooding.sigma(resultScale: 1) * Double(n / 2).squareRoot()
        var worst = 0.0, sumSquares = 0.0, magnitude = 0.0
        for image in 0..<images.count {
            for position in 0..<16 {
                let d = decrypted[position][image] - simulated[image][0][position]
                worst = max(worst, abs(d))
                sumSquares += d * d
                magnitude = max(magnitude, abs(simulated[image][0][position]))
            }
        }
        let deviation = (sumSquares / Double(images.count * 16)).squareRoot()
        #expect(magnitude > 1000 * slotSigma, "outputs must dwarf the noise: max |y| = \(magnitude)")
        #expect(worst < 6 * slotSigma, "max |decrypted − simulated| = \(worst), σ_slot = \(slotSigma)")
        #expect(deviation > 0.6 * slotSigma && deviation < 1.6 * slotSigma, "RMS \(deviation) vs σ_slot \(slotSigma)")
    }
}
