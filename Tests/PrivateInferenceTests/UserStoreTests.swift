import Foundation
import Testing

@testable import PrivateInference

/// The owner's user store: names, tokens, revocation, and exact budgets under concurrent reservations.
@Suite struct UserStoreTests {
    @Test func addListRevoke() throws {
        let keys = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: keys) }
        #expect(try UserStore.list(keys: keys).isEmpty)
        let token = try UserStore.add(keys: keys, name: "alice", budget: 10, packages: ["b", "a", "a"])
        #expect(token.hasPrefix("pdt_") && token.utf8.count == 68)
        #expect(try UserStore.add(keys: keys, name: "bob") != token)
        let users = try UserStore.list(keys: keys)
        #expect(users.map(\.name) == ["alice", "bob"])
        #expect(
            users[0].packages == ["a", "b"] && users[1].packages == nil && users[1].budget == UserStore.defaultBudget)
        // Only the hash is stored.
        let stored = try String(contentsOf: UserStore.url(keys), encoding: .utf8)
        #expect(!stored.contains(token) && stored.contains(UserStore.hash(token: token)))
        #expect(try UserStore.authenticate(keys: keys, token: token).name == "alice")
        #expect(throws: UserStore.Refusal.unknownToken) { try UserStore.authenticate(keys: keys, token: token + "0") }
        #expect(throws: UserStore.Refusal.otherPackage(name: "alice", package: "c")) {
            try UserStore.reserve(keys: keys, token: token, package: "c", count: 1)
        }
        try UserStore.revoke(keys: keys, name: "alice")
        #expect(throws: UserStore.Refusal.revoked(name: "alice")) {
            try UserStore.authenticate(keys: keys, token: token)
        }
        #expect(throws: InferenceError.self) { try UserStore.revoke(keys: keys, name: "carol") }
        // Names are never reused, and must be plain.
        #expect(throws: InferenceError.self) { try UserStore.add(keys: keys, name: "alice") }
        for bad in ["", ".x", "a/b", "..", "a b", "a\nb", String(repeating: "x", count: 65)] {
            #expect(throws: InferenceError.self, "\(bad)") { try UserStore.add(keys: keys, name: bad) }
        }
        #expect(throws: InferenceError.self) { try UserStore.add(keys: keys, name: "dave", budget: -1) }
        #expect(throws: InferenceError.self) { try UserStore.add(keys: keys, name: "erin", packages: ["../x"]) }
    }

    /// 8 threads × 20 reservations of 1 against a budget of 100: exactly 100 succeed, the rest are refused, and a
    /// refund gives back exactly what it names.
    @Test func concurrentReservationsStayWithinTheBudget() throws {
        let keys = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: keys) }
        let token = try UserStore.add(keys: keys, name: "u", budget: 100)
        let granted = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20 {
                if (try? UserStore.reserve(keys: keys, token: token, package: "p", count: 1)) != nil { granted.add() }
            }
        }
        #expect(granted.value == 100)
        #expect(try UserStore.list(keys: keys).first?.decrypted == 100)
        #expect(throws: UserStore.Refusal.budgetExhausted(name: "u", decrypted: 100, budget: 100, requested: 1)) {
            try UserStore.reserve(keys: keys, token: token, package: "p", count: 1)
        }
        UserStore.refund(keys: keys, token: token, count: 30)
        #expect(try UserStore.list(keys: keys).first?.decrypted == 70)
    }

    /// A reservation waits for the store's lock (which `owner user add` in another process, or another request,
    /// holds while it reads and writes): while the test holds it, the count does not move; once released, it does.
    @Test func reservationsWaitForTheLock() throws {
        let keys = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: keys) }
        let token = try UserStore.add(keys: keys, name: "u", budget: 10)
        let held = try FileLock(UserStore.lockURL(keys))
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? UserStore.reserve(keys: keys, token: token, package: "p", count: 3)
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.5) == .timedOut)
        let stored = try #require(FileManager.default.contents(atPath: UserStore.url(keys).path))
        #expect(try JSONDecoder().decode(UserStore.Record.self, from: stored).users.first?.decrypted == 0)
        held.unlock()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(try UserStore.list(keys: keys).first?.decrypted == 3)
    }

    /// A damaged store is an error naming it, never a fresh budget.
    @Test func damagedStoreIsRefused() throws {
        let keys = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: keys) }
        let token = try UserStore.add(keys: keys, name: "u", budget: 5)
        let url = UserStore.url(keys)
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"decrypted\" : 0", with: "\"decrypted\" : 9")
        try Data(text.utf8).write(to: url)
        #expect(throws: InferenceError.badFile(path: url.path, reason: "unreadable or out-of-range user store")) {
            try UserStore.reserve(keys: keys, token: token, package: "p", count: 1)
        }
        try Data("{".utf8).write(to: url)
        #expect(throws: InferenceError.self) { try UserStore.authenticate(keys: keys, token: token) }
    }
}

/// A thread-safe count.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
