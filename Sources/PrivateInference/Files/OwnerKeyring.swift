import CKKS
import Foundation
import NTT

/// What the owner records about the one package made with a key (`package.json` beside the key): everything a
/// request for that package must match, and the result scale the flooding is sized from.
///
/// A request states its own package hash, filters, positions, image count and scale; the owner believes none of
/// it. A request claiming scale 1.0 once got σ ≈ 2^-28, no flooding at all (docs/security.md).
struct IssuedPackage: Codable, Sendable, Equatable {
    /// BLAKE2b-256 of the package's manifest.json (requests name it as `packageHash`).
    var manifestHash: String
    /// Hash of (model file, selection, parameters, normalization): a package with the same cache key and key is
    /// reused instead of made again.
    var cacheKey: String
    /// The package's scales; flooding is sized from `plan.resultScale`.
    var plan: ScalePlan
    /// The encrypted conv2 filters, in request order.
    var conv2Filters: [Int]
    /// Result ciphertexts per encrypted conv2 filter.
    var positions: Int
    /// The most images one request may carry (the slots).
    var maxImages: Int
    /// The encrypted conv1 filters whose squares a request carries too (a residual shortcut reads them), after
    /// the conv2 results: `conv1Positions` each, at the plan's square scale.
    var conv1Filters: [Int] = []
    var conv1Positions = 0
    /// The packings the package holds (`nil` in a record of a batch-only package made before the pixels packing).
    var packings: [Packing]?
    /// Output ciphertexts per image of a pixels request (``PixelsLayout/outputs``), if the package holds that
    /// packing.
    var pixelsOutputs: Int?
    /// Ciphertexts of conv1's result per image of a pixels request (``PixelsLayout/resultCiphertexts``), after the
    /// outputs, at the square scale (`nil`: none).
    var pixelsConv1Results: Int?

    static func url(_ dir: URL) -> URL { dir.appendingPathComponent("package.json") }

    /// Writes the record into a key's directory.
    func write(to dir: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicWrite.write(Array(try encoder.encode(self)), to: Self.url(dir))
    }

    /// Reads a key's record, if it has one.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for an unreadable or implausible record.
    static func load(_ dir: URL) throws -> IssuedPackage? {
        let url = url(dir)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let record = try? JSONDecoder().decode(IssuedPackage.self, from: data) else {
            throw InferenceError.badFile(path: url.path, reason: "unreadable package record")
        }
        let scales = [record.plan.resultScale, record.plan.squareScale]
        guard scales.allSatisfy({ $0.isFinite && $0 >= 1 }), !record.conv2Filters.isEmpty,
            (record.conv2Filters + record.conv1Filters).allSatisfy({ (0..<(1 << 16)).contains($0) }),
            (1...(1 << 16)).contains(record.positions), (0...(1 << 16)).contains(record.conv1Positions),
            (1...(1 << 20)).contains(record.maxImages),
            (record.pixelsOutputs != nil) == (record.packings ?? []).contains(.pixels),
            (1...(1 << 20)).contains(record.pixelsOutputs ?? 1),
            (0...(1 << 20)).contains(record.pixelsConv1Results ?? 0)
        else { throw InferenceError.badFile(path: url.path, reason: "package record out of range") }
        return record
    }

    /// Side of the conv2 output plane (`positions` is its square).
    var conv2Side: Int { Self.side(positions) }
    /// Side of the conv1 plane (`conv1Positions` is its square).
    var conv1Side: Int { Self.side(conv1Positions) }

    static func side(_ square: Int) -> Int {
        var s = Int(Double(square).squareRoot())
        while s * s > square { s -= 1 }
        while (s + 1) * (s + 1) <= square { s += 1 }
        return s
    }

    /// What one request chunk holds: its conv2 results (first) and conv1 results.
    struct ChunkShape {
        var ciphertexts: Int
        var conv2Ciphertexts: Int
        var images: Int
    }

    /// Checks that a request chunk is what this package's plan produces, and returns its shape.
    ///
    /// A crafted request can still pass (no check on values can tell a crafted ciphertext from an honest one under
    /// the user's one-time-pad mask); what this refuses is every claim the owner would otherwise have to believe.
    /// - Throws: ``InferenceError/mismatch(path:reason:)`` naming the field that differs.
    func check(_ request: ExchangeFile, path: String, words: Int) throws -> ChunkShape {
        func field(_ name: String) throws -> String { try request.field(name, path: path) }
        func refuse(_ reason: String) -> InferenceError { .mismatch(path: path, reason: reason) }
        guard try field("packageHash") == manifestHash else {
            throw refuse("names a package this key was not made for (packageHash differs)")
        }
        guard try field("filters") == conv2Filters.map(String.init).joined(separator: ",") else {
            throw refuse("filters differ from the package's encrypted conv2 filters")
        }
        guard try field("positions") == String(positions), conv2Side * conv2Side == positions else {
            throw refuse("positions differ from the package's \(positions)")
        }
        guard let images = Int(try field("images")), (1...maxImages).contains(images) else {
            throw refuse("images must be a count in 1...\(maxImages)")
        }
        guard try field("scaleBits") == String(plan.resultScale.bitPattern, radix: 16) else {
            throw refuse("scale differs from the package's result scale")
        }
        guard try field("conv1Filters") == conv1Filters.map(String.init).joined(separator: ","),
            try field("conv1Positions") == String(conv1Positions), conv1Side * conv1Side == conv1Positions
        else { throw refuse("conv1 results differ from the package's") }
        let packing = Packing(rawValue: request.header.fields["packing"] ?? Packing.batch.rawValue)
        guard let packing, (packings ?? [.batch]).contains(packing) else {
            throw refuse("asks for a packing the package does not hold")
        }
        let conv2Ciphertexts: Int, ciphertexts: Int
        if packing == .pixels {
            // One image per chunk, its outputs' ciphertexts and those of conv1's result: the layout fixes how many.
            let results = pixelsConv1Results ?? 0
            guard let outputs = pixelsOutputs, images == 1, (results > 0) == !conv1Filters.isEmpty else {
                throw refuse("a pixels request chunk carries one image")
            }
            (conv2Ciphertexts, ciphertexts) = (outputs, outputs + results)
        } else {
            let tile = try RequestCoding.tile(request, path: path, side2: conv2Side, filters: conv2Filters.count)
            let conv1Rows = try RequestCoding.conv1Rows(
                request, path: path, side1: conv1Side, encrypted: !conv1Filters.isEmpty)
            conv2Ciphertexts = tile.filters.count * tile.rows.count * conv2Side
            ciphertexts = conv2Ciphertexts + conv1Filters.count * conv1Rows.count * conv1Side
        }
        guard request.payload.count == ciphertexts * words * 8 else {
            throw refuse(
                "holds \(request.payload.count) payload bytes, the package's plan makes \(ciphertexts * words * 8)")
        }
        return ChunkShape(ciphertexts: ciphertexts, conv2Ciphertexts: conv2Ciphertexts, images: images)
    }
}

