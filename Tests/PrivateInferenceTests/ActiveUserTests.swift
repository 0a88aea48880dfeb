import CKKS
import Foundation
import NN
import NTT
import TestSupport
import Testing

@testable import PrivateInference

/// The attacks of docs/security.md run against the real owner: what the owner's checks refuse, what flooding
/// prevents, and what no check can prevent (a crafted ciphertext under the user's one-time-pad mask).
@Suite struct ActiveUserTests {
    /// A package at the small ring, an honest one-image request for it, and the owner's key store.
    struct Exchange {
        let dir: URL
        let keys: URL
        let package: URL
        let request: URL
        let pkg: LoadedPackage
        /// The key directory the package's key lives in.
        var keyDirectory: URL { OwnerKeyring.keysDirectory(keys).appendingPathComponent(pkg.manifest.keyID) }

        /// A package, its key store and a request, in a fresh temporary directory.
        /// - Parameters:
        ///   - selection: the filters to encrypt.
        ///   - images: the request's test images.
        ///   - preset: real parameters (N = 16384, 128-bit security), or `nil` for the small test ring.
        /// - Throws: what packaging or the request throws.
        init(selection: [Int: [Int]] = [1: [0], 2: [3]], images: Int = 1, preset: ParameterPreset? = nil) throws {
            dir = EncryptedProtocolTests.temporary()
            keys = dir.appendingPathComponent("keys")
            package = dir.appendingPathComponent("pkg")
            _ = try OwnerRole.package(
                modelURL: try EncryptedProtocolTests.modelFile(dir), selection: try SelectedNeurons(selection),
                out: package, preset: preset ?? .auto, keys: keys,
                parameters: preset == nil ? try EncryptedProtocolTests.smallParameters() : nil,
                security: preset == nil ? .none : .tc128)
            request = dir.appendingPathComponent("req")
            let pixels = try EncryptedPipelineTests.images(images).pixels
            _ = try UserRole.infer(package: package, pixels: pixels, count: images, out: request)
            pkg = try UserRole.load(package)
        }

        func used() throws -> Int {
            try DecryptionBudget.reserve(
                0, dir: keyDirectory, keyID: pkg.manifest.keyID, flooding: pkg.manifest.flooding)
        }

        /// The request's (one) chunk file.
        var requestChunk: URL { ChunkDirectory.url(request, 0) }

        /// The request rewritten with other header fields and/or payload words (a valid file: the header hash is
        /// recomputed, as an attacker's script would), as the one chunk of request directory `name`.
        func forged(
            _ name: String, fields change: (inout [String: String]) -> Void = { _ in },
            words: ((inout [UInt64]) -> Void)? = nil
        ) throws -> URL {
            let file = try ExchangeFile.read(requestChunk, kind: .request)
            var fields = file.header.fields
            change(&fields)
            var payload = file.payload
            if let words {
                var w = WordCoding.words(payload[...])
                words(&w)
                payload = []
                WordCoding.append(w, to: &payload)
            }
            let url = dir.appendingPathComponent(name)
            try ChunkDirectory.prepare(url)
            try ExchangeFile(kind: .request, parmsID: file.header.parmsID, fields: fields, payload: payload)
                .write(to: ChunkDirectory.url(url, 0))
            return url
        }
    }

