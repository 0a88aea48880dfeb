import CKKS
import Foundation

/// The CKKS operations timed against SEAL (`Benchmarks/seal_ckks.py` runs the same through seal-python), one
/// thread, setup outside the timed region as in SEAL's `native/bench` (`BMEnv`).
enum CKKSBenchmarks: BenchmarkGroup {
    static let parameterSets: [(degree: Int, bitSizes: [Int])] = [
        (8192, [60, 40, 40, 60]),
        (16384, [60, 40, 40, 40, 40, 60]),
    ]

    /// One parameter set's keys and operands, made once and shared by its benchmarks.
    final class Environment {
        let context: CKKSContext
        let encoder: CKKSEncoder
        let encryptor: Encryptor
        let decryptor: Decryptor
        let evaluator: Evaluator
        let relinKeys: RelinKeys
        let galoisKeys: GaloisKeys
        let values: [Double]
        let plain: Plaintext
        let c1: Ciphertext
        let c2: Ciphertext
        let product: Ciphertext
        let relinearized: Ciphertext
        /// product ⊗ c1, unrelinearized (size 4): the input of the size-4 fused relinearize-and-rescale.
        let cube: Ciphertext
        let scale = 0x1p40

        init(degree: Int, bitSizes: [Int]) throws {
            context = try CKKSContext(EncryptionParameters(polyModulusDegree: degree, bitSizes: bitSizes))
            encoder = CKKSEncoder(context: context)
            let keygen = KeyGenerator(context: context)
            encryptor = try Encryptor(
                context: context, publicKey: keygen.createPublicKey(), secretKey: keygen.secretKey)
            decryptor = try Decryptor(context: context, secretKey: keygen.secretKey)
            evaluator = Evaluator(context: context)
            relinKeys = try keygen.createRelinKeys(maxPower: 3)
            galoisKeys = try keygen.createGaloisKeys(steps: [1])
            values = (0..<(degree / 2)).map { sin(0.001 * Double($0)) }
            plain = try encoder.encode(values, scale: scale)
            c1 = try encryptor.encrypt(plain)
            c2 = try encryptor.encrypt(plain)
            product = try evaluator.multiply(c1, c2)
            relinearized = try evaluator.relinearize(product, relinKeys: relinKeys)
            cube = try evaluator.multiply(product, c1)
        }
    }

    static func benchmarks(quick: Bool) -> [Benchmark] {
        let sets = quick ? Array(parameterSets.prefix(1)) : parameterSets
        var result: [Benchmark] = []
        for (degree, bitSizes) in sets {
            let logQ = bitSizes.dropLast().reduce(0, +)
            let prefix = "n=\(degree) / log(q)=\(logQ) / CKKS / "
            let environment = SetUpOnce { try Environment(degree: degree, bitSizes: bitSizes) }
            func add(_ op: String, _ body: @escaping (Environment) throws -> Any) {
                result.append(
                    Benchmark(prefix + op) {
                        let env = try environment.value()
                        _ = try body(env)  // fail early, outside the timed region
                        return { blackHole(try? body(env)) }
                    })
            }
            add("Encode") { try $0.encoder.encode($0.values, scale: $0.scale) }
            add("EncryptPublic") { try $0.encryptor.encrypt($0.plain) }
            add("EncryptSymmetric") { try $0.encryptor.encryptSymmetric($0.plain) }
            add("DecryptDecode") { try $0.encoder.decode($0.decryptor.decrypt($0.c1)) }
            add("Decrypt") { try $0.decryptor.decrypt($0.c1) }
            add("Decode") { try $0.encoder.decode($0.plain) }
            add("Add") { try $0.evaluator.add($0.c1, $0.c2) }
            add("MultiplyPlain") { try $0.evaluator.multiplyPlain($0.c1, $0.plain) }
            add("Multiply") { try $0.evaluator.multiply($0.c1, $0.c2) }
            add("Relinearize") { try $0.evaluator.relinearize($0.product, relinKeys: $0.relinKeys) }
            add("Rescale") { try $0.evaluator.rescaleToNext($0.relinearized) }
            // Not SEAL operations (no SEAL counterpart): one rounded division by P·q for sizes 3 and 4.
            add("FusedRelinRescale size 3") {
                try $0.evaluator.relinearizeAndRescale($0.product, relinKeys: $0.relinKeys)
            }
            add("FusedRelinRescale size 4") { try $0.evaluator.relinearizeAndRescale($0.cube, relinKeys: $0.relinKeys) }
            add("Rotate") { try $0.evaluator.rotateVector($0.c1, steps: 1, galoisKeys: $0.galoisKeys) }
        }
        return result
    }
}
