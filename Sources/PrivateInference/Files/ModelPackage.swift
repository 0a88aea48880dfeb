import CKKS
import Foundation
import NN

/// The package manifest (`manifest.json`): what the user needs to know about the package, and the content
/// hash of every other file in it.
///
/// Since version 4 an exchange file (keys, encrypted filters) is named by the hash of its header, which records
/// the payload's hash (``ExchangeFile/contentHash(header:)``), so that packaging and loading hash each byte once;
/// versions 1–3 hashed whole files on top of the payload hashes.
struct PackageManifest: Codable, Sendable {
    static let format = "privdnn-package"
    /// The version this code writes; each version changed the files as follows.
    ///
    /// 2: conv1 and conv2's plaintext-channel parts hold box-form taps (``PooledKernels``). 3: relinearization
    /// keys for s² and s³ (the user relinearizes four-component conv2 sums). 4: exchange files named by their
    /// header hash. 5: conv2's parts hold paired complex taps, and responses carry the real part 2·Re(m) of each
    /// result. 6: a package holds the operands of one or both packings (``packings``); a pixels package adds
    /// Galois keys for its folding rotations. 7: the pixels layout chooses its term blocks per filter by cost
    /// (``PixelsLayout/estimatedCost``), `pixels-conv1-laneL.enc` holds the conv1 weights of the L-th distinct set of
    /// lanes (``PixelsLayout/conv1WeightSets()``), and a residual network's pixels requests carry conv1's result
    /// lanes: a version-6 pixels package would be read with other lanes' weights, so it is refused as a whole.
    static let currentVersion = 7

    var format: String
    var version: Int
    /// Key-level parms_id (hex).
    var parmsID: String
    var parameters: ParameterRecord
    var plan: ScalePlan
    var flooding: FloodingParameters
    /// `{"1": [...], "2": [...]}`.
    var selection: [String: [Int]]
    var architecture: String
    var normalizationMean: [Float]
    var normalizationStd: [Float]
    /// BLAKE2b-256 of the public key words: which owner key this package belongs to.
    var keyID: String
    /// Hash of (model file, selection, parameters, key id): the cache key.
    var cacheKey: String
    /// The packings whose operands the package holds (optional only so that an older manifest is refused by its
    /// version, not as unreadable).
    var packings: [Packing]?
    /// File name → content hash: for exchange files the BLAKE2b-256 of the header bytes (magic, length, JSON
    /// with the payload's BLAKE2b-256), for the others (remainder, selection) of the whole file.
    var files: [String: String]
}

/// The files of a package directory.
enum PackageFiles {
    static let manifest = "manifest.json"
    static let publicKey = "public.key"
    static let relinKeys = "relin.keys"
    /// One part of an encrypted filter (conv1: the whole filter; conv2: one input channel, or the bias), so
    /// the user streams them.
    static func part(layer: Int, filter: Int, part: Int) -> String { "conv\(layer)-filter\(filter)-part\(part).enc" }
    static let remainder = "remainder.safetensors"
    static let selection = "selection.json"
    /// The pixels packing's Galois keys (``PixelsLayout/rotationSteps``).
    static let galoisKeys = "galois.keys"
    /// The pixels packing's conv1 operands of one set of cipher lanes (``PixelsLayout/conv1WeightSets()``).
    static func pixelsConv1(lane: Int) -> String { "pixels-conv1-lane\(lane).enc" }
    /// The pixels packing's conv2 operands of one output ciphertext.
    static func pixelsOutput(_ output: Int) -> String { "pixels-output\(output).enc" }
}

/// A package as the user loads it.
struct LoadedPackage {
    let manifest: PackageManifest
    /// BLAKE2b-256 of manifest.json: requests and responses are bound to it.
    let manifestHash: String
    let context: HEContext
    let weights: EncryptedWeights
    /// Reads, verifies and parses the relinearization keys (s², s³): they are needed only for conv2's last
    /// step, so they are not resident during conv1, the exchange's peak.
    let relinKeys: @Sendable () throws -> RelinKeys
    /// Reads, verifies and parses the public key (for re-randomizing the results, after the layers).
    let publicKey: @Sendable () throws -> PublicKey
    /// The pixels packing's operands, if the package holds them (``PixelsPackage``).
    let pixels: PixelsPackage?
    /// The plaintext remainder (encrypted filters zeroed, the separate rule applied).
    let remainder: Model
    let geometry: StageGeometry
    /// Where the encrypted part sits in the remainder's layers.
    let structure: EncryptedStructure

    var plan: ScalePlan { manifest.plan }
    /// The packings the package holds.
    var packings: [Packing] { manifest.packings ?? [] }
    /// The encrypted conv1 filters whose squares are decrypted as well: every selected one when a residual
    /// shortcut after conv2 reads conv1's result (TinyImageNet's ResNet-18; the layer-1 list, where the original
    /// used the layer-2 list, spec §9.6 step 5), else none.
    var conv1ResultFilters: [Int] { structure.readsConv1Result ? weights.conv1Filters : [] }
    /// The input transform the model expects.
    var normalization: Normalization {
        Normalization(mean: manifest.normalizationMean, std: manifest.normalizationStd)
    }

    /// The engine's tiles of this package's outputs within `memoryBudget` bytes.
    func tilePlan(memoryBudget: Int) -> TilePlan {
        TilePlan(
            geometry: geometry, conv1Filters: weights.conv1Filters.count, conv2Filters: weights.conv2Filters.count,
            degree: context.degree, budget: memoryBudget)
    }
}

