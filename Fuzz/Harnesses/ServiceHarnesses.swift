import Foundation
import PrivateInference

/// The owner service's own input handling, outside Hummingbird's: the user store it reads on every request, the
/// headers and error bodies of the owner protocol (read by the service and by its client), and the package archive
/// the client unpacks from a download.
enum ServiceHarnesses {
    static let all: [Harness] = [
        Harness(
            name: "users",
            summary:
                "the key store's users.json (`UserStore.list`, `authenticate`, `reserve`, `refund`, `add`, `revoke`)",
            run: { bytes in
                let keys = Scratch.directory("users")
                Scratch.write(bytes, to: UserStore.url(keys))
                guard let users = try? UserStore.list(keys: keys) else { return }
                // A store that reads must keep its promises: counts within budgets, plain names.
                for user in users {
                    check(user.decrypted >= 0 && user.decrypted <= user.budget, "a user over their budget was read")
                    check(UserStore.validName(user.name), "a user name that could forge a log line was read")
                }
                _ = try? UserStore.authenticate(keys: keys, token: knownToken)
                if let user = try? UserStore.reserve(keys: keys, token: knownToken, package: "a", count: 3) {
                    check(user.decrypted <= user.budget, "a reservation passed the budget")
                    UserStore.refund(keys: keys, token: knownToken, count: 3)
                }
                _ = try? UserStore.add(keys: keys, name: "fuzz-added", budget: 5)
                if let first = users.first { try? UserStore.revoke(keys: keys, name: first.name) }
                _ = try? UserStore.list(keys: keys)
            },
            seeds: {
                func store(_ users: String) -> [UInt8] {
                    Seeds.text(#"{"format":"privdnn-users","version":1,"users":[\#(users)]}"#)
                }
                let hash = UserStore.hash(token: knownToken)
                let alice =
                    #"{"name":"alice","tokenHash":"\#(hash)","budget":10,"decrypted":2,"revoked":false,"#
                    + #""packages":["a","b"]}"#
                let bob = #"{"name":"bob","tokenHash":"00","budget":65536,"decrypted":0,"revoked":true}"#
                return [("two", store(alice + "," + bob)), ("empty", store("")), ("alice", store(alice))]
            }),
        Harness(
            name: "service-headers",
            summary:
                "owner protocol fields, NUL-separated: Authorization, If-None-Match, If-Match, Expect, Content-Length, "
                + "a JSON error body, a package ID (`OwnerProtocol`, `PackageID`)",
            run: { bytes in
                let fields = bytes.split(separator: 0, maxSplits: 6, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                func field(_ i: Int) -> String? { i < fields.count ? fields[i] : nil }
                if let token = OwnerProtocol.bearerToken(field(0)) {
                    check((1...OwnerProtocol.maxTokenBytes).contains(token.utf8.count), "token length out of bounds")
                    check(OwnerProtocol.bearerToken("Bearer " + token) == token, "a token does not read back")
                    check(!token.contains(" ") && !token.contains("\n"), "a token holds a separator")
                }
                for i in 1...2 {
                    guard let value = field(i), let tags = OwnerProtocol.EntityTags(value) else { continue }
                    check(
                        tags.matches(hash: "h", weak: true) || !tags.matches(hash: "h", weak: false), "strong ⊄ weak")
                    if case .list(let list) = tags {
                        check(!list.isEmpty && list.count <= 64, "tag count out of bounds")
                        for tag in list {
                            let own = OwnerProtocol.EntityTags(OwnerProtocol.entityTag(tag.opaque))
                            check(own == .list([(false, tag.opaque)]), "a parsed tag does not read back")
                            check(tags.matches(hash: tag.opaque, weak: true), "a listed tag does not match itself")
                        }
                    }
                }
                _ = OwnerProtocol.expectation(field(3))
                if let length = OwnerProtocol.contentLength(field(4)) { check(length >= 0, "negative length") }
                if let body = field(5) {
                    let refusal = OwnerProtocol.refusal(status: 400, body: Data(body.utf8))
                    check(!refusal.message.contains("\n") && !refusal.message.contains("\r"), "multi-line message")
                    check(refusal.message.count <= 1024 && refusal.code.utf8.count <= 64, "long refusal")
                    // What the service writes, the client reads back (one line of at most 1024 characters).
                    let line = String(body.prefix { $0 != "\n" && $0 != "\r" }.prefix(1024))
                    let back = OwnerProtocol.refusal(
                        status: 403, body: Data(OwnerProtocol.errorBody(code: "forbidden", message: line)))
                    check(back.code == "forbidden" && back.message == line, "an error body does not read back")
                }
                if let id = field(6), PackageID.isValid(id) {
                    check(!id.contains("/") && !id.hasPrefix(".") && !id.isEmpty, "a package ID that is a path")
                }
            },
            seeds: {
                let hash = String(repeating: "ab", count: 32)
                func input(_ fields: [String]) -> [UInt8] { Array(fields.joined(separator: "\0").utf8) }
                return [
                    (
                        "valid",
                        input([
                            "Bearer \(knownToken)", "\"\(hash)\"", "W/\"x\", \"\(hash)\"", "100-continue", "4096",
                            #"{"error":{"code":"forbidden","message":"user alice is revoked"}}"#, "lenet5-mnist",
                        ])
                    ),
                    ("star", input(["bearer abc==", "*", " * ", "100-Continue", "0", "{}", "a.b_c-1"])),
                    ("bad", input(["Basic x", "\"open", "W/ \"a\"", "nope", "-1", "<html>", ".."])),
                ]
            }),
        Harness(
            name: "package-archive",
            summary: "a package download, the ustar archive the client unpacks (`PackageArchive.unpack`)",
            run: { bytes in
                let out = Scratch.directory("archive").appendingPathComponent("pkg")
                var offset = 0
                _ = try? PackageArchive.unpack(source: "fuzz", out: out) { buffer in
                    let n = min(buffer.count, bytes.count - offset)
                    bytes.withUnsafeBytes {
                        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)]))
                    }
                    offset += n
                    return n
                }
            },
            seeds: {
                func archive(_ files: [(String, [UInt8])]) -> [UInt8] {
                    var bytes: [UInt8] = []
                    for (name, content) in files {
                        bytes += PackageArchive.header(name: name, size: content.count) + content
                        bytes += [UInt8](repeating: 0, count: PackageArchive.padded(content.count) - content.count)
                    }
                    return bytes + [UInt8](repeating: 0, count: 2 * PackageArchive.block)
                }
                let manifest = Seeds.text(#"{"format":"privdnn-package"}"#)
                return [
                    ("manifest-only", archive([("manifest.json", manifest)])),
                    (
                        "two-files",
                        archive([("manifest.json", manifest), ("weights.bin", (0..<700).map { UInt8($0 & 255) })])
                    ),
                    ("empty", archive([])),
                ]
            }),
    ]

    /// A token whose hash the `users` seeds hold, so that mutations reach the checks behind authentication.
    static let knownToken = "pdt_" + String(repeating: "0123456789abcdef", count: 4)

    /// A broken promise of the code under test: a finding (libFuzzer reports the trap and saves the input).
    static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fatalError("invariant: \(what())") }
    }
}
