import CKKS
import Foundation
import NN
import NTT
import TestSupport
import Testing

@testable import PrivateInference

/// The package format (version 5): exchange files named in the manifest by their header hash, payloads checked
/// against the header, and every kind of damage refused with an error naming the file.
@Suite struct PackageFormatTests {
    /// Packages the (conv1 filter 1, conv2 filter 2) selection at N = 4096.
    static func package(_ dir: URL) throws -> URL {
        let out = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: try EncryptedProtocolTests.modelFile(dir), selection: SelectedNeurons([1: [1], 2: [2]]),
            out: out, preset: .auto, keys: dir.appendingPathComponent("keys"),
            parameters: try EncryptedProtocolTests.smallParameters(), security: .none)
        return out
    }

    static func edit(_ url: URL, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        change(&bytes)
        try Data(bytes).write(to: url)
    }

    @Test func manifestNamesExchangeFilesByTheirHeaderAndTheyLoad() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try Self.package(dir)
        let manifest = try UserRole.readManifest(out)
        #expect(manifest.version == PackageManifest.currentVersion && manifest.version == 7)
        let part = PackageFiles.part(layer: 2, filter: 2, part: 0)
        for name in [PackageFiles.publicKey, PackageFiles.relinKeys, part] {
            let bytes = [UInt8](try Data(contentsOf: out.appendingPathComponent(name)))
            let (header, start) = try ExchangeFile.parseHeader(bytes, path: name)
            #expect(manifest.files[name] == ExchangeFile.contentHash(header: bytes[..<start]))
            #expect(header.payloadHash == ContentHasher.hash(Array(bytes[start...])))
        }
        // Other files are hashed whole.
        let remainder = [UInt8](try Data(contentsOf: out.appendingPathComponent(PackageFiles.remainder)))
        #expect(manifest.files[PackageFiles.remainder] == ContentHasher.hash(remainder))
        // The key store's secret key is readable by the owner only.
        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        let keyDirectory = try EncryptedProtocolTests.keyDirectory(dir.appendingPathComponent("keys"), package: out)
        #expect(try mode(keyDirectory.appendingPathComponent("secret.key").path) == 0o600)
        // The public key is the key store's file, byte for byte, and its payload hash is the key id.
        let stored = try Data(contentsOf: keyDirectory.appendingPathComponent("public.key"))
        #expect(try Data(contentsOf: out.appendingPathComponent(PackageFiles.publicKey)) == stored)
        let pkg = try UserRole.load(out)
        #expect(pkg.manifest.keyID == (try OwnerKeyStore.keyID(try pkg.publicKey())))
        // Every part parses to ciphertexts at its level, read in place from the file.
        let conv1 = try pkg.weights.part(1, 0, 0)
        #expect(conv1.count == pkg.geometry.conv1Taps + 1 && pkg.geometry.conv1Taps == 25)
        #expect(conv1.allSatisfy { $0.parmsID == pkg.context.parmsIDs[PipelineLevels.conv1Primes] && $0.isSeeded })
        let channel = try pkg.weights.part(2, 0, 0)  // a plaintext channel: box-form taps
        #expect(channel.count == pkg.geometry.conv2Plain.pairedTaps && channel.count == 15)  // paired complex taps
        #expect(try pkg.weights.part(2, 0, 1).count == 18)  // encrypted channel 1: wide (6×6), paired
        // The same words as word buffers, filled as each ciphertext is parsed.
        let buffers = try pkg.weights.buffers(2, 0, 0)
        #expect(buffers.count == channel.count)
        for (buffer, ct) in zip(buffers, channel) {
            #expect(Array(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count)) == ct.data)
        }
        let bias = try pkg.weights.part(2, 0, pkg.geometry.conv1Channels)
        #expect(bias.count == 1 && bias[0].parmsID == pkg.context.parmsIDs[PipelineLevels.conv2Primes])
    }

    @Test func damagedFilesAreRefusedByName() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try Self.package(dir)
        let pristine = dir.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: out, to: pristine)
        func restore() throws {
            try FileManager.default.removeItem(at: out)
            try FileManager.default.copyItem(at: pristine, to: out)
        }
        let name = PackageFiles.part(layer: 2, filter: 2, part: 3)
        let url = out.appendingPathComponent(name)

        // A flipped payload bit: the payload no longer matches the hash its (intact) header records.
        try Self.edit(url) { $0[$0.count - 100] ^= 4 }
        #expect(throws: InferenceError.badFile(path: url.path, reason: "content hash mismatch (corrupted file)")) {
            try UserRole.load(out).weights.part(2, 0, 3)
        }
        try restore()

        // An edited header (still valid JSON): its hash differs from the manifest's.
        try Self.edit(url) { bytes in
            let text = Array("\"part\":\"3\"".utf8), replacement = Array("\"part\":\"4\"".utf8)
            if let at = (0..<(bytes.count - text.count)).first(where: {
                bytes[$0..<($0 + text.count)].elementsEqual(text)
            }) {
                bytes.replaceSubrange(at..<(at + text.count), with: replacement)
            }
        }
        #expect(throws: InferenceError.badFile(path: url.path, reason: "content hash differs from the manifest")) {
            try UserRole.load(out).weights.part(2, 0, 3)
        }
        try restore()

        // A truncated part.
        try Self.edit(url) { $0.removeLast(1000) }
        do {
            _ = try UserRole.load(out).weights.part(2, 0, 3)
            Issue.record("a truncated part loaded")
        } catch let error as InferenceError {
            #expect(error.description.contains(url.path) && error.description.contains("(truncated?)"))
        }
        try restore()

        // Another package's part under this name: its header hash is not this manifest's.
        let other = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let otherPackage = try Self.package(other)
        try FileManager.default.removeItem(at: url)
        try FileManager.default.copyItem(at: otherPackage.appendingPathComponent(name), to: url)
        #expect(throws: InferenceError.badFile(path: url.path, reason: "content hash differs from the manifest")) {
            try UserRole.load(out).weights.part(2, 0, 3)
        }
        try restore()

        // A corrupted relinearization key is refused when the package loads.
        let relin = out.appendingPathComponent(PackageFiles.relinKeys)
        try Self.edit(relin) { $0[$0.count - 8] ^= 1 }
        #expect(throws: InferenceError.badFile(path: relin.path, reason: "content hash mismatch (corrupted file)")) {
            try UserRole.load(out)
        }
        try restore()

        // A version-5 package (no packings listed) and a version-6 one (pixels conv1 files per lane, not per set of
        // lanes) are refused, not misread.
        let manifestURL = out.appendingPathComponent(PackageFiles.manifest)
        for older in [5, 6] {
            try Self.edit(manifestURL) { bytes in
                bytes = Array(
                    String(decoding: bytes, as: UTF8.self).replacingOccurrences(
                        of: "\"version\" : 7", with: "\"version\" : \(older)"
                    ).utf8)
            }
            #expect(
                throws: InferenceError.badFile(path: manifestURL.path, reason: "not a version-7 privdnn package")
            ) { try UserRole.load(out) }
            try restore()
        }
        _ = try UserRole.load(out).weights.part(2, 0, 3)  // the restored package is intact
    }

    /// A NaN in the plaintext remainder (its manifest hash updated to match) names the file and the tensor, not
    /// "invalid argument: value 0 is not finite" from the encoder.
    @Test func nonFiniteRemainderIsRefusedByName() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try Self.package(dir)
        let url = out.appendingPathComponent(PackageFiles.remainder)
        var remainder = try Safetensors(contentsOf: url)
        var weights = try remainder.floats("conv2.weight", file: url.path)
        weights[5] = .nan
        try remainder.setFloats("conv2.weight", weights, shape: remainder.tensors["conv2.weight"]?.shape ?? [])
        let bytes = remainder.serialized()
        try Data(bytes).write(to: url)
        let manifestURL = out.appendingPathComponent(PackageFiles.manifest)
        var manifest = try JSONDecoder().decode(PackageManifest.self, from: Data(contentsOf: manifestURL))
        manifest.files[PackageFiles.remainder] = ContentHasher.hash(bytes)
        try JSONEncoder().encode(manifest).write(to: manifestURL)
        #expect {
            _ = try UserRole.load(out)
        } throws: { error in
            let text = "\(error)"
            return text.contains(url.path) && text.contains("'conv2.weight' holds nan at index 5")
        }
    }

    @Test func atomicWritesJoinPiecesAndReplaceFiles() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("file.bin")
        #expect(try FileBytes.read(url) == nil)
        try AtomicWrite.write([[1, 2, 3], [], [4, 5]], to: url)
        #expect(try FileBytes.read(url) == [1, 2, 3, 4, 5])
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try AtomicWrite.write([[9], large], to: url)
        #expect(try FileBytes.read(url) == [9] + large)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["file.bin"])  // no temporaries
        #expect(try FileBytes.read(dir) == nil)  // a directory is not a file
        // An unwritable place is an error naming the target.
        let nowhere = dir.appendingPathComponent("missing/file.bin")
        #expect(throws: InferenceError.self) { try AtomicWrite.write([[1]], to: nowhere) }
        do { try AtomicWrite.write([[1]], to: nowhere) } catch { #expect("\(error)".contains(nowhere.path)) }
        // A directory as the target says so, in one line.
        #expect(throws: InferenceError.badFile(path: dir.path, reason: "is a directory")) {
            try AtomicWrite.write([[1]], to: dir)
        }
    }

    @Test func polynomialWordsMustBeReducedAndInRange() throws {
        let moduli = try [Modulus(97), Modulus(89)]
        var payload: [UInt8] = []
        WordCoding.append([1, 96, 0, 88, 5, 6], to: &payload)  // rows of 2 words: mod 97, mod 89, mod 97
        var offset = 0
        let words = try WordCoding.read(payload, offset: &offset, count: 6, reducedModulo: moduli, degree: 2, path: "p")
        #expect(words == [1, 96, 0, 88, 5, 6] && offset == 48)
        var bad: [UInt8] = []
        WordCoding.append([1, 96, 0, 89], to: &bad)
        offset = 0
        #expect(
            throws: InferenceError.badFile(
                path: "resp", reason: "word 3 of the polynomials at byte 0 is not reduced modulo its prime")
        ) {
            _ = try WordCoding.read(bad, offset: &offset, count: 4, reducedModulo: moduli, degree: 2, path: "resp")
        }
        // A count that would overflow is a short payload, not a trap.
        offset = 8
        #expect(throws: InferenceError.badFile(path: "p", reason: "payload too short")) {
            _ = try WordCoding.read(payload, offset: &offset, count: Int.max / 4, path: "p")
        }
    }
}
