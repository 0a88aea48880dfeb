import CKKS
import Foundation
import NTT

/// A quick estimate of the full-encryption (CryptoNets-style) baseline of the same LeNet-5, spec §9.9: every
/// weight encrypted, every layer evaluated homomorphically with the same batched packing and the same kernels, the
/// FC ReLUs replaced by squares (a model variant; the cost does not depend on the weights' values).
///
/// ``FullEncryptionRun`` really runs it (several minutes on 2 cores); this estimate takes under a minute, for the
/// demo's default. Each operation kind is **timed** at the original's full-mode parameters (N = 32768,
/// {60, 40×12, 60}) and at the level where full mode performs it, in this process, and multiplied by the exact
/// operation counts of the network. Kernels are timed on cache-warm data, so the result is a lower bound on the
/// real cost (in favour of the baseline). Memory is modelled as the widest layer's activations (864 squared conv1
/// outputs at 8 primes) plus one output neuron's weights — a model, not a bound: the measured run, which folds each
/// conv1 filter's squares into the conv2 sums before the next filter, peaks lower (2.95–3.0 GiB against 4.22 GiB;
/// BENCHMARKS.md). The package is every weight ciphertext in seeded form.
public struct FullEncryptionEstimate: Sendable, Codable {
    /// Estimated seconds per phase (package, conv1, activation, conv2, fc, decrypt) on all cores.
    public var phases: [String: Double]
    /// The sum.
    public var secondsTotal: Double
    /// Modelled peak memory (see the type's note: the measured run peaks lower).
    public var peakBytes: Double
    /// Size of the fully encrypted model package (seeded ciphertexts).
    public var packageBytes: Double
    /// Operation counts by kind.
    public var operations: [String: Int]

    /// Times each operation kind at the full-mode parameters and extrapolates.
    /// - Parameters:
    ///   - conv1Filters: conv1 width (6).
    ///   - conv2Filters: conv2 width (16).
    ///   - fcSizes: FC widths including the flattened input ([256, 120, 84, 10]).
    ///   - cores: cores the work would spread over.
    ///   - degree: ring degree of full mode.
    ///   - bitSizes: prime sizes of full mode (the original's).
    /// - Returns: the estimated phases, memory and package size, and the operation counts.
    /// - Throws: `CKKSError` if the parameters are unusable.
    public static func measure(
        conv1Filters: Int = 6, conv2Filters: Int = 16, fcSizes: [Int] = [256, 120, 84, 10], cores: Int = 2,
        degree: Int = 32768, bitSizes: [Int] = [60] + [Int](repeating: 40, count: 12) + [60]
    ) throws -> FullEncryptionEstimate {
        let context = try HEContext(parameters: try EncryptionParameters(polyModulusDegree: degree, bitSizes: bitSizes))
        let keys = try context.generateKeys()
        let encryptor = try Encryptor(context: context.ckks, secretKey: keys.secret)
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        let n = context.degree
        // Levels (prime counts) of each layer: conv1 at depth+1 primes, one prime less per rescale.
        let top = 2 * (1 + fcSizes.count - 1) + 2  // conv1, sq, conv2, sq, fc…, each fc but the last followed by sq
        var cache: [String: Double] = [:]
        func seconds(_ key: String, repeats: Int = 3, _ body: () throws -> Void) rethrows -> Double {
            if let t = cache[key] { return t }
            try body()  // warm-up
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repeats { try body() }
            let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats)
            cache[key] = t
            return t
        }
        func fresh(_ k: Int) throws -> Ciphertext {
            try context.encryptConstant(0.01, scale: exp2(40), primes: k, encryptor: encryptor)
        }
        func macTerm(_ k: Int, cipher: Bool) throws -> Double {
            let w = WordBuffer(try fresh(k).data), x = WordBuffer(try fresh(k).data)
            let terms = [ProductTerm](
                repeating: ProductTerm(weight: w.pointer, input: x.pointer, inputIsCipher: cipher), count: 16)
            let out = WordBuffer(count: 3 * k * n)
            return withExtendedLifetime((w, x)) {
                seconds("mac\(k)\(cipher)") {
                    LazyAccumulator.sum(
                        terms, primes: k, degree: n, moduli: context.moduli(k), outSize: cipher ? 3 : 2,
                        into: out.pointer)
                } / 16
            }
        }
        func relinRescale(_ k: Int) throws -> Double {
            let ct = try fresh(k)
            let product = try context.evaluator.square(ct)
            return try seconds("rr\(k)") {
                var c = product
                try context.evaluator.relinearizeInPlace(&c, relinKeys: keys.relinKeys)
                try context.evaluator.rescaleToNextInPlace(&c)
            }
        }
        func rescaleOnly(_ k: Int) throws -> Double {
            let ct = try fresh(k)
            return try seconds("rs\(k)") {
                var c = ct; try context.evaluator.rescaleToNextInPlace(&c)
            }
        }
        func encrypt(_ k: Int) throws -> Double { try seconds("enc\(k)") { _ = try fresh(k) } }
        func encode(_ k: Int) throws -> Double {
            let values = [Double](repeating: 3, count: n / 2)
            return try seconds("encode\(k)") { _ = try context.encodeBuffer(values, scale: exp2(40), primes: k) }
        }
        func ctBytes(_ k: Int) -> Double { Double(2 * k * n * 8) }

