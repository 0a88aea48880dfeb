import CKKS
import Foundation
import NN
import NTT

/// The user's side after the owner answers: each response chunk is checked against its request chunk and
/// private side, unmasked and decoded into the encrypted filters' outputs, then the network is completed in
/// chunks of images once every chunk is in.
struct ResponseAssembler {
    let pkg: LoadedPackage
    /// The private directory (for errors).
    let privateDirectory: URL
    /// The request's id, image count and chunk count (from its images file).
    let requestID: String
    let count: Int
    let chunks: Int
    /// The request's packing: a chunk per tile (batch) or per image (pixels).
    let packing: Packing
    /// The images (the plaintext part is recomputed from them).
    let pixels: [UInt8]
    /// Decoded encrypted conv2 outputs `[image, selected filter, position]`.
    private(set) var values: [Float]
    /// Decoded conv1 results of ``LoadedPackage/conv1ResultFilters`` `[image, filter, position]` (ResNet-18).
    private(set) var conv1Values: [Float]
    /// Whether each (selected conv2 filter, output row) and each conv1 result row has been decoded.
    private var done: [Bool]
    private var conv1Done: [Bool]
    /// Chunks added.
    private(set) var added = 0
    /// The plaintext filters' conv2 outputs `[count, C2, S2, S2]` if the request kept them, else `nil` (recomputed).
    let plainOutputs: [Float]?

    /// Starts from the request's private directory (its images file).
    /// - Throws: ``InferenceError`` for a missing or malformed images file.
    init(_ pkg: LoadedPackage, privateDirectory: URL) throws {
        let url = ChunkDirectory.imagesURL(privateDirectory), path = url.path
        let g = pkg.geometry, context = pkg.context
        let file = try ExchangeFile.read(
            url, kind: .requestPrivate, parmsID: context.parmsIDs[PipelineLevels.finalPrimes].description)
        count = try file.intField("images", path: path)
        chunks = try file.intField("chunks", path: path)
        requestID = try file.field("requestID", path: path)
        guard let packing = Packing(rawValue: file.header.fields["packing"] ?? Packing.batch.rawValue),
            pkg.packings.contains(packing)
        else { throw InferenceError.badFile(path: path, reason: "names a packing the package does not hold") }
        self.packing = packing
        guard (1...(context.degree / 2)).contains(count), (1...ChunkDirectory.maxChunks).contains(chunks),
            packing == .batch || chunks == count,
            file.payload.count == count * g.inputChannels * g.inputSide * g.inputSide
        else { throw InferenceError.badFile(path: path, reason: "image count or size does not fit the package") }
        self.pkg = pkg
        self.privateDirectory = privateDirectory
        pixels = file.payload
        let filters = pkg.weights.conv2Filters.count, conv1 = pkg.conv1ResultFilters.count
        values = [Float](repeating: 0, count: count * filters * g.positions)
        conv1Values = [Float](repeating: 0, count: count * conv1 * g.conv1Side * g.conv1Side)
        // Batch: per (filter, output row); pixels: per image.
        done = [Bool](repeating: false, count: packing == .pixels ? count : filters * g.conv2Side)
        // A pixels chunk carries its image's conv1 result whole: `done` covers it.
        conv1Done = [Bool](repeating: conv1 == 0 || packing == .pixels, count: g.conv1Side)
        let plainURL = ChunkDirectory.plainURL(privateDirectory)
        if FileManager.default.fileExists(atPath: plainURL.path) {
            let plain = try ExchangeFile.read(plainURL, kind: .requestPrivate, parmsID: file.header.parmsID)
            let size = count * g.conv2Channels * g.positions
            guard try plain.field("requestID", path: plainURL.path) == requestID, plain.payload.count == size * 4 else {
                throw InferenceError.mismatch(path: plainURL.path, reason: "does not fit the request's images")
            }
            var outputs = [Float](repeating: 0, count: size)
            outputs.withUnsafeMutableBytes { $0.copyBytes(from: plain.payload) }
            plainOutputs = outputs
        } else {
            plainOutputs = nil
        }
    }