/// Model file helpers.
enum ModelFile {
    /// A copy of `model` with the selected filters' weights and biases zeroed and the separate rule applied to
    /// conv2's weights: exactly what the user may see.
    static func remainder(of model: Model, selection: SelectedNeurons) throws -> Model {
        let copy = Model(model.architecture, hiddenActivation: model.hiddenActivation)
        try copy.load(Dictionary(uniqueKeysWithValues: model.stateDict()))
        let k2 = copy.conv2.kernelSize * copy.conv2.kernelSize
        let cin = copy.conv2.inChannels
        let k1 = copy.conv1.kernelSize * copy.conv1.kernelSize * copy.conv1.inChannels
        // A batch norm after conv1 is folded into the encrypted filters: its entries for them are neutral here, so
        // that the remainder holds nothing of an encrypted filter and its channel stays zero.
        let norm = try EncryptedStructure(copy).conv1Norm
        for f in selection[1] {
            for i in 0..<k1 { copy.conv1.weight.value.data[f * k1 + i] = 0 }
            copy.conv1.bias?.value.data[f] = 0
            if let norm {
                norm.weight.value.data[f] = 0
                norm.bias.value.data[f] = 0
                norm.runningMean.value.data[f] = 0
                norm.runningVar.value.data[f] = 1
            }
        }
        for o in 0..<copy.conv2.outChannels {
            if selection[2].contains(o) {
                for i in 0..<(cin * k2) { copy.conv2.weight.value.data[o * cin * k2 + i] = 0 }
                copy.conv2.bias?.value.data[o] = 0
            } else {
                for c in selection[1] { for i in 0..<k2 { copy.conv2.weight.value.data[(o * cin + c) * k2 + i] = 0 } }
            }
        }
        return copy
    }

    /// Images per plaintext forward pass (bounds the im2col buffers).
    static let chunk = 500

    /// Evaluation-mode logits in chunks of ``chunk`` images.
    static func logits(_ model: Model, _ images: LabeledImages, normalization: Normalization) -> [Float] {
        var out: [Float] = []
        for start in stride(from: 0, to: images.count, by: chunk) {
            let end = min(images.count, start + chunk)
            let x = Tensor(
                shape: [end - start, images.channels, images.height, images.width],
                data: images.floats(at: start..<end, normalization: normalization))
            out += model.network.forward(x, training: false).data
        }
        return out
    }

}

/// Encrypted-filter files: per ciphertext, its SEAL serialization (seeded form) prefixed by its byte length.
enum FilterFile {
    /// The payload of a part, each ciphertext serialized in place into one buffer.
    static func payload(_ ciphertexts: [Ciphertext]) throws -> [UInt8] {
        var writer = ByteWriter(capacity: ciphertexts.reduce(0) { $0 + 8 + serializedBound($1) })
        for ct in ciphertexts {
            let start = writer.bytes.count
            writer.write(UInt64(0))  // the length, filled in below
            try ct.append(to: &writer)
            var length = [UInt8]()
            withUnsafeBytes(of: UInt64(writer.bytes.count - start - 8).littleEndian) { length += $0 }
            writer.overwrite(length, at: start)
        }
        return writer.bytes
    }

    /// An upper bound of a ciphertext's serialized size (SEAL header and fields, its words, PRNG info).
    static func serializedBound(_ ct: Ciphertext) -> Int { 256 + 8 * ct.data.count }

    /// The ciphertexts of a part: `bytes[range]` holds the payload.
    /// - Throws: ``InferenceError`` naming `path` for a bad length, trailing bytes, or an invalid ciphertext.
    static func parse(
        _ bytes: [UInt8], range: Range<Int>, count: Int, primes: Int, context: HEContext, path: String
    ) throws -> [Ciphertext] {
        try parse(bytes, range: range, count: count, primes: primes, context: context, path: path) { $0 }
    }

    /// The ciphertexts of a part, each handed to `transform` on the worker that parsed it (so that only one
    /// ciphertext per worker is alive besides the results).
    static func parse<T: Sendable>(
        _ bytes: [UInt8], range: Range<Int>, count: Int, primes: Int, context: HEContext, path: String,
        transform: @Sendable (Ciphertext) -> T
    ) throws -> [T] {
        var offset = range.lowerBound
        var ranges: [Range<Int>] = []
        for _ in 0..<count {
            guard range.upperBound - offset >= 8 else {
                throw InferenceError.badFile(path: path, reason: "payload too short")
            }
            let length = bytes.withUnsafeBytes {
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            }
            offset += 8
            guard length <= UInt64(range.upperBound - offset) else {
                throw InferenceError.badFile(path: path, reason: "truncated ciphertext")
            }
            ranges.append(offset..<(offset + Int(length)))
            offset += Int(length)
        }
        guard offset == range.upperBound else { throw InferenceError.badFile(path: path, reason: "trailing bytes") }
        // Expanding the seeded c1 (BLAKE2Xb) dominates loading: do it on every core, reading each ciphertext in
        // place.
        return try Parallelism.map(count) { i in
            Result { () throws -> T in
                let ct = try SEALObject.load(Ciphertext.self, bytes, range: ranges[i], context: context, path: path)
                guard ct.parmsID == context.parmsIDs[primes], ct.size == 2 else {
                    throw InferenceError.mismatch(path: path, reason: "ciphertext is not at the expected level")
                }
                return transform(ct)
            }
        }.map { try $0.get() }
    }
}
