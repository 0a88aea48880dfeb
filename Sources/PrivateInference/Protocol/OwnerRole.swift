import CKKS
import Foundation
import NN
import NTT

/// What `owner package` reports.
public struct PackageSummary: Sendable {
    /// The package directory.
    public var directory: URL
    /// Whether an up-to-date package was found and reused.
    public var reused: Bool
    /// The cache key.
    public var cacheKey: String
    /// Package size in bytes.
    public var bytes: Int
    /// Phase times (`package`).
    public var times: PhaseTimes
}

/// The model owner's side of the protocol.
///
/// The model owner's side of the protocol: packaging and flooded decryption. The secret key never leaves
/// the key store.
public enum OwnerRole {
    /// Writes a model package (or reuses an up-to-date one) and creates the key store if needed.
    /// - Parameters:
    ///   - modelURL: a LeNet-5 safetensors file.
    ///   - selection: the encrypted filters.
    ///   - out: the package directory (replaced atomically).
    ///   - preset: CKKS parameters.
    ///   - keys: the owner's key store directory.
    ///   - normalization: the dataset's input transform.
    ///   - parameters: explicit parameters instead of the preset (tests: small rings with security none).
    ///   - security: the security level the parameters must meet.
    ///   - cache: the package cache root, or `nil` for none.
    ///   - selectionFile: where `selection` was read from, named in its errors.
    ///   - packings: the packings whose operands the package holds (one or both; a user request uses one of them).
    /// - Returns: where the package is, whether it was reused, its cache key and size.
    /// - Throws: ``InferenceError`` naming the file at fault.
    public static func package(
        modelURL: URL, selection: SelectedNeurons, out: URL, preset: ParameterPreset, keys: URL,
        normalization: Normalization = .unit, parameters: EncryptionParameters? = nil, security: SecurityLevel = .tc128,
        cache: URL? = nil, selectionFile: URL? = nil, packings: [Packing] = [.batch]
    ) throws -> PackageSummary {
        let packings = Packing.allCases.filter(packings.contains)
        guard !packings.isEmpty else { throw InferenceError.invalidArgument("a package needs at least one packing") }
        var times = PhaseTimes()
        let start = DispatchTime.now().uptimeNanoseconds
        let model = try Model(contentsOf: modelURL)
        // A selection lists each layer's filters in ascending order, each once (SelectedNeurons): the order the
        // package, the user and the owner's record share.
        try validate(selection, model: model, modelURL: modelURL, source: selectionFile)
        let context = try HEContext(parameters: parameters ?? preset.encryptionParameters(), securityLevel: security)
        let modelBytes = [UInt8](FileManager.default.contents(atPath: modelURL.path) ?? Data())
        let selectionJSON = selection.jsonString
        var hasher = ContentHasher()
        hasher.update(modelBytes)
        hasher.update(selectionJSON)
        hasher.update(context.keyModuli.map { String($0.value) }.joined(separator: ","))
        hasher.update(String(context.degree))
        hasher.update("\(normalization.mean)\(normalization.std)")
        hasher.update(packings.map(\.rawValue).joined(separator: ","))
        // A package of an older format is not reused: it would be refused when loaded.
        hasher.update("version \(PackageManifest.currentVersion)")
        let cacheKey = hasher.finalize()
        // A package is reused only together with the key it was made with: every package has its own key.
        let issued = try OwnerKeyring.issued(keys, cacheKey: cacheKey)
        func madeHere(_ dir: URL) -> Bool {
            guard let manifest = try? FileBytes.read(dir.appendingPathComponent(PackageFiles.manifest)) else {
                return false
            }
            return issued[ContentHasher.hash(manifest)] != nil
        }
        if madeHere(out) {
            return PackageSummary(
                directory: out, reused: true, cacheKey: cacheKey, bytes: directoryBytes(out), times: times)
        }
        if let cache, case let cached = PackageCache.entry(cache, key: cacheKey), madeHere(cached) {
            try PackageCache.copy(cached, to: out)
            return PackageSummary(
                directory: out, reused: true, cacheKey: cacheKey, bytes: directoryBytes(out), times: times)
        }
        // A fresh key for this package: its public and relinearization keys are generated (and written) on a
        // background thread while the filters are encrypted with its secret key.
        let opening = try OwnerKeyring.create(keys, context: context, security: security)
        defer { _ = try? opening.complete() }  // never leave a key half written

        let kernels = try LayerKernels(model: model, normalization: normalization)
        let readsConv1Result = try EncryptedStructure(model).readsConv1Result
        let layout =
            try packings.contains(.pixels)
            ? pixelsLayout(
                kernels, selection: selection, context: context,
                readsConv1Result: readsConv1Result, modelURL: modelURL) : nil
        let plan = context.plan(kernels, selection: selection)
        let encryptor = try Encryptor(context: context.ckks, secretKey: opening.secret)
        let remainder = try ModelFile.remainder(of: model, selection: selection)

        let dir = try AtomicWrite.temporaryDirectory(beside: out)
        var files: [String: String] = [:]
        func put(_ name: String, _ bytes: [UInt8]) throws {
            try AtomicWrite.write(bytes, to: dir.appendingPathComponent(name))
            files[name] = ContentHasher.hash(bytes)
        }
        let keyParms = context.parameters.parmsID.description
        // Parts go one at a time, each encrypted on every core; its payload is hashed and written on a background
        // thread (one sequential BLAKE2b stream) while the next part is encrypted. At most one part's ciphertexts
        // and two payloads are in memory.
        var jobs: [(name: String, primes: Int, fields: [String: String], encrypt: () throws -> [Ciphertext])] = []
        if packings.contains(.batch) {
            // The batch packing: per selected filter, its parts (``HEContext/encryptPart``).
            for (layer, primes) in [(1, PipelineLevels.conv1Primes), (2, PipelineLevels.conv2Primes)] {
                for filter in selection[layer] {
                    for part in 0..<HEContext.partCount(layer: layer, kernels: kernels) {
                        jobs.append(
                            (
                                PackageFiles.part(layer: layer, filter: filter, part: part), primes,
                                ["layer": String(layer), "filter": String(filter), "part": String(part)],
                                {
                                    try context.encryptPart(
                                        kernels, layer: layer, filter: filter, part: part,
                                        encryptedChannels: selection[1],
                                        plan: plan, encryptor: encryptor)
                                }
                            ))
                    }
                }
            }
        }
        if let layout {
            // The pixels packing: per distinct set of cipher lanes' conv1 operands one file (named by its index),
            // per output ciphertext its conv2 operands.
            for (set, lane) in layout.conv1WeightSets().lanes.enumerated() {
                jobs.append(
                    (
                        PackageFiles.pixelsConv1(lane: set), PipelineLevels.conv1Primes, ["pixelsLane": String(set)],
                        {
                            try context.encryptPixelsConv1(
                                kernels, layout: layout, plan: plan, lane: lane, encryptor: encryptor)
                        }
                    ))
            }
            for output in 0..<layout.outputs {
                jobs.append(
                    (
                        PackageFiles.pixelsOutput(output), PipelineLevels.conv2Primes, ["pixelsOutput": String(output)],
                        {
                            try context.encryptPixelsOutput(
                                kernels, layout: layout, plan: plan, output: output, encryptor: encryptor)
                        }
                    ))
            }
        }
        // Galois keys only for the folding steps the layout needs, generated (like the public and relinearization
        // keys) on a background thread while the weights are encrypted.
        let secret = opening.secret
        let galoisKeys = layout.map { layout in
            Background {
                try KeyGenerator(context: context.ckks, secretKey: secret)
                    .createGaloisKeys(steps: layout.rotationSteps, seeded: true).serialized()
            }
        }
        defer { _ = try? galoisKeys?.value() }  // never leave a generator behind on an error
        var written: [(String, String)] = []
        var pending: Background<(String, String)>?
        defer { _ = try? pending?.value() }  // never leave a writer behind on an error
        for job in jobs {
            let payload = try FilterFile.payload(try job.encrypt())
            if let previous = pending { written.append(try previous.value()) }
            let name = job.name, fields = job.fields
            let url = dir.appendingPathComponent(name)
            let parmsID = context.parmsIDs[job.primes].description
            pending = Background {
                let file = ExchangeFile(kind: .encryptedWeights, parmsID: parmsID, fields: fields, payload: payload)
                return (name, try file.write(to: url))
            }
        }
        if let last = pending { written.append(try last.value()) }
        pending = nil
        let store = try opening.complete()
        let cached = cache.map { PackageCache.entry($0, key: cacheKey) }
        // The key store's own files: their headers already hold the payload hashes.
        guard let publicFile = store.publicFile, let relinFile = store.relinFile else {
            throw InferenceError.invalidArgument("internal: a new key without its public key files")
        }
        files[PackageFiles.publicKey] = try publicFile.write(to: dir.appendingPathComponent(PackageFiles.publicKey))
        files[PackageFiles.relinKeys] = try relinFile.write(to: dir.appendingPathComponent(PackageFiles.relinKeys))
        if let layout, let galoisKeys {
            files[PackageFiles.galoisKeys] = try ExchangeFile(
                kind: .galoisKeys, parmsID: keyParms,
                fields: ["keyID": store.keyID, "steps": layout.rotationSteps.map(String.init).joined(separator: ",")],
                payload: try galoisKeys.value()
            ).write(to: dir.appendingPathComponent(PackageFiles.galoisKeys))
        }
        for (name, hash) in written { files[name] = hash }
        try put(PackageFiles.remainder, remainder.fileBytes())
        try put(PackageFiles.selection, Array(selectionJSON.utf8))
        let manifest = PackageManifest(
            format: PackageManifest.format, version: PackageManifest.currentVersion, parmsID: keyParms,
            parameters: ParameterRecord(context: context, security: security), plan: plan, flooding: store.flooding,
            selection: Dictionary(uniqueKeysWithValues: selection.layers.map { (String($0.key), $0.value) }),
            architecture: model.architecture.rawValue, normalizationMean: normalization.mean,
            normalizationStd: normalization.std, keyID: store.keyID, cacheKey: cacheKey, packings: packings,
            files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let manifestBytes = Array(try encoder.encode(manifest))
        try AtomicWrite.write(manifestBytes, to: dir.appendingPathComponent(PackageFiles.manifest))
        // The key's record of its package goes first: a key without a committed package is harmless, a package
        // whose key cannot check its requests is not.
        try IssuedPackage(
            manifestHash: ContentHasher.hash(manifestBytes), cacheKey: cacheKey, plan: plan,
            conv2Filters: selection[2], positions: kernels.geometry.positions, maxImages: context.degree / 2,
            conv1Filters: readsConv1Result ? selection[1] : [],
            conv1Positions: readsConv1Result && !selection[1].isEmpty
                ? kernels.geometry.conv1Side * kernels.geometry.conv1Side : 0,
            packings: packings, pixelsOutputs: layout?.outputs,
            pixelsConv1Results: layout.map(\.resultCiphertexts).flatMap { $0 > 0 ? $0 : nil }
        ).write(to: store.dir)
        try AtomicWrite.commitDirectory(dir, to: out)
        if let cached { try? PackageCache.copy(out, to: cached) }
        times.seconds["package"] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return PackageSummary(
            directory: out, reused: false, cacheKey: cacheKey, bytes: directoryBytes(out), times: times)
    }

    /// What `owner decrypt` reports.
    public struct Decryption: Sendable {
        /// Phase times (`decrypt`).
        public var times: PhaseTimes
        /// Ciphertexts the request's key has decrypted so far, this request included.
        public var used: Int
        /// Flooding's bound t on that count.
        public var limit: Int
    }

    /// Decrypts a request (a directory of chunks, `ChunkDirectory`) to flooded plaintext polynomials and writes
    /// the response (a directory of chunks answering them), one chunk in memory at a time.
    ///
    /// The request names its key and package; everything else each chunk states (package hash, filters, positions,
    /// tile, image count, scale, size, reduced words) is checked against the owner's record of that package, and
    /// the flooding is sized from the package's scales, never from the request. The chunks must be `chunk-00000`
    /// … in order, of one request (a foreign, repeated, reordered or missing chunk is refused).
    /// - Returns: the phase times and the key's decryption count after the last chunk.
    /// - Throws: ``InferenceError`` for a bad or mismatched request or key store.
    public static func decrypt(keys: URL, request: URL, response: URL) throws -> Decryption {
        try decrypt(keys: keys, request: request, response: response, flooding: true)
    }

    /// ``decrypt(keys:request:response:)``; `flooding: false` only for the tests that measure what flooding
    /// prevents.
    static func decrypt(keys: URL, request: URL, response: URL, flooding: Bool) throws -> Decryption {
        let chunks = try ChunkDirectory.list(request)
        try ChunkDirectory.prepare(response)
        var result = Decryption(times: PhaseTimes(), used: 0, limit: 0)
        var first: ChunkDirectory.Identity?
        for (i, chunk) in chunks.enumerated() {
            let step = try decryptChunk(
                keys: keys, chunk: chunk, position: i, files: chunks.count, first: &first,
                response: ChunkDirectory.url(response, i), flooding: flooding)
            result.times.merge(step.times)
            result.used = step.used
            result.limit = step.limit
        }
        return result
    }

    /// What a request chunk claims, checked against the owner's record of its package, handed to a service's
    /// authorization before anything is decrypted or counted under the key.
    public struct ChunkClaim: Sendable {
        /// The package key the chunk names (each package has its own).
        public var keyID: String
        /// Ciphertexts the chunk holds (what decrypting it counts).
        public var ciphertexts: Int
        /// Ciphertexts the key has decrypted so far.
        public var keyDecrypted: Int
        /// Flooding's bound t on that count.
        public var keyLimit: Int
    }

    /// Decrypts one request chunk sent on its own (the owner's service: a chunk per HTTP request) into its
    /// response chunk, the same decryption as ``decrypt(keys:request:response:)``; the chunk's own index and count
    /// stand for its place, since the chunks of a request arrive separately.
    /// - Parameters:
    ///   - keys: the owner's key store.
    ///   - chunk: the request chunk file.
    ///   - response: the response chunk file to write.
    ///   - authorize: called once the chunk has passed every check and before anything is decrypted or counted
    ///     under the key; it may count the chunk against a user (durably) or throw to refuse it.
    /// - Returns: the phase times and the key's decryption count after this chunk.
    /// - Throws: what `authorize` throws, or ``InferenceError`` for a bad or mismatched chunk or key store.
    public static func decryptChunk(
        keys: URL, chunk: URL, response: URL, authorize: (ChunkClaim) throws -> Void
    ) throws -> Decryption {
        var first: ChunkDirectory.Identity?
        // The internal parameter is optional (and so formally escaping); it is only called during this call.
        return try withoutActuallyEscaping(authorize) { authorize in
            try decryptChunk(
                keys: keys, chunk: chunk, position: nil, files: nil, first: &first, response: response,
                authorize: authorize)
        }
    }

    /// A chunk the owner's service answered (``decryptChunkOnce(keys:chunk:user:keepResponses:authorize:)``).
    public struct ServedChunk: Sendable {
        /// The response chunk, open for reading from its start: the service's durable copy, kept for a copy of the
        /// same chunk (``ServedChunks``).
        public var response: FileHandle
        /// The decryption; nil when the chunk was decrypted before and this is its stored response (nothing was
        /// decrypted or counted now).
        public var decryption: Decryption?
    }

    /// ``decryptChunk(keys:chunk:response:authorize:)`` at most once per chunk: the service records every chunk it
    /// decrypts under the key (request id, index, payload hash, user) and its response, durably, before sending it.
    ///
    /// A copy of a decrypted chunk from the same user gets that response again, neither decrypted nor counted again (a
    /// fresh flooding would be a second sample of its noise); a copy for another user or with other content, one while
    /// the chunk is being decrypted, or one whose response is older than `keepResponses` seconds is refused with
    /// ``ServedChunks/Refusal``.
    /// - Parameters:
    ///   - keys: the owner's key store.
    ///   - chunk: the request chunk file.
    ///   - user: the user the chunk is decrypted for (their name: names are never reused).
    ///   - keepResponses: seconds a response is kept for copies of its chunk.
    ///   - authorize: as in ``decryptChunk(keys:chunk:response:authorize:)``; not called for a stored response,
    ///     nor again for a chunk whose counts an earlier attempt (that died before answering) raised already.
    /// - Returns: the response, open for reading, and the decryption (nil for a stored response).
    /// - Throws: ``ServedChunks/Refusal``; what `authorize` throws; ``InferenceError`` for a bad chunk or key store.
    public static func decryptChunkOnce(
        keys: URL, chunk: URL, user: String, keepResponses: TimeInterval, authorize: (ChunkClaim) throws -> Void
    ) throws -> ServedChunk {
        var first: ChunkDirectory.Identity?
        var served: Served? = Served(user: user, keep: keepResponses)
        let decryption = try withoutActuallyEscaping(authorize) { authorize in
            // The response goes to the key's record (never to `response:`, which served decryptions do not use).
            try decryptChunk(
                keys: keys, chunk: chunk, position: nil, files: nil, first: &first, response: chunk,
                authorize: authorize, served: &served)
        }
        guard let served, let response = served.response else {
            throw InferenceError.badFile(path: chunk.path, reason: "the response was not recorded")
        }
        return ServedChunk(response: response, decryption: served.replayed ? nil : decryption)
    }

    /// The service's side of a chunk decrypted once: who it is for, and what was sent.
    struct Served {
        var user: String
        var keep: TimeInterval
        var response: FileHandle?
        var replayed = false
    }

    /// Decrypts one request chunk (found as file `position` of `files`; `nil`: wherever the chunk says) into its
    /// response chunk.
    /// - Parameters:
    ///   - keys: the owner's key store.
    ///   - request: the request chunk file.
    ///   - position: the chunk's index among the request's files, or `nil`.
    ///   - files: the request's chunk count, or `nil`.
    ///   - first: the identity of the request's first chunk, set from this chunk when `nil`: every later
    ///     chunk must be of the same request.
    ///   - response: the response chunk file to write.
    ///   - flooding: whether to flood the decrypted values (off only in tests of the noise itself).
    ///   - authorize: called with the chunk's claim before anything is decrypted or counted.
    /// - Returns: the phase times and the key's decryption count.
    /// - Throws: ``InferenceError`` for a bad, foreign or repeated chunk, a key store that cannot serve it or a
    ///   budget it would exceed; what `authorize` throws.
    static func decryptChunk(
        keys: URL, chunk request: URL, position: Int?, files: Int?, first: inout ChunkDirectory.Identity?,
        response: URL, flooding: Bool = true, authorize: ((ChunkClaim) throws -> Void)? = nil
    ) throws -> Decryption {
        var served: Served?
        return try decryptChunk(
            keys: keys, chunk: request, position: position, files: files, first: &first, response: response,
            flooding: flooding, authorize: authorize, served: &served)
    }

    /// ``decryptChunk(keys:chunk:position:files:first:response:flooding:authorize:)``, recorded in the key's
    /// ``ServedChunks`` when `served` is set (the response then goes to the record, not to `response`).
    static func decryptChunk(
        keys: URL, chunk request: URL, position: Int?, files: Int?, first: inout ChunkDirectory.Identity?,
        response: URL, flooding: Bool = true, authorize: ((ChunkClaim) throws -> Void)?, served: inout Served?
    ) throws -> Decryption {
        var times = PhaseTimes()
        let path = request.path
        var used = 0, limit = 0
        try times.measure("decrypt") {
            let file = try ExchangeFile.read(request, kind: .request)
            let identity = try ChunkDirectory.Identity(file, path: path)
            try identity.check(
                position: position ?? identity.index, files: files ?? identity.count, first: first, path: path)
            if first == nil { first = identity }
            let (store, issued) = try OwnerKeyring.key(keys, keyID: try file.field("keyID", path: path), path: path)
            let context = store.context
            let kf = PipelineLevels.finalPrimes
            let finalParms = context.parmsIDs[kf].description
            guard file.header.parmsID == finalParms else {
                throw InferenceError.mismatch(path: path, reason: "parms_id is not the package's decryption level")
            }
            let n = context.degree
            let words = 2 * kf * n  // one size-2 ciphertext at the decryption level
            let shape = try issued.check(file, path: path, words: words)
            let count = shape.ciphertexts
            // σ for each ciphertext's scale as the package's plan makes it (conv2 results, then conv1 results).
            let scales = (0..<count).map {
                $0 < shape.conv2Ciphertexts ? issued.plan.resultScale : issued.plan.squareScale
            }
            let sigmas = scales.map { store.flooding.sigma(resultScale: $0) }
            guard sigmas.allSatisfy({ $0.isFinite && $0 <= Flooding.maxSigma }) else {
                throw InferenceError.badFile(
                    path: IssuedPackage.url(store.dir).path, reason: "result scale too large for the flooding sampler")
            }
            let moduli = context.moduli(kf)
            let payload = file.payload
            // Every word must be reduced modulo its prime (c0 rows then c1 rows), as the user side requires too.
            try Parallelism.map(count) { i -> Result<Void, Error> in
                Result {
                    var offset = i * words * 8
                    _ = try WordCoding.read(
                        payload, offset: &offset, count: words, reducedModulo: moduli, degree: n, path: path)
                }
            }.forEach { try $0.get() }
            var slot: ServedChunks.Slot?
            if let record = served {
                ServedChunks.prune(keyDirectory: store.dir, keep: record.keep)
                switch try ServedChunks.arrive(
                    keyDirectory: store.dir, identity: identity, chunkHash: file.header.payloadHash,
                    ciphertexts: count, user: record.user)
                {
                case .replay(let handle):
                    served?.response = handle
                    served?.replayed = true
                    return
                case .claimed(let claimed): slot = claimed
                }
            }
            // A chunk that fails before it is counted leaves no claim; once counted, its claim stays (a copy of it
            // is then decrypted without being counted again).
            defer { slot?.abandon() }
            limit = store.flooding.maxDecryptions
            if slot?.counted == true {
                used = try DecryptionBudget.reserve(0, dir: store.dir, keyID: store.keyID, flooding: store.flooding)
            } else {
                if let authorize {
                    let decrypted = try DecryptionBudget.reserve(
                        0, dir: store.dir, keyID: store.keyID, flooding: store.flooding)
                    try authorize(
                        ChunkClaim(
                            keyID: store.keyID, ciphertexts: count, keyDecrypted: decrypted,
                            keyLimit: store.flooding.maxDecryptions))
                }
                // Count first, durably: flooding's guarantee holds for at most t decrypted ciphertexts under this key.
                used = try DecryptionBudget.reserve(count, dir: store.dir, keyID: store.keyID, flooding: store.flooding)
                try slot?.markCounted()
            }
            let decryptor = try Decryptor(context: context.ckks, secretKey: store.secret)
            // Each flooded, projected polynomial goes straight into the response's bytes (little-endian hosts).
            let polyWords = kf * n
            var out = [UInt8](repeating: 0, count: count * polyWords * 8)
            let failures = out.withUnsafeMutableBytes { raw -> [Error] in
                guard let base = raw.bindMemory(to: UInt64.self).baseAddress else { return [] }
                nonisolated(unsafe) let target = base
                return Parallelism.map(count) { i -> Error? in
                    do {
                        var offset = i * words * 8
                        var ct = context.zeroCiphertext(size: 2, primes: kf, scale: scales[i])
                        ct.data = try WordCoding.read(payload, offset: &offset, count: words, path: path)
                        var poly = try context.decryptToCoefficients(ct, decryptor: decryptor)
                        if flooding { Flooding.add(sigma: sigmas[i], to: &poly, moduli: moduli) }
                        RealProjection.apply(&poly, moduli: moduli, degree: n)
                        poly.withUnsafeBufferPointer { p in
                            if let p = p.baseAddress { (target + i * polyWords).update(from: p, count: polyWords) }
                        }
                        return nil
                    } catch { return error }
                }.compactMap { $0 }
            }
            if let first = failures.first { throw first }
            try ExchangeFile(
                kind: .response, parmsID: finalParms,
                fields: identity.fields.merging([
                    "requestHash": file.header.payloadHash, "ciphertexts": String(count),
                ]) { a, _ in a }, payload: out
            ).write(to: slot?.response ?? response)
            if let slot {
                // Opened before the claim is unlocked, so that no pruning can remove it in between.
                guard let handle = FileHandle(forReadingAtPath: slot.response.path) else {
                    throw InferenceError.badFile(path: slot.response.path, reason: "cannot read the recorded response")
                }
                served?.response = handle
            }
        }
        return Decryption(times: times, used: used, limit: limit)
    }

    /// The pixels layout of a package, or an error naming the model when the network cannot use it.
    static func pixelsLayout(
        _ kernels: LayerKernels, selection: SelectedNeurons, context: HEContext, readsConv1Result: Bool, modelURL: URL
    ) throws -> PixelsLayout {
        do {
            return try PixelsLayout(
                geometry: kernels.geometry, slots: context.degree / 2, cipherChannels: selection[1],
                filters: selection[2], carriesConv1Result: readsConv1Result)
        } catch InferenceError.invalidArgument(let reason) {
            throw InferenceError.badFile(path: modelURL.path, reason: reason)
        }
    }

    /// Checks a selection against the model's layers.
    /// - Parameters:
    ///   - selection: the filters to encrypt.
    ///   - model: the model.
    ///   - modelURL: the model's file, named in the error when `source` is nil.
    ///   - source: the selection's file, named in the error (else the error names the model file).
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a layer or filter the model does not have, or an
    ///   empty layer.
    static func validate(_ selection: SelectedNeurons, model: Model, modelURL: URL, source: URL?) throws {
        func refuse(_ reason: String) -> InferenceError {
            source.map { .badFile(path: $0.path, reason: reason) }
                ?? .badFile(path: modelURL.path, reason: "the selection does not fit this model: \(reason)")
        }
        for (layer, filters) in selection.layers {
            guard layer == 1 || layer == 2 else {
                throw refuse("selection layer \(layer): only conv1 (1) and conv2 (2) can be encrypted")
            }
            let count = layer == 1 ? model.conv1.outChannels : model.conv2.outChannels
            if let bad = filters.first(where: { $0 < 0 || $0 >= count }) {
                throw refuse(
                    "selection layer \(layer): filter \(bad) is not in 0..<\(count) (\(modelURL.lastPathComponent))")
            }
        }
        guard !selection[2].isEmpty else {
            throw refuse("the selection encrypts no conv2 filter: nothing would be sent to the owner")
        }
    }

    static func directoryBytes(_ url: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.reduce(0) { sum, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent(name).path)
            return sum + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}

/// Flooding noise: rounded Gaussians from a CSPRNG (BLAKE2Xb seeded from the OS).
enum Flooding {
    /// The largest σ the sampler supports (|noise| < 2^124 fits a UInt128).
    static let maxSigma: Double = 0x1p120

    /// A standard normal pair (Box–Muller) from two 64-bit uniforms; u1 ∈ [2^-64, 1], so |z| ≤ 9.42 (the cut
    /// tail has probability ≈ 2^-67 per sample).
    static func normalPair(_ prng: inout some UniformRandomGenerator) -> (Double, Double) {
        let u1 = (Double(prng.nextUInt64()) + 1) / 18_446_744_073_709_551_616.0
        let u2 = Double(prng.nextUInt64() >> 11) / 9_007_199_254_740_992.0
        let radius = (-2 * log(u1)).squareRoot()
        return (radius * cos(2 * .pi * u2), radius * sin(2 * .pi * u2))
    }

    /// The standard deviations of the parts the noise is summed from (see ``add(sigma:to:moduli:)``).
    static func parts(sigma: Double) -> [Double] {
        var fine: [Double] = []
        var next = sigma
        while next > 0x1p45 {
            next *= 0x1p-43
            fine.append(next)
        }
        let coarse = (sigma * sigma - fine.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return [coarse] + fine
    }

    /// Adds round(N(0, σ²)) to every coefficient of a k-prime polynomial (limb-major, the same integer to
    /// every residue).
    ///
    /// A double carries 53 bits, so above 2^45 σ·z alone would only hit multiples of ~σ·2^-49 and leave the
    /// low bits of the decryption (where the key-dependent error sits) untouched. Larger σ is therefore a sum
    /// of independent parts σ₁ = σ·2^-43, σ₂ = σ·2^-86, … down to the first ≤ 2^45 (whose own grid, ≤ 2^-3.7,
    /// is finer than the integers) plus a coarse part of the remaining variance; each part is ≥ 2^5.7 times the
    /// grid of the one above, so the sum smooths into a Gaussian of σ on the integers.
    static func add(sigma: Double, to poly: inout [UInt64], moduli: [Modulus]) {
        let k = moduli.count
        guard k > 0 else { return }
        let n = poly.count / k
        let sigmas = parts(sigma: sigma)
        var prng = UniformRandomGeneratorFactory.default.create()
        var i = 0
        var draws = [Double](repeating: 0, count: 2 * sigmas.count)
        while i < n {
            for p in 0..<sigmas.count {
                let (a, b) = normalPair(&prng)
                draws[2 * p] = a
                draws[2 * p + 1] = b
            }
            for half in 0..<2 where i < n {
                // Summed exactly in integers: a double sum would round the fine parts away again.
                var value: Int128 = 0
                for p in 0..<sigmas.count { value += Int128((sigmas[p] * draws[2 * p + half]).rounded()) }
                let magnitude = value.magnitude
                for j in 0..<k {
                    let q = moduli[j]
                    let r = q.reduce(magnitude)
                    poly[j * n + i] = q.addMod(poly[j * n + i], value < 0 ? q.negateMod(r) : r)
                }
                i += 1
            }
        }
    }
}

/// The package cache: `<root>/packages/<cache key>/`, filled atomically; `privdnn clean` removes the root.
public enum PackageCache {
    /// `$PRIVDNN_CACHE`, else `~/.cache/privdnn`.
    public static var defaultRoot: URL {
        if let custom = ProcessInfo.processInfo.environment["PRIVDNN_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/privdnn")
    }

    static func entry(_ root: URL, key: String) -> URL {
        root.appendingPathComponent("packages").appendingPathComponent(key)
    }

    /// Copies a package directory into place atomically (temporary sibling, then rename).
    static func copy(_ source: URL, to destination: URL) throws {
        try? FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = try AtomicWrite.temporaryDirectory(beside: destination)
        do {
            for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where !name.hasPrefix(".") {
                try FileManager.default.copyItem(
                    at: source.appendingPathComponent(name), to: temporary.appendingPathComponent(name))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw InferenceError.badFile(path: destination.path, reason: "cannot copy the cached package")
        }
        try AtomicWrite.commitDirectory(temporary, to: destination)
    }

    /// Removes the cache root.
    /// - Returns: the bytes freed.
    public static func clean(_ root: URL = defaultRoot) throws -> Int {
        guard FileManager.default.fileExists(atPath: root.path) else { return 0 }
        var bytes = 0
        if let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        {
            for case let url as URL in walker {
                guard let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]),
                    values.isRegularFile == true
                else { continue }
                bytes += values.fileSize ?? 0
            }
        }
        do { try FileManager.default.removeItem(at: root) } catch {
            throw InferenceError.badFile(path: root.path, reason: "cannot remove the cache")
        }
        return bytes
    }
}
