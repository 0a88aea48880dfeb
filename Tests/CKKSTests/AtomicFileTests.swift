import Foundation
import Testing

@testable import CKKS

/// The one writer of output files: one-line errors naming the file, no partial or stray temporary files.
@Suite struct AtomicFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("privdnn-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }

    @Test func writesReplaceAtomicallyAndLeaveNoTemporaries() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("out.bin").path
        try AtomicFile.write([[1, 2], [3]], to: file)
        try AtomicFile.write([[4, 5, 6, 7]], to: file, mode: 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data([4, 5, 6, 7]))
        #expect(try names() == ["out.bin"])
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func temporariesOfKilledWritersAreRemoved() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        // A pid above the kernel's limit never runs; the live test process's own temporaries stay.
        let stale = folder.appendingPathComponent(".out.bin.tmp-2147483646-7").path
        let live = folder.appendingPathComponent(".out.bin.tmp-\(getpid())-7").path
        let other = folder.appendingPathComponent(".other.tmp-2147483646-7").path
        for path in [stale, live, other] { try Data([0]).write(to: URL(fileURLWithPath: path)) }
        try AtomicFile.write([[1]], to: folder.appendingPathComponent("out.bin").path)
        #expect(try names() == [".other.tmp-2147483646-7", ".out.bin.tmp-\(getpid())-7", "out.bin"])
    }

    @Test func failuresAreOneLineNamingTheFile() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: CKKSError.fileError(path: folder.path, reason: "is a directory")) {
            try AtomicFile.write([[1]], to: folder.path)
        }
        let missing = folder.appendingPathComponent("no/such/folder/out.bin").path
        #expect(throws: CKKSError.fileError(path: missing, reason: "cannot write: No such file or directory")) {
            try AtomicFile.write([[1]], to: missing)
        }
        // SEAL objects are saved through it.
        let parameters = try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39])
        #expect(throws: CKKSError.fileError(path: folder.path, reason: "is a directory")) {
            try parameters.save(toFile: folder.path)
        }
        #expect(try names().isEmpty)
    }
}