    /// A request claiming scale 1.0 once got σ ≈ 2^-28 (no flooding); now every claim a request makes is checked
    /// against the owner's record of its package, and nothing is counted for a refused request.
    @Test func claimsThatDifferFromThePackageAreRefused() throws {
        let x = try Exchange()
        defer { try? FileManager.default.removeItem(at: x.dir) }
        let response = x.dir.appendingPathComponent("resp")
        let n = x.pkg.context.degree
        let q0 = x.pkg.context.keyModuli[0].value
        let forgeries: [(URL, String)] = [
            (
                try x.forged("scale", fields: { $0["scaleBits"] = String(1.0.bitPattern, radix: 16) }),
                "scale differs from the package's result scale"
            ),
            (
                try x.forged("hash", fields: { $0["packageHash"] = String(repeating: "0", count: 64) }),
                "names a package this key was not made for (packageHash differs)"
            ),
            (
                try x.forged("filters", fields: { $0["filters"] = "3,4" }),
                "filters differ from the package's encrypted conv2 filters"
            ),
            (try x.forged("positions", fields: { $0["positions"] = "17" }), "positions differ from the package's 16"),
            (try x.forged("images", fields: { $0["images"] = "0" }), "images must be a count in 1...\(n / 2)"),
            (
                try x.forged("more", words: { $0 += $0[0..<(4 * n)] }),
                "holds \(17 * 4 * n * 8) payload bytes, the package's plan makes \(16 * 4 * n * 8)"
            ),
        ]
        for (url, reason) in forgeries {
            #expect(throws: InferenceError.mismatch(path: ChunkDirectory.url(url, 0).path, reason: reason)) {
                try OwnerRole.decrypt(keys: x.keys, request: url, response: response)
            }
        }
        let unreduced = try x.forged("unreduced", words: { $0[5] = q0 })
        #expect(
            throws: InferenceError.badFile(
                path: ChunkDirectory.url(unreduced, 0).path,
                reason: "word 5 of the polynomials at byte 0 is not reduced modulo its prime")
        ) { try OwnerRole.decrypt(keys: x.keys, request: unreduced, response: response) }
        let badKey = try x.forged("key", fields: { $0["keyID"] = "../../etc" })
        #expect(
            throws: InferenceError.badFile(
                path: ChunkDirectory.url(badKey, 0).path, reason: "key id is not 64 hex digits")
        ) {
            try OwnerRole.decrypt(keys: x.keys, request: badKey, response: response)
        }
        let otherKey = try x.forged("other-key", fields: { $0["keyID"] = String(repeating: "a", count: 64) })
        #expect(
            throws: InferenceError.mismatch(
                path: ChunkDirectory.url(otherKey, 0).path, reason: "was made for a key this key store does not hold")
        ) { try OwnerRole.decrypt(keys: x.keys, request: otherKey, response: response) }
        #expect(!FileManager.default.fileExists(atPath: ChunkDirectory.url(response, 0).path))
        #expect(try x.used() == 0)
        // The honest request passes and counts its 16 ciphertexts.
        let decryption = try OwnerRole.decrypt(keys: x.keys, request: x.request, response: response)
        #expect(decryption.used == 16)
    }

    /// A selection that does not fit the model is refused naming the selection file.
    @Test func selectionOutOfRangeNamesItsFile() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let selectionFile = dir.appendingPathComponent("sel.json")
        #expect(
            throws: InferenceError.badFile(
                path: selectionFile.path, reason: "selection layer 2: filter 99 is not in 0..<16 (model.safetensors)")
        ) {
            try OwnerRole.package(
                modelURL: try EncryptedProtocolTests.modelFile(dir), selection: SelectedNeurons([1: [0], 2: [99]]),
                out: dir.appendingPathComponent("pkg"), preset: .auto, keys: dir.appendingPathComponent("keys"),
                parameters: try EncryptedProtocolTests.smallParameters(), security: .none, selectionFile: selectionFile)
        }
    }

    /// A selection listing filters out of order packages as the sorted set, and its honest requests pass.
    @Test func unsortedSelectionsWork() throws {
        let x = try Exchange(selection: [1: [4, 0], 2: [9, 3]])
        defer { try? FileManager.default.removeItem(at: x.dir) }
        #expect(x.pkg.weights.conv2Filters == [3, 9])
        let decryption = try OwnerRole.decrypt(
            keys: x.keys, request: x.request, response: x.dir.appendingPathComponent("r"))
        #expect(decryption.used == 32)
    }

    /// Every package gets its own key, so a recovered key opens nothing else, and a request for one package
    /// cannot borrow another package's key.
    @Test func everyPackageHasItsOwnKey() throws {
        let a = try Exchange()
        defer { try? FileManager.default.removeItem(at: a.dir) }
        let other = a.dir.appendingPathComponent("pkg-b")
        _ = try OwnerRole.package(
            modelURL: try EncryptedProtocolTests.modelFile(a.dir), selection: SelectedNeurons([1: [1], 2: [3]]),
            out: other, preset: .auto, keys: a.keys, parameters: try EncryptedProtocolTests.smallParameters(),
            security: .none)
        let b = try UserRole.load(other)
        #expect(b.manifest.keyID != a.pkg.manifest.keyID)
        let names = try FileManager.default.contentsOfDirectory(atPath: OwnerKeyring.keysDirectory(a.keys).path)
        #expect(Set(names.filter { !$0.hasPrefix(".") }) == [a.pkg.manifest.keyID, b.manifest.keyID])
        let borrowed = try a.forged("borrowed", fields: { $0["keyID"] = b.manifest.keyID })
        #expect(
            throws: InferenceError.mismatch(
                path: ChunkDirectory.url(borrowed, 0).path,
                reason: "names a package this key was not made for (packageHash differs)")
        ) { try OwnerRole.decrypt(keys: a.keys, request: borrowed, response: a.dir.appendingPathComponent("resp")) }
        // A key store of the former layout (one key at the root) is refused by name, never mixed in.
        let legacy = a.dir.appendingPathComponent("legacy")
        try FileManager.default.createDirectory(at: legacy, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: legacy.appendingPathComponent("keystore.json"))
        #expect(throws: InferenceError.self) {
            try OwnerRole.decrypt(keys: legacy, request: a.request, response: a.dir.appendingPathComponent("resp"))
        }
    }

    /// Implausible key store records are refused: flooding switched off or weakened, a negative count (extra
    /// decryptions), a deleted count (a fresh budget).
    @Test func keyStoreRecordsAreChecked() throws {
        let x = try Exchange()
        defer { try? FileManager.default.removeItem(at: x.dir) }
        let response = x.dir.appendingPathComponent("resp")
        let record = OwnerKeyStore.recordURL(x.keyDirectory)
        let original = try Data(contentsOf: record)
        for (field, value) in [
            ("statisticalBits", "0"), ("statisticalBits", "-5"), ("maxDecryptions", "9223372036854775807"),
            ("noiseBoundBitsBelowScale", "400"),
        ] {
            var json = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            var flooding = try #require(json["flooding"] as? [String: Any])
            flooding[field] = Int(value)
            json["flooding"] = flooding
            try JSONSerialization.data(withJSONObject: json).write(to: record)
            #expect(throws: InferenceError.self) {
                try OwnerRole.decrypt(keys: x.keys, request: x.request, response: response)
            }
        }
        try original.write(to: record)
        let count = DecryptionBudget.url(x.keyDirectory)
        try Data(#"{"keyID":"\#(x.pkg.manifest.keyID)","decrypted":-1000000000}"#.utf8).write(to: count)
        #expect(
            throws: InferenceError.badFile(
                path: count.path, reason: "decrypted count -1000000000 is outside 0...1048576")
        ) { try OwnerRole.decrypt(keys: x.keys, request: x.request, response: response) }
        // Int.min once overflowed the budget arithmetic (fuzz finding, Fuzz/regressions/decryptions-count-int-min.json).
        try Data(#"{"keyID":"\#(x.pkg.manifest.keyID)","decrypted":\#(Int.min)}"#.utf8).write(to: count)
        #expect(throws: InferenceError.self) {
            try OwnerRole.decrypt(keys: x.keys, request: x.request, response: response)
        }
        try FileManager.default.removeItem(at: count)
        #expect(
            throws: InferenceError.badFile(
                path: count.path, reason: "the key's decryption count is missing; refusing to decrypt without it")
        ) { try OwnerRole.decrypt(keys: x.keys, request: x.request, response: response) }
        #expect(!FileManager.default.fileExists(atPath: ChunkDirectory.url(response, 0).path))
    }
}