    /// Checks that request chunk, private chunk and response chunk belong together and to this request, then
    /// unmasks and decodes the chunk's results.
    /// - Parameters:
    ///   - request: the user's request chunk.
    ///   - privateChunk: its private side (the masks).
    ///   - response: the owner's response chunk.
    ///   - position: the chunk's place in the directories.
    /// - Throws: ``InferenceError`` naming the chunk at fault: foreign, repeated, reordered, tampered, or covering
    ///   outputs another chunk already covered.
    mutating func add(request: URL, privateChunk: URL, response: URL, position: Int) throws {
        let context = pkg.context, g = pkg.geometry
        let finalParms = context.parmsIDs[PipelineLevels.finalPrimes].description
        // The user's own request chunk: its header binds the response to it (its payload is not read).
        let req = ExchangeFile(
            header: try ExchangeFile.readHeader(request, kind: .request, parmsID: finalParms), payload: [])
        let identity = try ChunkDirectory.Identity(req, path: request.path)
        let first = ChunkDirectory.Identity(index: 0, count: chunks, requestID: requestID)
        try identity.check(position: position, files: chunks, first: first, path: request.path)
        guard try req.field("packageHash", path: request.path) == pkg.manifestHash else {
            throw InferenceError.mismatch(path: request.path, reason: "was made from a different package")
        }
        let priv = try ExchangeFile.read(privateChunk, kind: .requestPrivate, parmsID: finalParms)
        try ChunkDirectory.Identity(priv, path: privateChunk.path).check(
            position: position, files: chunks, first: first, path: privateChunk.path)
        guard try priv.field("requestHash", path: privateChunk.path) == req.header.payloadHash else {
            throw InferenceError.mismatch(path: privateChunk.path, reason: "belongs to a different request chunk")
        }
        let resp = try ExchangeFile.read(response, kind: .response, parmsID: finalParms)
        try ChunkDirectory.Identity(resp, path: response.path).check(
            position: position, files: chunks, first: first, path: response.path)
        guard try resp.field("requestHash", path: response.path) == req.header.payloadHash else {
            throw InferenceError.mismatch(path: response.path, reason: "answers a different request chunk")
        }
        let scale = try RequestCoding.scale(req, path: request.path)
        let n = context.degree, kf = PipelineLevels.finalPrimes, words = kf * n
        let finalModuli = context.moduli(kf)
        let respPayload = resp.payload, privPayload = priv.payload
        let squareScale = pkg.plan.squareScale
        /// Ciphertext i's slots: the owner's flooded decryption of the masked result, less the mask.
        @Sendable func unmask(_ i: Int, conv2: Bool) throws -> [Double] {
            var offset = i * words * 8
            let m = try WordCoding.read(
                respPayload, offset: &offset, count: words, reducedModulo: finalModuli, degree: n, path: response.path)
            offset = i * words * 8
            var r = try WordCoding.read(
                privPayload, offset: &offset, count: words, reducedModulo: finalModuli, degree: n,
                path: privateChunk.path)
            // The owner returned m(X) + m(X⁻¹) of the masked result (2·Re of its slots): the mask goes the same
            // way, and the scale doubles.
            RealProjection.apply(&r, moduli: finalModuli, degree: n)
            let v = (0..<words).map { finalModuli[$0 / n].subMod(m[$0], r[$0]) }
            return try context.decodeCoefficients(v, primes: kf, scale: 2 * (conv2 ? scale : squareScale))
        }
        if packing == .pixels {
            try addPixels(
                request: req, path: request.path, response: resp, responsePath: response.path,
                privatePayload: priv.payload,
                image: identity.index, words: words, unmask: unmask)
            return
        }
        guard try req.intField("images", path: request.path) == count,
            (req.header.fields["packing"] ?? Packing.batch.rawValue) == Packing.batch.rawValue
        else {
            throw InferenceError.mismatch(
                path: request.path, reason: "image count or packing differs from the request's")
        }
        let tile = try RequestCoding.tile(req, path: request.path, geometry: g, filters: pkg.weights.conv2Filters.count)
        let conv1Rows = try RequestCoding.conv1Rows(
            req, path: request.path, geometry: g, encrypted: !pkg.conv1ResultFilters.isEmpty)
        // Every output is decoded once: a chunk covering rows another chunk covered is refused.
        for f in tile.filters {
            for y in tile.rows where done[f * g.conv2Side + y] {
                throw InferenceError.mismatch(
                    path: request.path, reason: "covers filter \(f) row \(y) again (repeated chunk)")
            }
        }
        if let y = conv1Rows.first(where: { conv1Done[$0] }) {
            throw InferenceError.mismatch(
                path: request.path, reason: "covers conv1 result row \(y) again (repeated chunk)")
        }
        let conv2Cts = tile.filters.count * tile.positions(g)
        let conv1Filters = pkg.conv1ResultFilters.count
        let cts = conv2Cts + conv1Filters * conv1Rows.count * g.conv1Side
        guard resp.payload.count == cts * words * 8, priv.payload.count == cts * words * 8 else {
            throw InferenceError.badFile(path: response.path, reason: "sizes do not fit the request chunk")
        }
        let count = self.count
        let decoded = try Parallelism.map(cts) { i -> Result<[Double], Error> in
            Result { Array(try unmask(i, conv2: i < conv2Cts).prefix(count)) }
        }.map { try $0.get() }
        let filters = pkg.weights.conv2Filters.count, positions = g.positions, tilePositions = tile.positions(g)
        let first2 = tile.rows.lowerBound * g.conv2Side
        for (fi, f) in tile.filters.enumerated() {
            for p in 0..<tilePositions {
                let column = decoded[fi * tilePositions + p]
                for b in 0..<count { values[(b * filters + f) * positions + first2 + p] = Float(column[b]) }
            }
            for y in tile.rows { done[f * g.conv2Side + y] = true }
        }
        let plane = g.conv1Side * g.conv1Side, rowPositions = conv1Rows.count * g.conv1Side
        let first1 = conv1Rows.lowerBound * g.conv1Side
        for fi in 0..<conv1Filters where !conv1Rows.isEmpty {
            for p in 0..<rowPositions {
                let column = decoded[conv2Cts + fi * rowPositions + p]
                for b in 0..<count { conv1Values[(b * conv1Filters + fi) * plane + first1 + p] = Float(column[b]) }
            }
        }
        for y in conv1Rows { conv1Done[y] = true }
        added += 1
    }

