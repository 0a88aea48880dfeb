import CKKS
import Foundation
import NN
import PrivateInference

/// The files the two parties hand each other or keep, read through the public role entry points exactly as
/// `privdnn owner decrypt` and `privdnn user finish` read them: a small real exchange (toy ring, security none) is
/// made once per process, and each input replaces one of its files.
///
/// An exchange-file input is either raw file bytes (starting with the `PRIVDNN1` magic) or a template: header
/// JSON, a zero byte, then the payload. A template is completed the way a dishonest party would make a
/// well-formed file: `$HASH` and `$LEN` become the payload's BLAKE2b-256 and length, and `$KEY`, `$PKG`, `$REQ`,
/// `$CACHE`, `$RID` and `"$FILES"` this process's key id, package hash, request hash, cache key, request id and
/// manifest file table (which differ from run to run). So mutations reach the payload parsers behind the hash checks.
enum ExchangeHarnesses {
    static let all: [Harness] = [
        owner(
            "keystore", summary: "owner key store record keystore.json (`OwnerRole.decrypt`)",
            file: "keystore.json", seed: { try [("record", $0.keystoreTemplate)] }),
        owner(
            "decryptions", summary: "owner decryption count decryptions.json (`OwnerRole.decrypt`)",
            file: "decryptions.json",
            seed: { _ in
                [
                    ("fresh", Seeds.text("{\"keyID\":\"$KEY\",\"decrypted\":0}")),
                    ("used", Seeds.text("{\"decrypted\":1048000,\"keyID\":\"$KEY\"}")),
                ]
            }),
        owner(
            "keystore-secret", summary: "owner key store secret.key (`OwnerRole.decrypt`)", file: "secret.key",
            seed: { try [("template", $0.template(.keys, "secret.key")), ("raw", $0.raw(.keys, "secret.key"))] }),
        owner(
            "keystore-public", summary: "owner key store public.key (`OwnerRole.decrypt`)", file: "public.key",
            seed: { try [("template", $0.template(.keys, "public.key"))] }),
        owner(
            "keystore-relin", summary: "owner key store relin.keys (`OwnerRole.decrypt`)", file: "relin.keys",
            seed: { try [("template", $0.template(.keys, "relin.keys"))] }),
        owner(
            "request", summary: "request chunk file as the owner decrypts it (`OwnerRole.decrypt`)", file: nil,
            seed: {
                try [
                    ("template", $0.template(.exchange, "req/chunk-00000")),
                    ("raw", $0.raw(.exchange, "req/chunk-00000")),
                ]
            }),
        user(
            "manifest", summary: "package manifest.json (`UserRole.finish`: package load and finish)",
            file: .package("manifest.json"), seed: { try [("manifest", $0.manifestTemplate)] }),
        user(
            "response", summary: "response chunk file (`UserRole.finish`)", file: .exchange("resp/chunk-00000"),
            seed: {
                try [
                    ("template", $0.template(.exchange, "resp/chunk-00000")),
                    ("raw", $0.raw(.exchange, "resp/chunk-00000")),
                ]
            }),
        user(
            "request-private", summary: "request's private chunk file req.private/chunk-00000 (`UserRole.finish`)",
            file: .exchange("req.private/chunk-00000"),
            seed: { try [("template", $0.template(.exchange, "req.private/chunk-00000"))] }),
        user(
            "request-images", summary: "request's private images file req.private/images (`UserRole.finish`)",
            file: .exchange("req.private/images"),
            seed: { try [("template", $0.template(.exchange, "req.private/images"))] }),
    ]

