import CKKS
import Foundation
import NN
import NTT

/// Header fields of requests (shared by both roles).
enum RequestCoding {
    static func scale(_ file: ExchangeFile, path: String) throws -> Double {
        guard let bits = UInt64(try file.field("scaleBits", path: path), radix: 16) else {
            throw InferenceError.badFile(path: path, reason: "bad scaleBits")
        }
        let scale = Double(bitPattern: bits)
        guard scale.isFinite, scale > 0 else { throw InferenceError.badFile(path: path, reason: "bad scale") }
        return scale
    }

    /// The user's private side file of a request: the masks and the plaintext part of the result.
    static func privateURL(_ request: URL) -> URL {
        request.deletingLastPathComponent().appendingPathComponent(request.lastPathComponent + ".private")
    }
}

/// The user's side of the protocol.
///
/// The user's side of the protocol: mixed plaintext/encrypted evaluation, re-randomization and masking, and
/// finishing the network after the owner's response. Never reads a secret key.
public enum UserRole {
    /// Reads and checks a package's manifest.
    static func readManifest(_ dir: URL) throws -> PackageManifest {
        let url = dir.appendingPathComponent(PackageFiles.manifest)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InferenceError.badFile(path: url.path, reason: "no package manifest")
        }
        let manifest: PackageManifest
        do { manifest = try JSONDecoder().decode(PackageManifest.self, from: data) } catch {
            throw InferenceError.badFile(path: url.path, reason: "unreadable manifest")
        }
        guard manifest.format == PackageManifest.format, manifest.version == PackageManifest.currentVersion else {
            throw InferenceError.badFile(
                path: url.path, reason: "not a version-\(PackageManifest.currentVersion) privdnn package")
        }
        return manifest
    }

    /// Loads a package, verifying every file's hash and refusing any secret key.
    static func load(_ dir: URL) throws -> LoadedPackage {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for name in names {
            let url = dir.appendingPathComponent(name)
            if name.lowercased().contains("secret") { throw InferenceError.secretKeyInPackage(path: url.path) }
            if let handle = FileHandle(forReadingAtPath: url.path) {
                let head = handle.readData(ofLength: 4096)
                try? handle.close()
                if head.starts(with: ExchangeFile.magic),
                    String(decoding: head, as: UTF8.self).contains("\"secret-key\"")
                {
                    throw InferenceError.secretKeyInPackage(path: url.path)
                }
            }
        }
        let manifest = try readManifest(dir)
        let manifestBytes = (try? FileBytes.read(dir.appendingPathComponent(PackageFiles.manifest))) ?? []
        let files = manifest.files
        @Sendable func exchangeFile(_ name: String) throws -> PackageExchangeFile {
            try PackageExchangeFile(dir.appendingPathComponent(name), expectedHash: files[name])
        }
        let manifestPath = dir.appendingPathComponent(PackageFiles.manifest).path
        let context = try manifest.parameters.makeContext(path: manifestPath)
        let keyParms = context.parameters.parmsID.description
        guard keyParms == manifest.parmsID else {
            throw InferenceError.mismatch(path: manifestPath, reason: "parms_id does not match its parameters")
        }
        /// A key file with its header, fields and payload hash checked.
        @Sendable func keyFile(_ name: String, _ kind: ExchangeFile.Kind) throws -> PackageExchangeFile {
            let file = try exchangeFile(name)
            let path = file.url.path
            guard file.header.kind == kind, file.header.parmsID == keyParms,
                file.header.fields["keyID"] == manifest.keyID
            else {
                throw InferenceError.mismatch(path: path, reason: "kind, parms_id or key id does not fit the manifest")
            }
            guard ContentHasher.hash(file.bytes, range: file.payload) == file.header.payloadHash else {
                throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
            }
            return file
        }
        @Sendable func key<T: SEALLoadable>(_ type: T.Type, _ file: PackageExchangeFile) throws -> T {
            try SEALObject.load(type, file.bytes, range: file.payload, context: context, path: file.url.path)
        }
        // The key id is the BLAKE2b-256 of the serialized public key (``OwnerKeyStore/keyID(_:)``): the public key
        // file's payload hash, which keyFile has just verified.
        let pkFile = try keyFile(PackageFiles.publicKey, .publicKey)
        guard pkFile.header.payloadHash == manifest.keyID else {
            throw InferenceError.mismatch(
                path: pkFile.url.path, reason: "public key does not match the manifest's key id")
        }
        _ = try key(PublicKey.self, pkFile)
        // Parsed again when the results are re-randomized: not resident during conv1.
        let pk: @Sendable () throws -> PublicKey = {
            let file = try keyFile(PackageFiles.publicKey, .publicKey)
            guard file.header.payloadHash == manifest.keyID else {
                throw InferenceError.mismatch(
                    path: file.url.path, reason: "public key does not match the manifest's key id")
            }
            return try key(PublicKey.self, file)
        }
        // The relinearization keys are checked now (kind, parameters, key id, content hash) and read again, and
        // checked again, when conv2 needs them.
        _ = try keyFile(PackageFiles.relinKeys, .relinKeys)
        let rk: @Sendable () throws -> RelinKeys = {
            try key(RelinKeys.self, try keyFile(PackageFiles.relinKeys, .relinKeys))
        }
        let remainderURL = dir.appendingPathComponent(PackageFiles.remainder)
        guard let remainderBytes = try FileBytes.read(remainderURL) else {
            throw InferenceError.badFile(path: remainderURL.path, reason: "missing from the package")
        }
        guard files[PackageFiles.remainder] == ContentHasher.hash(remainderBytes) else {
            throw InferenceError.badFile(path: remainderURL.path, reason: "content hash differs from the manifest")
        }
        let remainder = try ModelFile.load(remainderURL)
        let geometry: StageGeometry, structure: EncryptedStructure
        do {
            geometry = try StageGeometry(model: remainder)
            structure = try EncryptedStructure(remainder)
        } catch {
            throw InferenceError.badFile(path: remainderURL.path, reason: "\(error)")
        }
        let selection1 = manifest.selection["1"] ?? [], selection2 = manifest.selection["2"] ?? []
        let cipherTaps = geometry.conv2Cipher.pairedTaps, plainTaps = geometry.conv2Plain.pairedTaps
        let conv1Taps = geometry.conv1Taps, channels = geometry.conv1Channels
        /// One part's ciphertexts, each passed through `transform` by the worker that parsed it.
        @Sendable func loadPart<T: Sendable>(
            _ layer: Int, _ index: Int, _ part: Int, _ transform: @escaping @Sendable (Ciphertext) -> T
        ) throws -> [T] {
            let filter = (layer == 1 ? selection1 : selection2)[index]
            let name = PackageFiles.part(layer: layer, filter: filter, part: part)
            let expected =
                layer == 1 ? conv1Taps + 1 : (part < channels ? (selection1.contains(part) ? cipherTaps : plainTaps) : 1)
            let file = try exchangeFile(name)
            let path = file.url.path
            let primes = layer == 1 ? PipelineLevels.conv1Primes : PipelineLevels.conv2Primes
            guard file.header.kind == .encryptedWeights, file.header.parmsID == context.parmsIDs[primes].description
            else {
                throw InferenceError.mismatch(path: path, reason: "kind or parms_id does not fit the manifest")
            }
            // The payload hash (one sequential BLAKE2b stream, ~13 ms for a conv2 part) runs on its own thread
            // beside the parsing, whose seed expansion fills the cores; nothing parsed is returned unless the
            // hash matches (the parser checks every field itself, as for any untrusted file).
            let payload = file.payload
            let bytes = file.bytes
            let hashed = Background { ContentHasher.hash(bytes, range: payload) }
            let parsed = Result {
                try FilterFile.parse(
                    bytes, range: payload, count: expected, primes: primes, context: context, path: path,
                    transform: transform)
            }
            guard try hashed.value() == file.header.payloadHash else {
                throw InferenceError.badFile(path: path, reason: "content hash mismatch (corrupted file)")
            }
            return try parsed.get()
        }
        let weights = EncryptedWeights(
            conv1Filters: selection1, conv2Filters: selection2,
            partBuffers: { layer, index, part in try loadPart(layer, index, part) { WordBuffer($0.data) } }
        ) { layer, index, part in try loadPart(layer, index, part) { $0 } }
        return LoadedPackage(
            manifest: manifest, manifestHash: ContentHasher.hash(manifestBytes), context: context, weights: weights,
            relinKeys: rk, publicKey: pk, remainder: remainder, geometry: geometry, structure: structure)
    }

    /// Evaluates the package on `count` images and writes the re-randomized, masked request (and its private
    /// side file `REQ.private`).
    /// - Parameters:
    ///   - package: the package directory.
    ///   - pixels: `count · H · W` raw bytes.
    ///   - count: the number of images (≤ N/2).
    ///   - out: the request file.
    ///   - progress: called with (steps done, total steps).
    /// - Returns: per-phase times (load, plain, conv1, activation, conv2, protect).
    /// - Throws: ``InferenceError`` naming the package file at fault, or for a bad image count.
    public static func infer(
        package: URL, pixels: [UInt8], count: Int, out: URL, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> PhaseTimes {
        var times = PhaseTimes()
        let pkg = try times.measure("load") { try load(package) }
        let total = UserEvaluator.progressSteps(pkg.geometry, conv1Filters: pkg.weights.conv1Filters.count)
        let counter = StepCounter(total: total, report: progress)
        try infer(pkg, pixels: pixels, count: count, out: out, times: &times, progress: { counter.tick() })
        return times
    }

    static func infer(
        _ pkg: LoadedPackage, pixels: [UInt8], count: Int, out: URL, times: inout PhaseTimes,
        progress: (@Sendable () -> Void)? = nil
    ) throws {
        let g = pkg.geometry
        let context = pkg.context
        let imageBytes = g.inputChannels * g.inputSide * g.inputSide
        guard count > 0, pixels.count == count * imageBytes else {
            throw InferenceError.invalidArgument(
                "expected \(count) images of \(g.inputChannels)×\(g.inputSide)×\(g.inputSide) bytes")
        }
        guard count <= context.degree / 2 else {
            throw InferenceError.invalidArgument(
                "at most \(context.degree / 2) images per request (slots), got \(count)")
        }
        let evaluator = UserEvaluator(
            context: context, plan: pkg.plan, weights: pkg.weights, relinKeys: pkg.relinKeys, geometry: g,
            inputShift: LayerKernels.inputShift(g, normalization: pkg.normalization), progress: progress)
        // The plaintext filters run once the encrypted conv1 is done, so that their activations are not resident
        // during conv1, the exchange's peak.
        var plainResult = Tensor(shape: [0], data: [])
        // A residual shortcut after conv2 reads conv1's result: the encrypted channels' squares are decrypted too.
        let conv1Filters = pkg.conv1ResultFilters
        var conv1Result = [[Ciphertext]](repeating: [], count: conv1Filters.count)
        let outputs = try evaluator.evaluate(
            pixels: pixels, count: count, times: &times,
            conv1Result: conv1Filters.isEmpty ? nil : { conv1Result[$0] = $1 }
        ) { times in
            let (activations, pooled) = times.measure("plain") { plainPart(pkg, pixels: pixels, count: count) }
            plainResult = pooled
            return activations.data
        }
        let flat = outputs.flatMap { $0 } + conv1Result.flatMap { $0 }
        let n = context.degree
        let kf = PipelineLevels.finalPrimes
        let finalModuli = context.moduli(kf)
        let encryptor = try Encryptor(context: context.ckks, publicKey: try pkg.publicKey())
        let protected = try times.measure("protect") {
            try Workers.map(flat.count) { i -> Result<(ct: [UInt64], mask: [UInt64]), Error> in
                Result {
                    var ct = flat[i]
                    // Re-randomize: the owner made every weight ciphertext and knows their random parts.
                    var zero = try encryptor.encryptZero(parmsID: context.parmsIDs[PipelineLevels.finalPrimes])
                    zero.scale = ct.scale
                    try context.evaluator.addInPlace(&ct, zero)
                    // Mask with a uniform plaintext polynomial r mod q_0⋯q_{kf-1} (kept by the user): the owner
                    // sees m + r.
                    var prng = UniformRandomGeneratorFactory.default.create()
                    let r = RLWESampler.uniform(degree: n, moduli: finalModuli, using: &prng)
                    var rNTT = r
                    rNTT.withUnsafeMutableBufferPointer { b in
                        guard let p = b.baseAddress else { return }
                        for j in 0..<kf { context.keyTables[j].forward(p + j * n) }
                    }
                    // Edit a local copy: `Ciphertext.data` has a didSet, so element writes would copy it each time.
                    var words = ct.data
                    for j in 0..<kf {
                        let q = finalModuli[j]
                        for c in (j * n)..<((j + 1) * n) { words[c] = q.addMod(words[c], rNTT[c]) }
                    }
                    return (words, r)
                }
            }.map { try $0.get() }
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(flat.count * 2 * kf * n * 8)
        for p in protected { WordCoding.append(p.ct, to: &payload) }
        let finalParms = context.parmsIDs[PipelineLevels.finalPrimes].description
        let request = ExchangeFile(
            kind: .request, parmsID: finalParms,
            fields: [
                "keyID": pkg.manifest.keyID, "packageHash": pkg.manifestHash, "images": String(count),
                "filters": pkg.weights.conv2Filters.map(String.init).joined(separator: ","),
                "positions": String(g.positions),
                "scaleBits": String((flat.first?.scale ?? pkg.plan.resultScale).bitPattern, radix: 16),
                "conv1Filters": conv1Filters.map(String.init).joined(separator: ","),
                "conv1Positions": String(conv1Filters.isEmpty ? 0 : g.conv1Side * g.conv1Side),
            ], payload: payload)
        var secret: [UInt8] = []
        for p in protected { WordCoding.append(p.mask, to: &secret) }
        plainResult.data.withUnsafeBytes { secret += $0 }
        // The shortcut's plaintext channels are recomputed from the images when finishing (12 KiB an image instead of
        // 1 MiB of activations for ResNet-18).
        if !conv1Filters.isEmpty { secret += pixels }
        try ExchangeFile(
            kind: .requestPrivate, parmsID: finalParms,
            fields: ["requestHash": request.header.payloadHash, "images": String(count)], payload: secret
        ).write(to: RequestCoding.privateURL(out))
        // The private side first: a run killed between the two writes leaves no request the user could send but
        // never finish.
        try request.write(to: out)
    }

    /// The plaintext filters: the activations entering conv2 `[B, C1, S1, S1]` and conv2's (pooled) outputs
    /// `[B, C2, S2, S2]` (encrypted filters' channels are zero there).
    static func plainPart(_ pkg: LoadedPackage, pixels: [UInt8], count: Int) -> (Tensor, Tensor) {
        let g = pkg.geometry, side = g.inputSide, channels = g.inputChannels, image = channels * side * side
        let normalization = pkg.normalization
        let structure = pkg.structure
        let network = pkg.remainder.network
        var activations: [Tensor] = [], outputs: [Tensor] = []
        // Chunks of images keep conv1's im2col buffer small (5,000 images at once would need ~290 MB).
        for start in stride(from: 0, to: count, by: ModelFile.chunk) {
            let end = min(count, start + ModelFile.chunk)
            let x = Tensor(
                shape: [end - start, channels, side, side],
                data: (0..<((end - start) * image)).map { i in
                    let c = i % image / (side * side)
                    return Float((Double(pixels[start * image + i]) / 255 - normalization.mean(c)) / normalization.std(c))
                })
            let a = network.forward(x, from: 0, through: structure.squareIndex, training: false)
            activations.append(a)
            outputs.append(structure.conv2(pkg.remainder, a))
        }
        return (Tensor.concatenate(activations), Tensor.concatenate(outputs))
    }

    /// Unmasks and decodes the owner's response and completes the network.
    /// - Returns: logits `[B, classes]` and the decoded encrypted channels' values.
    public static func finish(package: URL, request: URL, response: URL) throws -> (logits: Tensor, times: PhaseTimes) {
        var times = PhaseTimes()
        let pkg = try times.measure("load") { try load(package) }
        let logits = try times.measure("finish") { try finish(pkg, request: request, response: response) }
        return (logits, times)
    }

    static func finish(_ pkg: LoadedPackage, request: URL, response: URL) throws -> Tensor {
        let decoded = try decodeResponse(pkg, request: request, response: response)
        let g = pkg.geometry
        let positions = decoded.positions, count = decoded.count
        var pooled = decoded.plainPooled
        for (fi, o) in decoded.filters.enumerated() {
            for pos in 0..<positions {
                let values = decoded.values[fi * positions + pos]
                for b in 0..<count { pooled[(b * g.conv2Channels + o) * positions + pos] = Float(values[b]) }
            }
        }
        let x = Tensor(shape: [count, g.conv2Channels, g.conv2Side, g.conv2Side], data: pooled)
        var conv1Result: Tensor?
        if let pixels = decoded.pixels {
            // The plaintext channels recomputed, the encrypted ones decrypted.
            var activations = plainPart(pkg, pixels: pixels, count: count).0
            let plane = g.conv1Side * g.conv1Side
            for (fi, f) in pkg.conv1ResultFilters.enumerated() {
                for pos in 0..<plane {
                    let values = decoded.conv1Values[fi * plane + pos]
                    for b in 0..<count { activations.data[(b * g.conv1Channels + f) * plane + pos] = Float(values[b]) }
                }
            }
            conv1Result = activations
        }
        return try pkg.structure.finish(pkg.remainder, conv2: x, conv1Result: conv1Result)
    }

    /// What the user reads back: the encrypted filters' pooled conv2 outputs, unmasked and decoded, and the
    /// plaintext filters' pooled outputs kept in the private part of the request.
    struct DecodedResponse {
        /// Images in the request.
        var count: Int
        /// The encrypted conv2 filters, in request order.
        var filters: [Int]
        /// Pooled positions per filter.
        var positions: Int
        /// One array of `count` values per (encrypted filter, position), filter-major.
        var values: [[Double]]
        /// `[count, conv2Channels, positions]` with the plaintext filters' outputs filled in.
        var plainPooled: [Float]
        /// The decrypted conv1 result of ``LoadedPackage/conv1ResultFilters``: one array of `count` values per
        /// (filter, position), filter-major.
        var conv1Values: [[Double]] = []
        /// The images, kept when the conv1 result is needed.
        var pixels: [UInt8]?
    }

    /// Checks that request, private part and response belong together, then unmasks and decodes the response.
    static func decodeResponse(_ pkg: LoadedPackage, request: URL, response: URL) throws -> DecodedResponse {
        let context = pkg.context
        let finalParms = context.parmsIDs[PipelineLevels.finalPrimes].description
        let req = try ExchangeFile.read(request, kind: .request, parmsID: finalParms)
        guard try req.field("packageHash", path: request.path) == pkg.manifestHash else {
            throw InferenceError.mismatch(path: request.path, reason: "was made from a different package")
        }
        let privateURL = RequestCoding.privateURL(request)
        let priv = try ExchangeFile.read(privateURL, kind: .requestPrivate, parmsID: finalParms)
        guard try priv.field("requestHash", path: privateURL.path) == req.header.payloadHash else {
            throw InferenceError.mismatch(path: privateURL.path, reason: "belongs to a different request")
        }
        let resp = try ExchangeFile.read(response, kind: .response, parmsID: finalParms)
        guard try resp.field("requestHash", path: response.path) == req.header.payloadHash else {
            throw InferenceError.mismatch(path: response.path, reason: "answers a different request")
        }
        let count = try req.intField("images", path: request.path)
        let scale = try RequestCoding.scale(req, path: request.path)
        let g = pkg.geometry
        let n = context.degree
        let positions = g.positions
        let filters = pkg.weights.conv2Filters
        let conv1Cts = pkg.conv1ResultFilters.count * g.conv1Side * g.conv1Side
        let conv2Cts = filters.count * positions, cts = conv2Cts + conv1Cts
        let plainCount = count * g.conv2Channels * positions
        let pixelBytes = conv1Cts == 0 ? 0 : count * g.inputChannels * g.inputSide * g.inputSide
        let kf = PipelineLevels.finalPrimes
        let words = kf * n  // one plaintext polynomial at the decryption level
        guard count > 0, count <= n / 2, resp.payload.count == cts * words * 8,
            priv.payload.count == cts * words * 8 + plainCount * 4 + pixelBytes
        else { throw InferenceError.badFile(path: response.path, reason: "sizes do not fit the request") }
        let finalModuli = context.moduli(kf)
        let respPayload = resp.payload, privPayload = priv.payload
        let decoded = try Workers.map(cts) { i -> Result<[Double], Error> in
            Result {
                var offset = i * words * 8
                let m = try WordCoding.read(
                    respPayload, offset: &offset, count: words, reducedModulo: finalModuli, degree: n,
                    path: response.path)
                offset = i * words * 8
                var r = try WordCoding.read(
                    privPayload, offset: &offset, count: words, reducedModulo: finalModuli, degree: n,
                    path: privateURL.path)
                // The owner returned m(X) + m(X⁻¹) of the masked result (2·Re of its slots): the mask goes the same
                // way, and the scale doubles.
                RealProjection.apply(&r, moduli: finalModuli, degree: n)
                let v = (0..<words).map { finalModuli[$0 / n].subMod(m[$0], r[$0]) }
                let at = i < conv2Cts ? scale : pkg.plan.squareScale
                return Array(try context.decodeCoefficients(v, primes: kf, scale: 2 * at).prefix(count))
            }
        }.map { try $0.get() }
        var pooled = [Float](repeating: 0, count: plainCount)
        privPayload.withUnsafeBytes { raw in
            let base = raw.baseAddress.map { $0 + cts * words * 8 }
            if let base {
                pooled.withUnsafeMutableBytes {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: plainCount * 4))
                }
            }
        }
        let pixels = pixelBytes == 0 ? nil : Array(privPayload[(privPayload.count - pixelBytes)...])
        return DecodedResponse(
            count: count, filters: filters, positions: positions, values: Array(decoded[..<conv2Cts]),
            plainPooled: pooled, conv1Values: Array(decoded[conv2Cts...]), pixels: pixels)
    }
}

