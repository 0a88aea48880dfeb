import Foundation
import Testing

@testable import PrivateInference

/// How the service and its client read the owner protocol's headers and error bodies (``OwnerProtocol``).
@Suite struct OwnerProtocolTests {
    @Test func bearerTokens() {
        let token = UserStore.freshToken()
        #expect(OwnerProtocol.bearerToken("Bearer \(token)") == token)
        #expect(OwnerProtocol.bearerToken("bEaReR \(token)") == token)
        #expect(OwnerProtocol.bearerToken("Bearer abc==") == "abc==")
        for bad in [
            nil, "", "Bearer", "Bearer ", "Basic \(token)", "Bearer  \(token)", "Bearer a b", "Bearer a\nb",
            "Bearer =abc", "Bearer ab=c", "Bearer \(String(repeating: "x", count: 257))", "Bearer tök",
        ] {
            #expect(OwnerProtocol.bearerToken(bad) == nil, "\(String(describing: bad))")
        }
        #expect(OwnerProtocol.bearerToken("Bearer \(String(repeating: "x", count: 256))") != nil)
    }

    @Test func entityTagsAndConditionals() throws {
        let hash = String(repeating: "c", count: 64)
        let tag = OwnerProtocol.entityTag(hash)
        #expect(tag == "\"\(hash)\"")
        let exact = try #require(OwnerProtocol.EntityTags(tag))
        #expect(exact.matches(hash: hash, weak: true) && exact.matches(hash: hash, weak: false))
        // Weak tags match only the weak comparison (If-None-Match), never the strong one (If-Match).
        let weak = try #require(OwnerProtocol.EntityTags("W/\(tag)"))
        #expect(weak.matches(hash: hash, weak: true) && !weak.matches(hash: hash, weak: false))
        let list = try #require(OwnerProtocol.EntityTags(" \"x\" ,, W/\"y\",\(tag) "))
        #expect(list.matches(hash: hash, weak: false))
        #expect(OwnerProtocol.EntityTags("*") == .any)
        #expect(try #require(OwnerProtocol.EntityTags(" * ")).matches(hash: "anything", weak: false))
        // A tag that merely contains the hash is another tag.
        #expect(!(try #require(OwnerProtocol.EntityTags("\"x\(hash)\""))).matches(hash: hash, weak: true))
        for bad in [
            "", " ", ",", hash, "\"open", "\"a\" \"b\"", "*, \"a\"", "W/ \"a\"", "\"a\"x", "\"a b\"", "w/\"a\"",
        ] {
            #expect(OwnerProtocol.EntityTags(bad) == nil, "\(bad)")
        }
        #expect(OwnerProtocol.EntityTags(Array(repeating: "\"a\"", count: 65).joined(separator: ",")) == nil)
        #expect(OwnerProtocol.EntityTags("\"\(String(repeating: "a", count: 257))\"") == nil)
    }

    @Test func expectationsAndLengths() {
        #expect(OwnerProtocol.expectation(nil) == .none)
        #expect(OwnerProtocol.expectation("100-continue") == .continueFirst)
        #expect(OwnerProtocol.expectation(" 100-Continue ") == .continueFirst)
        #expect(OwnerProtocol.expectation("200-ok") == .unsupported)
        #expect(OwnerProtocol.contentLength("0") == 0 && OwnerProtocol.contentLength("4096") == 4096)
        for bad in [nil, "", "-1", "+1", "1.0", " 1", "0x10", String(repeating: "9", count: 19)] {
            #expect(OwnerProtocol.contentLength(bad) == nil, "\(String(describing: bad))")
        }
    }

    @Test func errorBodiesRoundTripAndForgeriesAreCut() {
        let body = Data(OwnerProtocol.errorBody(code: "forbidden", message: "user alice is revoked"))
        #expect(
            OwnerProtocol.refusal(status: 403, body: body)
                == OwnerServiceError(status: 403, code: "forbidden", message: "user alice is revoked"))
        let forged = Data(#"{"error":{"code":"x\ny","message":"line one\nforged line"}}"#.utf8)
        let refusal = OwnerProtocol.refusal(status: 400, body: forged)
        #expect(refusal.message == "line one" && refusal.code == "xy")
        #expect(OwnerProtocol.refusal(status: 502, body: Data("<html>".utf8)).code == "http_502")
    }
}