    /// A harness running the owner's decryption of the fixture request with one key store file replaced (or,
    /// for `file == nil`, the request replaced).
    static func owner(
        _ name: String, summary: String, file: String?, seed: @escaping (ExchangeFixture) throws -> [(String, [UInt8])]
    ) -> Harness {
        Harness(
            name: name, summary: summary,
            run: { bytes in
                let fixture = ExchangeFixture.shared
                // The owner's key store holds one directory per package key: `<store>/keys/<key id>/`.
                let keys = fixture.workingCopy(.keys, for: name)
                let store = keys.deletingLastPathComponent().deletingLastPathComponent()
                fixture.restore(.keys, "decryptions.json", in: keys)  // a fresh budget for every input
                var request = fixture.path(.exchange, "req")
                if let file {
                    Scratch.write(fixture.complete(bytes), to: keys.appendingPathComponent(file))
                } else {
                    // A request directory of one chunk: the input.
                    request = Scratch.root.appendingPathComponent("\(name)-req")
                    try? FileManager.default.createDirectory(at: request, withIntermediateDirectories: true)
                    Scratch.write(fixture.complete(bytes), to: request.appendingPathComponent("chunk-00000"))
                }
                let response = Scratch.root.appendingPathComponent("\(name)-resp")
                _ = try? OwnerRole.decrypt(keys: store, request: request, response: response)
                if let file { fixture.restore(.keys, file, in: keys) }
            },
            seeds: { try seed(ExchangeFixture.shared) })
    }

    enum UserFile {
        case package(String)
        case exchange(String)
    }

    /// A harness running the user's finish (package load, response decoding, the rest of the network) with one
    /// package or exchange file replaced.
    static func user(
        _ name: String, summary: String, file: UserFile, seed: @escaping (ExchangeFixture) throws -> [(String, [UInt8])]
    ) -> Harness {
        Harness(
            name: name, summary: summary,
            run: { bytes in
                let fixture = ExchangeFixture.shared
                let package = fixture.workingCopy(.package, for: name)
                let exchange = fixture.workingCopy(.exchange, for: name)
                let (folder, kind, replaced): (URL, ExchangeFixture.Folder, String) =
                    switch file {
                    case .package(let replaced): (package, .package, replaced)
                    case .exchange(let replaced): (exchange, .exchange, replaced)
                    }
                Scratch.write(fixture.complete(bytes), to: folder.appendingPathComponent(replaced))
                _ = try? UserRole.finish(
                    package: package, request: exchange.appendingPathComponent("req"),
                    response: exchange.appendingPathComponent("resp"))
                fixture.restore(kind, replaced, in: folder)
            },
            seeds: { try seed(ExchangeFixture.shared) })
    }
}

/// One owner/user exchange at N = 64 (security none), made on first use: key store, package, a one-image
/// request with its private part, and the response.
final class ExchangeFixture: @unchecked Sendable {
    enum Folder: String { case keys, package, exchange }

    static var sharedStorage: ExchangeFixture?
    static var shared: ExchangeFixture {
        if let fixture = sharedStorage { return fixture }
        let fixture = setUp("cannot make the exchange fixture") { try ExchangeFixture() }
        sharedStorage = fixture
        return fixture
    }

    let root: URL
    /// Pristine bytes of every file, by folder and name.
    private var pristine: [Folder: [String: [UInt8]]] = [:]
    private var copies: Set<String> = []
    /// Token → value for templates (besides `$HASH` and `$LEN`).
    private(set) var tokens: [String: String] = [:]

