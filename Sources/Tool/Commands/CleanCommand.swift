import ArgumentParser
import Foundation
import PrivateInference

/// `privdnn clean`: removes the package cache.
struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean", abstract: "Remove cached model packages ($PRIVDNN_CACHE or ~/.cache/privdnn).")

    func run() throws {
        let root = PackageCache.defaultRoot
        let freed = try InferenceSupport.run { try PackageCache.clean(root) }
        print("removed \(root.path) (\(InferenceSupport.bytes(freed)))")
    }
}
