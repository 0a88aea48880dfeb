import CKKS
import Foundation
import NN

/// Loading a package on the user's side: the manifest, then every file it names, checked before use.
extension UserRole {
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
        try refuseSecretKeys(in: dir)
        let manifest = try readManifest(dir)
        let manifestBytes = (try? FileBytes.read(dir.appendingPathComponent(PackageFiles.manifest))) ?? []
        let manifestPath = dir.appendingPathComponent(PackageFiles.manifest).path
        let context = try manifest.parameters.makeContext(path: manifestPath)
        let keyParms = context.parameters.parmsID.description
        guard keyParms == manifest.parmsID else {
            throw InferenceError.mismatch(path: manifestPath, reason: "parms_id does not match its parameters")
        }
        let reader = PackageReader(dir: dir, manifest: manifest, context: context, keyParms: keyParms)
        // Both keys are checked now; the closures below read (and check) them again when they are needed.
        _ = try reader.publicKey()
        _ = try reader.keyFile(PackageFiles.relinKeys, .relinKeys)
        let (remainder, geometry, structure) = try loadRemainder(dir, manifest: manifest)
        let packings = manifest.packings ?? []
        guard !packings.isEmpty, Set(packings).count == packings.count else {
            throw InferenceError.badFile(
                path: manifestPath, reason: "packings must list batch, pixels or both, once each")
        }
        let pixels =
            packings.contains(.pixels) ? try reader.pixelsPackage(geometry: geometry, structure: structure) : nil
        let weights = EncryptedWeights(
            conv1Filters: manifest.selection["1"] ?? [], conv2Filters: manifest.selection["2"] ?? [],
            partBuffers: { layer, index, part in
                try reader.batchPart(layer, index, part, geometry: geometry) { WordBuffer($0.data) }
            }
        ) { layer, index, part in try reader.batchPart(layer, index, part, geometry: geometry) { $0 } }
        return LoadedPackage(
            manifest: manifest, manifestHash: ContentHasher.hash(manifestBytes), context: context, weights: weights,
            relinKeys: { try reader.relinKeys() }, publicKey: { try reader.publicKey() }, pixels: pixels,
            remainder: remainder, geometry: geometry, structure: structure)
    }

    /// Refuses a package holding anything that looks like a secret key: a file whose name says so, or an exchange
    /// file of kind `secret-key`.
    /// - Throws: ``InferenceError/secretKeyInPackage(path:)`` naming the file.
    static func refuseSecretKeys(in dir: URL) throws {
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
    }

    /// The package's plaintext remainder of the network, checked against the manifest's hash, with the geometry
    /// of its encrypted stages and the structure around them.
    /// - Throws: ``InferenceError/badFile(path:reason:)`` for a missing or altered file or a model the engine
    ///   cannot take.
    static func loadRemainder(
        _ dir: URL, manifest: PackageManifest
    ) throws -> (remainder: Model, geometry: StageGeometry, structure: EncryptedStructure) {
        let remainderURL = dir.appendingPathComponent(PackageFiles.remainder)
        guard let remainderBytes = try FileBytes.read(remainderURL) else {
            throw InferenceError.badFile(path: remainderURL.path, reason: "missing from the package")
        }
        guard manifest.files[PackageFiles.remainder] == ContentHasher.hash(remainderBytes) else {
            throw InferenceError.badFile(path: remainderURL.path, reason: "content hash differs from the manifest")
        }
        let remainder = try Model(contentsOf: remainderURL)
        let geometry: StageGeometry, structure: EncryptedStructure
        do {
            geometry = try StageGeometry(model: remainder)
            structure = try EncryptedStructure(remainder)
        } catch {
            throw InferenceError.badFile(path: remainderURL.path, reason: "\(error)")
        }
        return (remainder, geometry, structure)
    }
}