/// The owner's key store (`--keys DIR`): one key per package in `keys/<key id>/` (``OwnerKeyStore``), each with
/// its own decryption count, so that a key an active user recovers (docs/security.md) opens only the package it
/// was made for.
enum OwnerKeyring {
    static func keysDirectory(_ root: URL) -> URL { root.appendingPathComponent("keys") }

    /// Refuses a store of the layout before one key per package (a single `keystore.json` at the root).
    static func checkLayout(_ root: URL) throws {
        let legacy = OwnerKeyStore.recordURL(root)
        if FileManager.default.fileExists(atPath: legacy.path) {
            throw InferenceError.badFile(
                path: legacy.path,
                reason:
                    "a key store of the former layout (one key for every package); make a new one with another --keys")
        }
    }

    /// The directory of key `keyID`, which must be a key id (64 lowercase hex digits: it becomes a path).
    /// - Parameters:
    ///   - root: the key store.
    ///   - keyID: the key id.
    ///   - path: the file that named the key, for the error.
    /// - Returns: the key's directory in the key store.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` naming `path` for a malformed key id;
    ///   ``InferenceError/mismatch(path:reason:)`` for a key this key store does not hold.
    static func directory(_ root: URL, keyID: String, path: String) throws -> URL {
        guard keyID.utf8.count == 64, keyID.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { throw InferenceError.badFile(path: path, reason: "key id is not 64 hex digits") }
        let dir = keysDirectory(root).appendingPathComponent(keyID)
        guard FileManager.default.fileExists(atPath: OwnerKeyStore.recordURL(dir).path) else {
            throw InferenceError.mismatch(path: path, reason: "was made for a key this key store does not hold")
        }
        return dir
    }

    /// The key and package record a request names.
    static func key(_ root: URL, keyID: String, path: String) throws -> (store: OwnerKeyStore, issued: IssuedPackage) {
        try checkLayout(root)
        let dir = try directory(root, keyID: keyID, path: path)
        let store = try OwnerKeyStore.load(dir)
        guard store.keyID == keyID else {
            throw InferenceError.mismatch(path: OwnerKeyStore.recordURL(dir).path, reason: "holds another key id")
        }
        guard let issued = try IssuedPackage.load(dir) else {
            throw InferenceError.mismatch(path: path, reason: "its key has no package (packaging did not finish)")
        }
        return (store, issued)
    }

    /// The manifest hashes of the packages made for `cacheKey`, each with its key's directory.
    static func issued(_ root: URL, cacheKey: String) throws -> [String: URL] {
        try checkLayout(root)
        let dir = keysDirectory(root)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var found: [String: URL] = [:]
        for name in names where !name.hasPrefix(".") {
            let keyDir = dir.appendingPathComponent(name)
            if let record = try? IssuedPackage.load(keyDir), record.cacheKey == cacheKey {
                found[record.manifestHash] = keyDir
            }
        }
        return found
    }

    /// A fresh key being made: its secret key at once, the whole key from ``complete``.
    struct Opening: Sendable {
        /// The secret key (all that symmetric encryption needs).
        let secret: SecretKey
        /// The complete key, once its public and relinearization keys are generated and its files written and
        /// moved into place (waits for that); rethrows what failed there.
        let complete: @Sendable () throws -> OwnerKeyStore
    }

    /// Draws a fresh secret key now and generates the other keys and writes them on a background thread, so that the
    /// owner can encrypt with the secret key meanwhile.
    ///
    /// The key is written in a temporary directory and moved to `keys/<key id>/` when complete: an interrupted run
    /// leaves no half-made key under a key id.
    static func create(_ root: URL, context: HEContext, security: SecurityLevel) throws -> Opening {
        try checkLayout(root)
        let dir = keysDirectory(root)
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw InferenceError.badFile(path: dir.path, reason: "cannot create the key store")
        }
        let generator = KeyGenerator(context: context.ckks)
        let creation = Background { () throws -> OwnerKeyStore in
            let temporary = try AtomicWrite.temporaryDirectory(beside: dir.appendingPathComponent("new"))
            let made = try OwnerKeyStore.create(temporary, generator: generator, context: context, security: security)
            let final = dir.appendingPathComponent(made.keyID)
            try AtomicWrite.commitDirectory(temporary, to: final)
            return made.moved(to: final)  // not read back: the keys are already in memory
        }
        return Opening(secret: generator.secretKey) { try creation.value() }
    }
}