    init() throws {
        root = Scratch.directory("exchange-fixture")
        let model = root.appendingPathComponent("model.safetensors")
        try Safetensors(stateDict: Model(.lenet5MNIST, seed: 5).stateDict()).write(to: model)
        let store = root.appendingPathComponent("store"), package = path(.package), exchange = path(.exchange)
        try FileManager.default.createDirectory(at: exchange, withIntermediateDirectories: true)
        _ = try OwnerRole.package(
            modelURL: model, selection: SelectedNeurons([2: [3]]), out: package, preset: .auto, keys: store,
            parameters: try EncryptionParameters(polyModulusDegree: 64, bitSizes: [60, 60, 60, 60, 60, 60]),
            security: .none)
        let pixels = (0..<784).map { UInt8(truncatingIfNeeded: $0 * 37 % 251) }
        _ = try UserRole.infer(package: package, pixels: pixels, count: 1, out: exchange.appendingPathComponent("req"))
        _ = try OwnerRole.decrypt(
            keys: store, request: exchange.appendingPathComponent("req"),
            response: exchange.appendingPathComponent("resp"))
        // The package's key directory (the store holds one per package) is the `.keys` folder the harnesses copy.
        let keyIDs = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("keys").path)
            .filter { !$0.hasPrefix(".") }
        guard keyIDs.count == 1 else { throw CocoaError(.fileReadUnknown) }
        let keys = path(.keys)
        try FileManager.default.moveItem(
            at: store.appendingPathComponent("keys").appendingPathComponent(keyIDs[0]), to: keys)
        try Data(#"{"keyID":"\#(keyIDs[0])","decrypted":0}"#.utf8).write(
            to: keys.appendingPathComponent("decryptions.json"))
        try? FileManager.default.removeItem(at: keys.appendingPathComponent("decryptions.lock"))
        // Files by name, and those of the exchange's chunk directories (req/, req.private/, resp/) as "dir/name".
        for folder in [Folder.keys, .package, .exchange] {
            for name in try FileManager.default.contentsOfDirectory(atPath: path(folder).path) {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path(folder, name).path, isDirectory: &isDirectory)
                let names =
                    isDirectory.boolValue
                    ? try FileManager.default.contentsOfDirectory(atPath: path(folder, name).path).map {
                        "\(name)/\($0)"
                    }
                    : [name]
                for file in names {
                    pristine[folder, default: [:]][file] = [UInt8](try Data(contentsOf: path(folder, file)))
                }
            }
        }
        let record = try json(raw(.keys, "keystore.json"))
        let manifest = try json(raw(.package, "manifest.json"))
        let request = try json(try Self.parts(raw(.exchange, "req/chunk-00000"), "req/chunk-00000").header)
        guard let fields = request["fields"] as? [String: String], let requestID = fields["requestID"],
            let files = manifest["files"]
        else { throw FixtureError(description: "the request's fields or the manifest's files are missing") }
        tokens = [
            "$KEY": try Self.string(record, "keyID"), "$CACHE": try Self.string(manifest, "cacheKey"),
            "$PKG": ContentHasher.hash(try raw(.package, "manifest.json")),
            "$REQ": try Self.string(request, "payloadHash"), "$RID": requestID,
            "\"$FILES\"": String(
                decoding: try JSONSerialization.data(withJSONObject: files, options: .sortedKeys), as: UTF8.self),
        ]
    }

    /// A fixture file that is missing or not as the exchange writes it: the fixture is broken.
    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    func path(_ folder: Folder, _ name: String? = nil) -> URL {
        let url = root.appendingPathComponent(folder.rawValue)
        return name.map { url.appendingPathComponent($0) } ?? url
    }

    /// The harness's own copy of a fixture folder (made on first use).
    func workingCopy(_ folder: Folder, for harness: String) -> URL {
        // A key directory sits in a store of its own: `<harness>-store/keys/<key id>`.
        let keyStore = Scratch.root.appendingPathComponent("\(harness)-store/keys")
        let url =
            folder == .keys
            ? keyStore.appendingPathComponent(tokens["$KEY"] ?? "key")
            : Scratch.root.appendingPathComponent("\(harness)-\(folder.rawValue)")
        if folder == .keys {
            try? FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        if copies.insert(url.path).inserted {
            try? FileManager.default.removeItem(at: url)
            setUp("cannot copy the fixture to \(url.path)") {
                try FileManager.default.copyItem(at: path(folder), to: url)
            }
        }
        return url
    }

    /// Puts a fixture file back after an input replaced it.
    func restore(_ folder: Folder, _ name: String, in copy: URL) {
        let bytes = setUp("cannot restore \(name)") { try raw(folder, name) }
        Scratch.write(bytes, to: copy.appendingPathComponent(name))
    }

    /// An input as file bytes: raw files and JSON documents get the tokens replaced; templates are assembled
    /// into a consistent exchange file.
    func complete(_ input: [UInt8]) -> [UInt8] {
        if input.starts(with: Array("PRIVDNN1".utf8)) { return input }
        guard let zero = input.firstIndex(of: 0) else { return substitute(input[...]) }
        let payload = Array(input[(zero + 1)...])
        var header = substitute(input[..<zero])
        header = Self.replace(header, "$HASH", ContentHasher.hash(payload))
        header = Self.replace(header, "$LEN", String(payload.count))
        var out = Array("PRIVDNN1".utf8)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: header.count).littleEndian) { out += $0 }
        return out + header + payload
    }

    private func substitute(_ text: ArraySlice<UInt8>) -> [UInt8] {
        guard text.contains(UInt8(ascii: "$")) else { return Array(text) }
        var out = Array(text)
        for (token, value) in tokens { out = Self.replace(out, token, value) }
        return out
    }

    static func replace(_ bytes: [UInt8], _ token: String, _ value: String) -> [UInt8] {
        let t = Array(token.utf8), v = Array(value.utf8)
        guard t.count <= bytes.count else { return bytes }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == t[0], i + t.count <= bytes.count, bytes[i..<(i + t.count)].elementsEqual(t) {
                out += v
                i += t.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// ``split(_:)`` of fixture file `name`, which must be an exchange file.
    static func parts(_ file: [UInt8], _ name: String) throws -> (header: [UInt8], payload: [UInt8]) {
        guard let parts = split(file) else { throw FixtureError(description: "\(name) is not an exchange file") }
        return parts
    }

    /// String member `key` of a fixture JSON object.
    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw FixtureError(description: "no string \(key)") }
        return value
    }

    /// An exchange file's header JSON and payload.
    static func split(_ file: [UInt8]) -> (header: [UInt8], payload: [UInt8])? {
        guard file.count >= 12 else { return nil }
        let length = Int(file[8]) | Int(file[9]) << 8 | Int(file[10]) << 16 | Int(file[11]) << 24
        guard 12 + length <= file.count else { return nil }
        return (Array(file[12..<(12 + length)]), Array(file[(12 + length)...]))
    }

    // MARK: seeds

    /// The pristine bytes of fixture file `name` in `folder`.
    func raw(_ folder: Folder, _ name: String) throws -> [UInt8] {
        guard let bytes = pristine[folder]?[name] else {
            throw FixtureError(description: "\(folder.rawValue)/\(name) is not in the fixture")
        }
        return bytes
    }

    /// A fixture exchange file as a template: header JSON with this run's values turned back into tokens, zero,
    /// payload.
    func template(_ folder: Folder, _ name: String) throws -> [UInt8] {
        let (header, payload) = try Self.parts(raw(folder, name), name)
        var text = String(decoding: header, as: UTF8.self)
        let object = try json(header)
        text = text.replacingOccurrences(of: try Self.string(object, "payloadHash"), with: "$HASH")
        text = text.replacingOccurrences(of: "\"payloadBytes\":\(payload.count)", with: "\"payloadBytes\":$LEN")
        return Array(tokenized(text).utf8) + [0] + payload
    }

    /// keystore.json with the key id as a token.
    var keystoreTemplate: [UInt8] {
        get throws { Array(tokenized(String(decoding: try raw(.keys, "keystore.json"), as: UTF8.self)).utf8) }
    }

    /// manifest.json (keys sorted) with the file table, key id and cache key as tokens.
    var manifestTemplate: [UInt8] {
        get throws {
            var manifest = try json(raw(.package, "manifest.json"))
            manifest["files"] = "$FILES"
            let text = String(
                decoding: try JSONSerialization.data(withJSONObject: manifest, options: .sortedKeys), as: UTF8.self)
            return Array(tokenized(text).utf8)
        }
    }

    private func tokenized(_ text: String) -> String {
        var text = text
        for (token, value) in tokens where !token.hasPrefix("\"") {
            text = text.replacingOccurrences(of: value, with: token)
        }
        return text
    }

    private func json(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw FixtureError(description: "a fixture JSON file is not an object")
        }
        return object
    }
}
