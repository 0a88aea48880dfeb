import CKKS
import Foundation
import NN
import NTT
import PrivateInference

/// Kernel timings at the real ring (N = 16384, the auto preset), one core.
enum Micro {
    static func time(_ label: String, repeats: Int, _ body: () throws -> Void) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { try body() }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(repeats)
        print(String(format: "{\"micro\": \"%@\", \"ms\": %.3f}", label, ms))
    }

    static func run() throws {
        let context = try HEContext(parameters: ParameterPreset.auto.encryptionParameters())
        let keys = try context.generateKeys()
        let encryptor = try Encryptor(context: context.ckks, publicKey: keys.publicKey, secretKey: keys.secret)
        let values = (0..<5000).map { Double($0 % 256) }
        try time("encode 4 primes", repeats: 20) { _ = try context.encodeWords(values, scale: exp2(50), primes: 4) }
        try time("encode 2 primes", repeats: 20) { _ = try context.encodeWords(values, scale: exp2(50), primes: 2) }
        var weights: [Ciphertext] = []
        try time("encrypt constant 4 primes (seeded)", repeats: 10) {
            weights.append(try context.encryptConstant(0.01, scale: exp2(60), primes: 4, encryptor: encryptor))
        }
        let bytes = try weights[0].serialized()
        try time("load seeded ciphertext 4 primes", repeats: 10) {
            _ = try Ciphertext(serialized: bytes, context: context.ckks)
        }
        let x = try context.encodeWords(values, scale: exp2(50), primes: 4)
        let input = WordBuffer(x)
        let ws = (0..<36).map { WordBuffer(weights[$0 % weights.count].data) }
        let out = WordBuffer(count: 2 * 4 * context.degree)
        time("MAC 36 ct⊙pt, 4 primes", repeats: 5) {
            let terms = ws.map { ProductTerm(weight: $0.pointer, input: input.pointer, inputIsCipher: false) }
            LazyAccumulator.sum(
                terms, primes: 4, degree: context.degree, moduli: context.moduli(4), outSize: 2, into: out.pointer)
        }
        var ct = weights[0]
        try time("rescale 4→3", repeats: 10) {
            var c = ct; try context.evaluator.rescaleToNextInPlace(&c)
        }
        try context.evaluator.rescaleToNextInPlace(&ct)
        try time("square 3 primes", repeats: 10) { _ = try context.evaluator.square(ct) }
        let sq = try context.evaluator.square(ct)
        try time("relinearize 3 primes", repeats: 10) {
            var c = sq; try context.evaluator.relinearizeInPlace(&c, relinKeys: keys.relinKeys)
        }
        try time("relinearize then rescale 3 primes", repeats: 20) {
            var c = sq; try context.evaluator.relinearizeInPlace(&c, relinKeys: keys.relinKeys)
            try context.evaluator.rescaleToNextInPlace(&c)
        }
        try time("relinearizeAndRescale 3 primes", repeats: 20) {
            var c = sq; try context.evaluator.relinearizeAndRescaleInPlace(&c, relinKeys: keys.relinKeys)
        }
        try time("public-key zero at 1 prime", repeats: 5) {
            _ = try encryptor.encryptZero(parmsID: context.parmsIDs[1])
        }
        // One rotation at the data-encrypted preset's conv2 level (8 of 10 data primes), where its one-image run
        // spends most of its time (compare under `taskset -c 0` for one core).
        let deContext = try HEContext(parameters: DataEncryptedPreset.auto.encryptionParameters())
        let generator = KeyGenerator(context: deContext.ckks)
        let galois = try generator.createGaloisKeys(steps: [1])
        let deEncryptor = try Encryptor(context: deContext.ckks, secretKey: generator.secretKey)
        let rotated = try deEncryptor.encryptSymmetric(
            try CKKSEncoder(context: deContext.ckks).encode(values, scale: exp2(40), parmsID: deContext.parmsIDs[8]))
        try time("rotate N=16384, 8 primes", repeats: 20) {
            _ = try deContext.evaluator.rotateVector(rotated, steps: 1, galoisKeys: galois)
        }
        let payload = [UInt8](repeating: 7, count: 10 << 20)
        time("BLAKE2b-256 of 10 MiB", repeats: 3) { _ = ContentHasher.hash(payload) }
    }

    /// The lazy multiply-accumulate alone, on random canonical words at N = 16384 and k = 3 primes.
    ///
    /// The terms are shaped like a convolution: 50 outputs of 36 terms, term t of output o = weight t ⊗ input
    /// (o + t) mod 64, so that outputs share weights and inputs as in `sumAll`'s real calls. Both hot cases: a
    /// ciphertext weight times a three-component ciphertext (6 products per coefficient and term) and times a
    /// plaintext (2). Prints ns per 64×64-bit product (run under `taskset -c 0` for one core) and a checksum of the
    /// sums (equal across builds).
    /// - Parameter repeats: timed runs of each case, at least 1.
    /// - Throws: the error of making the primes.
    static func kernel(repeats: Int) throws {
        let n = 16384, k = 3, outputs = 50, taps = 36, pool = 64
        let moduli = try CoeffModulus.create(degree: n, bitSizes: [60, 60, 60])
        var rng = SplitMix64(seed: 1)  // the same words every run, so that checksums compare across builds
        func random(_ components: Int) -> WordBuffer {
            let buffer = WordBuffer(count: components * k * n)
            for c in 0..<components {
                for (j, q) in moduli.enumerated() {
                    for i in 0..<n { buffer.pointer[(c * k + j) * n + i] = UInt64.random(in: 0..<q.value, using: &rng) }
                }
            }
            return buffer
        }
        let weights = (0..<taps).map { _ in random(2) }
        for (label, components) in [("ct⊙ct3", 3), ("ct⊙pt", 1)] {
            let inputs = (0..<pool).map { _ in random(components) }
            let outSize = components == 1 ? 2 : 4
            let sums = (0..<outputs).map { _ in WordBuffer(count: outSize * k * n) }
            let terms = (0..<outputs).map { o in
                (0..<taps).map { t in
                    ProductTerm(
                        weight: weights[t].pointer, input: inputs[(o + t) % pool].pointer,
                        inputIsCipher: components > 1, inputComponents: max(2, components))
                }
            }
            let products = Double(outputs * taps * n * k * (components == 1 ? 2 : 6))
            var times: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                withExtendedLifetime((weights, inputs)) {
                    LazyAccumulator.sumAll(
                        terms, primes: k, degree: n, moduli: moduli, outSize: outSize, into: sums.map(\.pointer))
                }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            var checksum: UInt64 = 0
            for s in sums { for i in 0..<(outSize * k * n) { checksum = (checksum &* 0x100_0000_01b3) ^ s.pointer[i] } }
            let sorted = times.sorted()  // `repeats` ≥ 1 (main.swift checks it): never empty
            let median = sorted[sorted.count / 2]
            print(
                String(
                    format: "{\"kernel\": \"%@\", \"ms\": %.1f, \"ns_per_product\": %.4f, "
                        + "\"min_ns_per_product\": %.4f, \"checksum\": \"%016llx\"}",
                    label, median / 1e6, median / products, sorted[0] / products, checksum))
        }
    }
}