        var phases: [String: Double] = [:]
        var ops: [String: Int] = [:]
        var packageBytes = 0.0
        var peak = 0.0
        var k = top
        // conv1 (pooled kernels, 36 taps) on encoded inputs.
        let taps = 36, pooled1 = 144, pooled2 = 16
        phases["conv1", default: 0] += 784 * (try encode(k))
        phases["conv1", default: 0] += Double(conv1Filters * pooled1 * taps) * (try macTerm(k, cipher: false))
        phases["conv1", default: 0] += Double(conv1Filters * pooled1) * (try rescaleOnly(k))
        phases["package", default: 0] += Double(conv1Filters * (taps + 1)) * (try encrypt(k))
        packageBytes += Double(conv1Filters * (taps + 1)) * ctBytes(k) / 2
        ops["ct⊙pt"] = conv1Filters * pooled1 * taps
        k -= 1
        phases["activation", default: 0] += Double(conv1Filters * pooled1) * (try relinRescale(k))
        k -= 1
        // conv2: every input channel encrypted.
        phases["conv2", default: 0] +=
            Double(conv2Filters * pooled2 * conv1Filters * taps) * (try macTerm(k, cipher: true))
        phases["conv2", default: 0] += Double(conv2Filters * pooled2) * (try relinRescale(k))
        phases["package", default: 0] += Double(conv2Filters * (conv1Filters * taps + 1)) * (try encrypt(k))
        packageBytes += Double(conv2Filters * (conv1Filters * taps + 1)) * ctBytes(k) / 2
        peak = max(peak, Double(conv1Filters * pooled1) * ctBytes(k) + Double(conv1Filters * taps + 1) * ctBytes(k))
        ops["ct⊗ct"] = conv2Filters * pooled2 * conv1Filters * taps
        ops["relinearize"] = conv1Filters * pooled1 + conv2Filters * pooled2
        k -= 1
        phases["activation", default: 0] += Double(conv2Filters * pooled2) * (try relinRescale(k))
        ops["relinearize", default: 0] += conv2Filters * pooled2
        k -= 1
        // FC layers: ct⊗ct products, then a square after all but the last.
        for layer in 1..<fcSizes.count {
            let inputs = fcSizes[layer - 1], outputs = fcSizes[layer]
            phases["fc", default: 0] += Double(outputs * inputs) * (try macTerm(k, cipher: true))
            phases["fc", default: 0] += Double(outputs) * (try relinRescale(k))
            phases["package", default: 0] += Double(outputs * (inputs + 1)) * (try encrypt(k))
            packageBytes += Double(outputs * (inputs + 1)) * ctBytes(k) / 2
            peak = max(peak, Double(inputs) * ctBytes(k) + Double(inputs + 1) * ctBytes(k))
            ops["ct⊗ct", default: 0] += outputs * inputs
            ops["relinearize", default: 0] += outputs
            k -= 1
            if layer < fcSizes.count - 1 {
                phases["activation", default: 0] += Double(outputs) * (try relinRescale(k))
                ops["relinearize", default: 0] += outputs
                k -= 1
            }
        }
        let last = try fresh(max(1, k))
        phases["decrypt"] = Double(fcSizes.last ?? 10) * (try seconds("dec") { _ = try decryptor.decrypt(last) })
        ops["encrypted weights"] =
            conv1Filters * (taps + 1) + conv2Filters * (conv1Filters * taps + 1)
            + (1..<fcSizes.count).reduce(0) { $0 + fcSizes[$1] * (fcSizes[$1 - 1] + 1) }
        // Kernels above ran on one core; the work spreads over `cores`.
        for key in phases.keys { phases[key]? /= Double(max(1, cores)) }
        return FullEncryptionEstimate(
            phases: phases, secondsTotal: phases.values.reduce(0, +), peakBytes: peak, packageBytes: packageBytes,
            operations: ops)
    }
}
