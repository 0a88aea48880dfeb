import CKKS
import Foundation
import NN

/// The user's half of the data-encrypted baseline: it owns the keys, encrypts its images and decrypts the logits.
///
/// The secret key never leaves this value; the owner gets only the serialized relinearization keys
/// (``relinKeyBytes()``). The user encrypts symmetrically with its secret key in SEAL's seeded form, which halves
/// the bytes it sends (the second component is regenerated from a seed by the receiver).
struct DataEncryptedUser {
    let context: HEContext
    let geometry: StageGeometry
    /// What is subtracted from channel c's bytes before the means are taken (``LayerKernels/inputShift``).
    let shift: [Double]
    /// Scale and prime count of the encrypted means.
    let scale: Double
    let primes: Int
    let encryptor: Encryptor
    let decryptor: Decryptor
    /// Holds the secret key; makes the Galois keys of the one-image layout on request.
    let generator: KeyGenerator
    /// Seeded relinearization keys for s² (the owner only squares two-component ciphertexts).
    let relinKeys: RelinKeys

    /// Generates a fresh key pair from OS randomness.
    /// - Throws: `CKKSError` if key generation fails.
    init(context: HEContext, geometry: StageGeometry, shift: [Double], scale: Double, primes: Int) throws {
        self.context = context
        self.geometry = geometry
        self.shift = shift
        self.scale = scale
        self.primes = primes
        generator = KeyGenerator(context: context.ckks)
        encryptor = try Encryptor(context: context.ckks, secretKey: generator.secretKey)
        decryptor = try Decryptor(context: context.ckks, secretKey: generator.secretKey)
        relinKeys = try generator.createRelinKeys(maxPower: 2, seeded: true)
    }

    /// The relinearization keys as SEAL bytes (seeded), what the owner receives once.
    func relinKeyBytes() throws -> [UInt8] { try relinKeys.serialized() }

    /// Seeded Galois keys for `steps` as SEAL bytes: what the owner of the one-image layout receives once.
    /// - Throws: `CKKSError` for a step out of range.
    func galoisKeyBytes(steps: [Int]) throws -> [UInt8] {
        try generator.createGaloisKeys(steps: steps, seeded: true).serialized()
    }

    /// One image in ``TapBlockLayout``: ``TapBlockLayout/ciphertexts`` seeded ciphertexts, serialized.
    ///
    /// Slot r of block b of ciphertext j holds the plane value (the same 2×2 means of shifted bytes as
    /// ``encryptRow(_:pixels:count:)``) that conv1's tap j · blocks + b reads for output r.
    /// - Parameters:
    ///   - pixels: the image's `channels · side²` bytes.
    ///   - layout: the tap blocks of the owner's plan.
    /// - Returns: the serialized ciphertexts, ``TapBlockLayout/ciphertexts`` of them.
    /// - Throws: ``InferenceError`` for an image of the wrong size; `CKKSError` from encoding or encryption.
    func encryptImage(_ pixels: [UInt8], layout: TapBlockLayout) throws -> [[UInt8]] {
        let g = geometry, plane = g.conv1, side = plane.side
        guard pixels.count == g.inputChannels * g.inputSide * g.inputSide else {
            throw InferenceError.invalidArgument(
                "an image has \(g.inputChannels * g.inputSide * g.inputSide) bytes, got \(pixels.count)")
        }
        let values = (0..<(g.inputChannels * side * side)).map { i in
            UserEvaluator.sourceValues(
                geometry: g, inputShift: shift, pixels: pixels, count: 1, channel: i / (side * side),
                row: i % (side * side) / side, col: i % side)?[0] ?? 0
        }
        let p1 = g.conv1Side
        return try Parallelism.map(layout.ciphertexts) { j -> Result<[UInt8], Error> in
            let slots = (0..<layout.slots).map { s -> Double in
                guard let t = layout.term(ciphertext: j, slot: s) else { return 0 }
                let row = t.position / p1 * plane.stride + t.dy, col = t.position % p1 * plane.stride + t.dx
                return values[(t.channel * side + row) * side + col]
            }
            return Result {
                let plain = try context.encoder.encode(slots, scale: scale, parmsID: context.parmsIDs[primes])
                return try encryptor.encryptSymmetric(plain, seeded: true).serialized()
            }
        }.map { try $0.get() }
    }

    /// Row r of the plane conv1 reads (``StageGeometry/conv1``): after a pool, the 2×2 means of the shifted,
    /// zero-padded bytes (box form); without one, the padded shifted bytes.
    ///
    /// One seeded ciphertext per channel and column (`[c · side + x]`), slot i = image i, serialized as SEAL writes it.
    /// - Parameters:
    ///   - r: the row, 0 ..< plane side.
    ///   - pixels: `count` images of `channels · side²` bytes (channel-major), image-major.
    ///   - count: images in the batch (≤ N/2).
    /// - Returns: the row's serialized ciphertexts, `[c · side + x]`.
    /// - Throws: `CKKSError` from encoding, encryption or serialization.
    func encryptRow(_ r: Int, pixels: [UInt8], count: Int) throws -> [[UInt8]] {
        let plane = geometry.conv1, side = plane.side, input = geometry.inputSide, pad = plane.padding
        let perImage = geometry.inputChannels * input * input
        let offsets = geometry.conv1Pooled ? [(0, 0), (0, 1), (1, 0), (1, 1)] : [(0, 0)]
        let weight = 1 / Double(offsets.count)
        return try Parallelism.map(geometry.inputChannels * side) { item -> Result<[UInt8], Error> in
            let c = item / side, x = item % side
            var values = [Double](repeating: 0, count: count)
            for (a, b) in offsets {
                let row = r + a - pad, col = x + b - pad
                guard row >= 0, row < input, col >= 0, col < input else { continue }
                let at = (c * input + row) * input + col
                for i in 0..<count { values[i] += weight * (Double(pixels[i * perImage + at]) - shift[c]) }
            }
            return Result {
                let plain = try context.encoder.encode(values, scale: scale, parmsID: context.parmsIDs[primes])
                return try encryptor.encryptSymmetric(plain, seeded: true).serialized()
            }
        }.map { try $0.get() }
    }

    /// Decrypts and decodes the owner's serialized logit ciphertexts: `[class][slot]`.
    /// - Throws: `CKKSError` for bytes that are not a ciphertext of this context.
    func decrypt(_ logits: [[UInt8]]) throws -> [[Double]] {
        try logits.map { bytes in
            try context.encoder.decode(try decryptor.decrypt(try Ciphertext(serialized: bytes, context: context.ckks)))
        }
    }
}
