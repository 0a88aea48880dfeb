import CKKS
import Foundation
import NN
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
        let payload = [UInt8](repeating: 7, count: 10 << 20)
        time("BLAKE2b-256 of 10 MiB", repeats: 3) { _ = ContentHasher.hash(payload) }
    }
}