/// An exchange file of a package as the user reads it: its header checked against the manifest's content hash
/// (``ExchangeFile/contentHash(header:)``); the payload is left for the caller to check against the header's
/// payload hash while parsing it.
struct PackageExchangeFile {
    let url: URL
    /// The whole file.
    let bytes: [UInt8]
    let header: ExchangeFile.Header
    /// Where the payload lies in ``bytes``.
    let payload: Range<Int>

    /// Reads `url` and checks its header.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a missing or malformed file or a header whose hash
    ///   is not `expectedHash`.
    init(_ url: URL, expectedHash: String?) throws {
        guard let bytes = try FileBytes.read(url) else {
            throw InferenceError.badFile(path: url.path, reason: "missing from the package")
        }
        let (header, payloadStart) = try ExchangeFile.parseHeader(bytes, path: url.path)
        guard expectedHash == ExchangeFile.contentHash(header: bytes[..<payloadStart]) else {
            throw InferenceError.badFile(path: url.path, reason: "content hash differs from the manifest")
        }
        self.url = url
        self.bytes = bytes
        self.header = header
        payload = payloadStart..<bytes.count
    }
}

/// Counts progress ticks from worker threads and forwards (done, total).
final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    let total: Int
    let report: (@Sendable (Int, Int) -> Void)?

    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    func tick() {
        lock.lock()
        done += 1
        let now = done
        lock.unlock()
        report?(now, total)
    }
}
