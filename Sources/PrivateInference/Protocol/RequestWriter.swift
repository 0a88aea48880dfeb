import CKKS
import Foundation
import NN
import NTT

/// The user's request, written tile by tile: each tile of the ``TilePlan`` is evaluated, its results
/// re-randomized and masked, and written as one chunk (and its private side) before the next tile starts, so that
/// at most one tile's ciphertexts are in memory.
enum RequestWriter {
    /// Evaluates the package on `count` images into the request directory `out` (``ChunkDirectory``).
    /// - Parameters:
    ///   - pkg: the loaded package.
    ///   - pixels: `count · C · H · W` raw bytes.
    ///   - count: images (≤ N/2).
    ///   - out: the request directory (made, or emptied of earlier chunks).
    ///   - plan: the tiles (batch packing).
    ///   - packing: the layout of the request: ``Packing/batch`` (a chunk per tile of `plan`) or ``Packing/pixels``
    ///     (a chunk per image); the package must hold it.
    ///   - times: receives the phase times.
    ///   - durable: `false` when the request is scratch, removed within the run (``UserSession``'s exchange): its
    ///     files are then written atomically but not flushed to disk.
    ///   - progress: called after each step of the engine.
    ///   - chunkWritten: called with each chunk's index once its request and private files are written (the
    ///     exchange hands the chunk to the owner and may remove it before the next tile starts).
    /// - Throws: ``InferenceError`` for bad images or a bad package file; `CKKSError` from the evaluator.
    static func write(
        _ pkg: LoadedPackage, pixels: [UInt8], count: Int, out: URL, plan: TilePlan, packing: Packing = .batch,
        times: inout PhaseTimes, durable: Bool = true, progress: (@Sendable () -> Void)? = nil,
        chunkWritten: ((Int) throws -> Void)? = nil
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
        guard pkg.packings.contains(packing) else {
            throw InferenceError.invalidArgument(
                "the package holds no \(packing.rawValue) packing (it holds \(pkg.packings.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        let privateDir = ChunkDirectory.privateDirectory(out)
        try ChunkDirectory.prepare(out)
        try ChunkDirectory.prepare(privateDir)
        let requestID = ChunkDirectory.Identity.freshRequestID()
        let finalParms = context.parmsIDs[PipelineLevels.finalPrimes].description
        // The images stay with the user: the plaintext part is recomputed from them when finishing (an image's
        // bytes instead of its plaintext filters' outputs, 12 KiB instead of 1 MiB for ResNet-18).
        let chunks = packing == .pixels ? count : plan.tiles.count
        try ExchangeFile(
            kind: .requestPrivate, parmsID: finalParms,
            fields: [
                "requestID": requestID, "images": String(count), "chunks": String(chunks), "packing": packing.rawValue,
            ],
            payload: pixels
        ).write(to: ChunkDirectory.imagesURL(privateDir), durable: durable)
        if packing == .pixels {
            return try writePixels(
                pkg, pixels: pixels, count: count, out: out, requestID: requestID, times: &times, durable: durable,
                progress: progress, chunkWritten: chunkWritten)
        }
        let evaluator = UserEvaluator(
            context: context, plan: pkg.plan, weights: pkg.weights, relinKeys: pkg.relinKeys, geometry: g,
            inputShift: LayerKernels.inputShift(g, normalization: pkg.normalization), progress: progress,
            plainChannelGroup: plan.plainChannelGroup)
        let conv1Filters = pkg.conv1ResultFilters
        // The plaintext channels' activations are made once the first tile's encrypted conv1 is done (so that they
        // are not resident during it, LeNet-5's peak) and kept for the other tiles.
        var activations: [Float]?
        for (index, tile) in plan.tiles.enumerated() {
            var conv1Result: [(Int, [Ciphertext])] = []
            let outputs = try evaluator.evaluate(
                pixels: pixels, count: count, tile: tile, times: &times,
                conv1Result: conv1Filters.isEmpty ? nil : { e, _, cts in conv1Result.append((e, cts)) }
            ) { times in
                if let activations { return activations }
                let keep = count * g.conv2Channels * g.positions * 4 <= keptPlainBytes
                let (made, outputs) = times.measure("plain") {
                    plainPart(pkg, pixels: pixels, count: count, outputs: keep)
                }
                if let outputs {
                    try ExchangeFile(
                        kind: .requestPrivate, parmsID: finalParms,
                        fields: ["requestID": requestID, "images": String(count)],
                        payload: outputs.data.withUnsafeBytes { Array($0) }
                    ).write(to: ChunkDirectory.plainURL(privateDir), durable: durable)
                }
                if plan.tiles.count > 1 { activations = made.data }
                return made.data
            }
            let conv1Rows = conv1Filters.isEmpty ? 0..<0 : tile.conv1ResultRows(g)
            let flat = outputs.flatMap { $0 } + conv1Result.sorted { $0.0 < $1.0 }.flatMap { $0.1 }
            let (payload, secret) = try times.measure("protect") { try protect(flat, pkg: pkg) }
            let identity = ChunkDirectory.Identity(index: index, count: plan.tiles.count, requestID: requestID)
            try writeChunk(
                pkg, identity: identity, out: out, images: count, scale: flat.first?.scale ?? pkg.plan.resultScale,
                payload: payload, secret: secret, durable: durable,
                fields: [
                    "conv1Filters": conv1Filters.map(String.init).joined(separator: ","),
                    "conv1Positions": String(conv1Filters.isEmpty ? 0 : g.conv1Side * g.conv1Side),
                    "tileFilters": OutputTile.describe(tile.filters), "tileRows": OutputTile.describe(tile.rows),
                    "conv1Rows": conv1Rows.isEmpty ? "" : OutputTile.describe(conv1Rows),
                ])
            try chunkWritten?(index)
            // The tile's buffers are free now; glibc keeps them in its heap (ProcessMemory.useOneHeap), where the next
            // tile's differently sized buffers cannot always reuse them: give the free pages back between tiles.
            if plan.tiles.count > 1 { ProcessMemory.releaseFreeMemory() }
        }
    }

    /// Writes one request chunk and, first, its private side: a run killed between the two writes leaves no request
    /// chunk the user could send but never finish.
    /// - Parameters:
    ///   - pkg: the loaded package.
    ///   - identity: the request id and the chunk's index and count.
    ///   - out: the request directory.
    ///   - images: the images the chunk's results cover.
    ///   - scale: the results' scale.
    ///   - payload: the re-randomized, masked result ciphertexts.
    ///   - secret: the private side's payload (the masks' seeds).
    ///   - durable: whether both files are flushed to disk (not for scratch requests consumed in the same run).
    ///   - fields: the packing's own fields (tile, conv1 results; or the packing's name).
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a file that cannot be written.
    static func writeChunk(
        _ pkg: LoadedPackage, identity: ChunkDirectory.Identity, out: URL, images: Int, scale: Double, payload: [UInt8],
        secret: [UInt8], durable: Bool, fields: [String: String]
    ) throws {
        let finalParms = pkg.context.parmsIDs[PipelineLevels.finalPrimes].description
        let request = ExchangeFile(
            kind: .request, parmsID: finalParms,
            fields: identity.fields.merging(
                [
                    "keyID": pkg.manifest.keyID, "packageHash": pkg.manifestHash, "images": String(images),
                    "filters": pkg.weights.conv2Filters.map(String.init).joined(separator: ","),
                    "positions": String(pkg.geometry.positions), "scaleBits": String(scale.bitPattern, radix: 16),
                ].merging(fields) { a, _ in a }
            ) { a, _ in a }, payload: payload)
        try ExchangeFile(
            kind: .requestPrivate, parmsID: finalParms,
            fields: identity.fields.merging(["requestHash": request.header.payloadHash]) { a, _ in a },
            payload: secret
        ).write(to: ChunkDirectory.url(ChunkDirectory.privateDirectory(out), identity.index), durable: durable)
        try request.write(to: ChunkDirectory.url(out, identity.index), durable: durable)
    }

    /// The pixels packing's request: a chunk per image, each its output ciphertexts (``PixelsLayout/outputs``) and,
    /// for a residual network, the lanes holding conv1's result (``PixelsLayout/resultCiphertexts``), re-randomized
    /// and masked as in the batch packing (every slot of an output is a complete output).
    static func writePixels(
        _ pkg: LoadedPackage, pixels: [UInt8], count: Int, out: URL, requestID: String, times: inout PhaseTimes,
        durable: Bool, progress: (@Sendable () -> Void)?, chunkWritten: ((Int) throws -> Void)?
    ) throws {
        guard let package = pkg.pixels else {
            throw InferenceError.invalidArgument("the package holds no pixels packing")
        }
        let evaluator = try times.measure("load") { try package.evaluator() }
        let g = pkg.geometry, imageBytes = g.inputChannels * g.inputSide * g.inputSide
        let conv1Filters = pkg.conv1ResultFilters
        for image in 0..<count {
            let bytes = Array(pixels[(image * imageBytes)..<((image + 1) * imageBytes)])
            let activations = times.measure("plain") { plainPart(pkg, pixels: bytes, count: 1, outputs: false).0 }
            let outputs = try evaluator.evaluate(pixels: bytes, activations: activations.data, times: &times)
            let (payload, secret) = try times.measure("protect") { try protect(outputs, pkg: pkg) }
            try writeChunk(
                pkg, identity: ChunkDirectory.Identity(index: image, count: count, requestID: requestID), out: out,
                images: 1, scale: outputs.first?.scale ?? pkg.plan.resultScale, payload: payload, secret: secret,
                durable: durable,
                fields: [
                    "conv1Filters": conv1Filters.map(String.init).joined(separator: ","),
                    "conv1Positions": String(conv1Filters.isEmpty ? 0 : g.conv1Side * g.conv1Side),
                    "packing": Packing.pixels.rawValue,
                ])
            try chunkWritten?(image)
            progress?()
        }
    }

    /// Re-randomizes each result with a fresh encryption of zero (the owner made every weight ciphertext and knows
    /// their random parts) and masks it with a uniform plaintext polynomial r mod q_0⋯q_{kf−1}, which the user
    /// keeps: the owner sees m + r.
    /// - Returns: the request payload (each masked ciphertext's words) and the private payload (each r, coefficient
    ///   form), written in place by the workers: nothing per result is held beside them.
    static func protect(_ results: [Ciphertext], pkg: LoadedPackage) throws -> (payload: [UInt8], masks: [UInt8]) {
        let context = pkg.context
        let n = context.degree
        let kf = PipelineLevels.finalPrimes
        let finalModuli = context.moduli(kf)
        let encryptor = try Encryptor(context: context.ckks, publicKey: try pkg.publicKey())
        let ctWords = 2 * kf * n, maskWords = kf * n
        // The files' bytes, written word by word (little-endian hosts: x86_64, arm64).
        var payload = [UInt8](repeating: 0, count: results.count * ctWords * 8)
        var masks = [UInt8](repeating: 0, count: results.count * maskWords * 8)
        let failures = payload.withUnsafeMutableBytes { out -> [Error] in
            masks.withUnsafeMutableBytes { kept -> [Error] in
                guard let o = out.bindMemory(to: UInt64.self).baseAddress,
                    let k = kept.bindMemory(to: UInt64.self).baseAddress
                else { return [] }
                nonisolated(unsafe) let (ctOut, maskOut) = (o, k)
                return Parallelism.map(results.count) { i -> Error? in
                    do {
                        var ct = results[i]
                        var zero = try encryptor.encryptZero(parmsID: context.parmsIDs[PipelineLevels.finalPrimes])
                        zero.scale = ct.scale
                        try context.evaluator.addInPlace(&ct, zero)
                        var prng = UniformRandomGeneratorFactory.default.create()
                        let r = RLWESampler.uniform(degree: n, moduli: finalModuli, using: &prng)
                        let mask = maskOut + i * maskWords, words = ctOut + i * ctWords
                        r.withUnsafeBufferPointer {
                            if let b = $0.baseAddress { mask.initialize(from: b, count: maskWords) }
                        }
                        ct.data.withUnsafeBufferPointer {
                            if let b = $0.baseAddress { words.update(from: b, count: ctWords) }
                        }
                        // c0 += NTT(r), prime by prime (r is kept in coefficient form).
                        var rNTT = r
                        for j in 0..<kf {
                            rNTT.withUnsafeMutableBufferPointer { b in
                                if let p = b.baseAddress { context.keyTables[j].forward(p + j * n) }
                            }
                            let q = finalModuli[j]
                            for c in (j * n)..<((j + 1) * n) { words[c] = q.addMod(words[c], rNTT[c]) }
                        }
                        return nil
                    } catch { return error }
                }.compactMap { $0 }
            }
        }
        if let first = failures.first { throw first }
        return (payload, masks)
    }

    /// The plaintext filters' conv2 outputs are kept in the private side up to this size (LeNet-5: 5 MiB for 5,000
    /// images, made with the activations at almost no cost); larger ones (CIFAR-10: 1.3 GiB) are recomputed from
    /// the images when finishing.
    static let keptPlainBytes = 64 << 20

    /// The activations entering conv2 `[B, C1, S1, S1]` (the plaintext filters' squares; the encrypted filters'
    /// channels hold the remainder's zeros) and, with `outputs`, conv2's (pooled) outputs of the plaintext filters
    /// `[B, C2, S2, S2]`, in chunks of images.
    static func plainPart(_ pkg: LoadedPackage, pixels: [UInt8], count: Int, outputs: Bool) -> (Tensor, Tensor?) {
        var activations: [Tensor] = [], pooled: [Tensor] = []
        for start in stride(from: 0, to: count, by: ModelFile.chunk) {
            let x = normalizedImages(pkg, pixels: pixels, range: start..<min(count, start + ModelFile.chunk))
            let a = pkg.remainder.network.forward(x, from: 0, through: pkg.structure.squareIndex, training: false)
            if outputs { pooled.append(pkg.structure.conv2(pkg.remainder, a)) }
            activations.append(a)
        }
        return (Tensor.concatenate(activations), outputs ? Tensor.concatenate(pooled) : nil)
    }

    /// Images `range` as the model's input tensor (bytes / 255, normalized).
    static func normalizedImages(_ pkg: LoadedPackage, pixels: [UInt8], range: Range<Int>) -> Tensor {
        let g = pkg.geometry, side = g.inputSide, image = g.inputChannels * side * side
        let normalization = pkg.normalization
        return Tensor(
            shape: [range.count, g.inputChannels, side, side],
            data: (0..<(range.count * image)).map { i in
                let c = i % image / (side * side)
                return Float(
                    (Double(pixels[range.lowerBound * image + i]) / 255 - normalization.mean(c)) / normalization.std(c))
            })
    }
}
