import CKKS
import Foundation

/// Hoisted rotation of one ciphertext by k steps against k independent rotations.
///
/// "hoisted" is `Evaluator.rotateVectorHoisted` (both cores), "single" k `rotateVector` calls; under the same
/// "single" names `Benchmarks/seal_ckks.py` times SEAL's k `rotate_vector` calls. Steps 1…k, each with a key of
/// its own; the ring sets are ``CKKSBenchmarks``'s.
enum RotateHoistedBenchmarks: BenchmarkGroup {
    static let stepCounts = [1, 4, 8, 16]

    /// One parameter set's Galois keys (steps 1…16) and input, made once and shared by its benchmarks.
    final class Environment {
        let evaluator: Evaluator
        let galoisKeys: GaloisKeys
        let c1: Ciphertext

        init(degree: Int, bitSizes: [Int]) throws {
            let context = try CKKSContext(EncryptionParameters(polyModulusDegree: degree, bitSizes: bitSizes))
            let keygen = KeyGenerator(context: context)
            let encoder = CKKSEncoder(context: context)
            let encryptor = try Encryptor(
                context: context, publicKey: keygen.createPublicKey(), secretKey: keygen.secretKey)
            evaluator = Evaluator(context: context)
            galoisKeys = try keygen.createGaloisKeys(steps: Array(1...(stepCounts.max() ?? 1)))
            let values = (0..<(degree / 2)).map { sin(0.001 * Double($0)) }
            c1 = try encryptor.encrypt(encoder.encode(values, scale: 0x1p40))
        }
    }

    static func benchmarks(quick: Bool) -> [Benchmark] {
        let sets = quick ? Array(CKKSBenchmarks.parameterSets.prefix(1)) : CKKSBenchmarks.parameterSets
        var result: [Benchmark] = []
        for (degree, bitSizes) in sets {
            let prefix = "n=\(degree) / log(q)=\(bitSizes.dropLast().reduce(0, +)) / CKKS / "
            let environment = SetUpOnce { try Environment(degree: degree, bitSizes: bitSizes) }
            for k in stepCounts {
                let steps = Array(1...k)
                func add(_ name: String, _ body: @escaping (Environment) throws -> [Ciphertext]) {
                    result.append(
                        Benchmark(prefix + "Rotations x\(k) " + name, units: k) {
                            let env = try environment.value()
                            _ = try body(env)  // fail early, outside the timed region
                            return { blackHole(try? body(env)) }
                        })
                }
                add("hoisted") { try $0.evaluator.rotateVectorHoisted($0.c1, steps: steps, galoisKeys: $0.galoisKeys) }
                add("single") { env in
                    try steps.map { try env.evaluator.rotateVector(env.c1, steps: $0, galoisKeys: env.galoisKeys) }
                }
            }
        }
        return result
    }
}