    /// A pixels chunk: one image's output ciphertexts, each result slot (``PixelsLayout/results(output:)``) put at
    /// its filter and position, then (a residual network) the lanes holding conv1's result, each encrypted channel's
    /// squares read at ``PixelsLayout/resultSlot(channel:position:)``.
    private mutating func addPixels(
        request: ExchangeFile, path: String, response: ExchangeFile, responsePath: String, privatePayload: [UInt8],
        image: Int, words: Int, unmask: @Sendable (Int, Bool) throws -> [Double]
    ) throws {
        guard let layout = pkg.pixels?.layout, request.header.fields["packing"] == Packing.pixels.rawValue,
            try request.intField("images", path: path) == 1
        else { throw InferenceError.mismatch(path: path, reason: "is not a pixels chunk of one image") }
        guard !done[image] else {
            throw InferenceError.mismatch(path: path, reason: "covers image \(image) again (repeated chunk)")
        }
        let outputs = layout.outputs, cts = outputs + layout.resultCiphertexts
        guard response.payload.count == cts * words * 8, privatePayload.count == cts * words * 8 else {
            throw InferenceError.badFile(path: responsePath, reason: "sizes do not fit the request chunk")
        }
        let decoded = try Parallelism.map(cts) { o in Result { try unmask(o, o < outputs) } }.map { try $0.get() }
        let filters = pkg.weights.conv2Filters.count, positions = pkg.geometry.positions
        for o in 0..<outputs {
            for (slot, filter, position) in layout.results(output: o) {
                values[(image * filters + filter) * positions + position] = Float(decoded[o][slot])
            }
        }
        // conv1's result, in the order of the package's conv1 result filters (the selected conv1 filters, as the
        // layout's cipher channels).
        let conv1Filters = pkg.conv1ResultFilters, plane = pkg.geometry.conv1Side * pkg.geometry.conv1Side
        for (fi, filter) in conv1Filters.enumerated() {
            guard let e = layout.cipherChannels.firstIndex(of: filter), layout.carriesConv1Result else {
                throw InferenceError.mismatch(path: path, reason: "carries no conv1 result for filter \(filter)")
            }
            for p in 0..<plane {
                let (ct, slot) = layout.resultSlot(channel: e, position: p)
                conv1Values[(image * conv1Filters.count + fi) * plane + p] = Float(decoded[outputs + ct][slot])
            }
        }
        done[image] = true
        added += 1
    }

    /// Completes the network on every image, in chunks of images: the plaintext part recomputed from the images,
    /// the encrypted filters' outputs (and conv1 results) put in their channels.
    /// - Returns: logits `[count, classes]`.
    /// - Throws: ``InferenceError`` when a chunk is missing (an output not decoded).
    func finish() throws -> Tensor {
        let g = pkg.geometry
        guard added == chunks, done.allSatisfy({ $0 }), conv1Done.allSatisfy({ $0 }) else {
            throw InferenceError.badFile(
                path: privateDirectory.path, reason: "the response lacks chunks: \(added) of \(chunks) decoded")
        }
        let filters = pkg.weights.conv2Filters, conv1Filters = pkg.conv1ResultFilters
        let positions = g.positions, plane = g.conv1Side * g.conv1Side
        var logits: [Tensor] = []
        for start in stride(from: 0, to: count, by: ModelFile.chunk) {
            let range = start..<min(count, start + ModelFile.chunk)
            var outputs: Tensor
            var activations = Tensor(shape: [0], data: [])
            let outputSize = g.conv2Channels * positions
            if let plainOutputs, conv1Filters.isEmpty {
                outputs = Tensor(
                    shape: [range.count, g.conv2Channels, g.conv2Side, g.conv2Side],
                    data: Array(plainOutputs[(range.lowerBound * outputSize)..<(range.upperBound * outputSize)]))
            } else {
                let x = RequestWriter.normalizedImages(pkg, pixels: pixels, range: range)
                activations = pkg.remainder.network.forward(
                    x, from: 0, through: pkg.structure.squareIndex, training: false)
                outputs = pkg.structure.conv2(pkg.remainder, activations)
            }
            for (i, b) in range.enumerated() {
                for (fi, f) in filters.enumerated() {
                    let to = (i * g.conv2Channels + f) * positions, from = (b * filters.count + fi) * positions
                    for p in 0..<positions { outputs.data[to + p] = values[from + p] }
                }
                for (fi, f) in conv1Filters.enumerated() {
                    let to = (i * g.conv1Channels + f) * plane, from = (b * conv1Filters.count + fi) * plane
                    for p in 0..<plane { activations.data[to + p] = conv1Values[from + p] }
                }
            }
            logits.append(
                try pkg.structure.finish(
                    pkg.remainder, conv2: outputs, conv1Result: conv1Filters.isEmpty ? nil : activations))
        }
        return Tensor.concatenate(logits)
    }
}
