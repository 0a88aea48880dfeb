import Foundation
import PrivateInference

/// The packages the service offers: the folders under `--packages` that hold a `manifest.json`, each named by its
/// folder (the package ID).
///
/// Read from disk on every use, never cached, so that a package the owner adds or replaces
/// (`owner package --out PACKAGES/ID`, an atomic rename) is served at once, and a request is always checked against
/// the package as it is now.
struct PackageIndex: Sendable {
    /// The `--packages` directory.
    let root: URL

    /// The directory of package `id`, if it is a valid ID with a manifest.
    func directory(_ id: String) -> URL? {
        guard PackageID.isValid(id) else { return nil }
        let dir = root.appendingPathComponent(id)
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("manifest.json").path) ? dir : nil
    }

    /// The ID of the package made with key `keyID` (every package has its own key), if the service offers it.
    func package(forKey keyID: String) -> String? {
        /// The one manifest field needed here.
        struct ManifestKey: Decodable { var keyID: String }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for id in names.sorted() where PackageID.isValid(id) {
            let url = root.appendingPathComponent(id).appendingPathComponent("manifest.json")
            // A manifest is a few KiB; anything far larger is not one (and is not read into memory).
            guard let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber,
                size.intValue < 16 << 20, let data = FileManager.default.contents(atPath: url.path),
                let manifest = try? JSONDecoder().decode(ManifestKey.self, from: data)
            else { continue }
            if manifest.keyID == keyID { return id }
        }
        return nil
    }
}
