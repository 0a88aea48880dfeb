import CKKS
import Foundation

// CKKS basics with the public API: evaluate π·x³ + 0.4·x + 1 on 4,096 encrypted points of [0, 1], rotate the
// result, and pass every object through SEAL's file format on the way. Exits with status 1 if a result is wrong.

/// Prints a step of the story.
func say(_ text: String) { print(text) }

/// Stops the program with status 1 when `condition` fails.
func check(_ condition: Bool, _ what: String) {
    guard condition else {
        FileHandle.standardError.write(Data("FAILED: \(what)\n".utf8))
        exit(1)
    }
    say("  ok: \(what)")
}

do {
    say("1. Parameters")
    // N = 8192 gives 4,096 slots. The 60-bit first prime holds the result's integer part plus the 40 bits of scale;
    // the two 40-bit primes are used up by one rescale each (two multiplications deep); the last 60-bit prime is the
    // special prime that only key switching uses. 200 bits stay within 128-bit security at N = 8192.
    let parameters = try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60])
    let context = try CKKSContext(parameters)
    let scale = 0x1p40
    say("   N = 8192, coefficient modulus bits [60, 40, 40, 60], scale 2^40")

    say("2. Keys")
    let keygen = KeyGenerator(context: context)
    let publicKey = keygen.createPublicKey()
    let relinKeys = try keygen.createRelinKeys()
    let galoisKeys = try keygen.createGaloisKeys(steps: [1])
    say("   secret, public, relinearization and Galois (rotation by 1) keys")

    say("3. SEAL files out and back in")
    // Everything below is computed from the objects read back, so the files are the whole state.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ckks-basics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    try parameters.save(toFile: path("params.bin"))
    try keygen.secretKey.save(toFile: path("secret.key"))
    try publicKey.save(toFile: path("public.key"))
    try relinKeys.save(toFile: path("relin.key"))
    try galoisKeys.save(toFile: path("galois.key"))
    let loadedParameters = try EncryptionParameters(contentsOfFile: path("params.bin"))
    check(loadedParameters == parameters, "parameters read back equal")
    let loaded = try CKKSContext(loadedParameters)
    let secretKey = try SecretKey(contentsOfFile: path("secret.key"), context: loaded)
    let publicKeyBack = try PublicKey(contentsOfFile: path("public.key"), context: loaded)
    let encryptor = try Encryptor(context: loaded, publicKey: publicKeyBack)
    let decryptor = try Decryptor(context: loaded, secretKey: secretKey)
    let evaluator = Evaluator(context: loaded)
    let relin = try RelinKeys(contentsOfFile: path("relin.key"), context: loaded)
    let galois = try GaloisKeys(contentsOfFile: path("galois.key"), context: loaded)
    let encoder = CKKSEncoder(context: loaded)

    say("4. Encode and encrypt")
    let slots = encoder.slotCount
    let inputs = (0..<slots).map { Double($0) / Double(slots - 1) }
    let x = try encryptor.encrypt(try encoder.encode(inputs, scale: scale))
    try x.save(toFile: path("x.ct"))
    let x1 = try Ciphertext(contentsOfFile: path("x.ct"), context: loaded)
    let magic = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("x.ct"))).prefix(4))
    check(magic == [0x5E, 0xA1, 0x10, 0x04], "x.ct starts with a SEAL 4 header (magic A15E, 16 header bytes)")
    check(slots == 4096, "4096 slots, one input each")

    say("5. Multiply, relinearize, rescale")
    // x² has scale 2^80 and three components; relinearization brings it back to two, the rescale divides by a
    // 40-bit prime so the scale returns close to 2^40 and one prime is used up.
    var x3 = try evaluator.square(x1)
    try evaluator.relinearizeInPlace(&x3, relinKeys: relin)
    try evaluator.rescaleToNextInPlace(&x3)
    check(abs(log2(x3.scale) - 40) < 0.01, "x² rescaled to scale 2^\(String(format: "%.4f", log2(x3.scale)))")
    // π·x at the same level, then π·x³ = x² · π·x: two levels below x.
    var piX = try evaluator.multiplyPlain(x1, try encoder.encode(3.14159265, scale: scale))
    try evaluator.rescaleToNextInPlace(&piX)
    try evaluator.multiplyInPlace(&x3, piX)
    try evaluator.relinearizeInPlace(&x3, relinKeys: relin)
    try evaluator.rescaleToNextInPlace(&x3)
    check(x3.parmsID == loaded.lastParmsID, "π·x³ at the last level")
    var pointFourX = try evaluator.multiplyPlain(x1, try encoder.encode(0.4, scale: scale))
    try evaluator.rescaleToNextInPlace(&pointFourX)

    say("6. Add terms of different levels")
    // Sums need equal levels (mod-switch drops primes, keeping the scale) and equal scales. The rescaled scales
    // differ from 2^40 by the primes' distance from 2^40, far below our precision, so they are declared 2^40.
    x3.scale = scale
    pointFourX.scale = scale
    try evaluator.modSwitchToInPlace(&pointFourX, parmsID: x3.parmsID)
    var one = try encoder.encode(1.0, scale: scale)
    try evaluator.modSwitchToInPlace(&one, parmsID: x3.parmsID)
    var result = try evaluator.add(x3, pointFourX)
    try evaluator.addPlainInPlace(&result, one)

    say("7. Rotate")
    let rotated = try evaluator.rotateVector(result, steps: 1, galoisKeys: galois)

    say("8. Decrypt and decode")
    try rotated.save(toFile: path("result.ct"))
    let back = try Ciphertext(contentsOfFile: path("result.ct"), context: loaded)
    let decoded = try encoder.decode(try decryptor.decrypt(back))
    // Rotation by 1 moves slot i + 1 to slot i (cyclically).
    let expected = (0..<slots).map { i -> Double in
        let v = inputs[(i + 1) % slots]
        return 3.14159265 * v * v * v + 0.4 * v + 1
    }
    let worst = zip(decoded, expected).map { ($0 - $1).magnitude }.max() ?? .infinity
    for i in [0, 1, slots - 1] {
        say(String(format: "   slot %4d: %.6f (expected %.6f)", i, decoded[i], expected[i]))
    }
    check(worst < 1e-4, String(format: "every slot within 1e-4 of π·x³ + 0.4·x + 1, rotated (worst %.2e)", worst))
} catch {
    FileHandle.standardError.write(Data("FAILED: \(error)\n".utf8))
    exit(1)
}
