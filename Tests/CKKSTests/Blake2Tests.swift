import CKKS
import Foundation
import Testing

func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// BLAKE2b known answers: RFC 7693 Appendix A, plus keyed / short-digest / multi-block cases checked
/// against CPython's `hashlib.blake2b` (the reference C implementation).
@Test func blake2bRFC7693() throws {
    #expect(
        try hex(Blake2b.hash(Array("abc".utf8)))
            == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    #expect(
        try hex(Blake2b.hash([]))
            == "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
}

@Test func blake2bKeyedAndShortDigests() throws {
    let message = (0..<255).map { UInt8($0) }
    let key = (0..<64).map { UInt8($0) }
    #expect(
        try hex(Blake2b.hash(message, key: key))
            == "142709d62e28fcccd0af97fad0f8465b971e82201dc51070faa0372aa43e9248"
            + "4be1c1e73ba10906d5d1853db6a4106e0a7bf9800d373d6dee2d46d62ef2a461")
    #expect(
        try hex(Blake2b.hash((0..<200).map { UInt8($0) }, digestByteCount: 32))
            == "63c3d97a9f8894d5e043a707b0fee7f7ec4c049a23bbf1079df20b4165f9e22d")
    // Exactly one block: the final flag must land on that block, not on an empty extra one.
    #expect(
        try hex(Blake2b.hash((0..<128).map { UInt8($0) }, digestByteCount: 32))
            == "c3582f71ebb2be66fa5dd750f80baae97554f3b015663c8be377cfcb2488c1d1")
}

@Test func blake2bIncrementalEqualsOneShot() throws {
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    var hasher = try Blake2b(digestByteCount: 48)
    for chunk in stride(from: 0, to: message.count, by: 37) {
        hasher.update(Array(message[chunk..<min(chunk + 37, message.count)]))
    }
    #expect(try hasher.finalize() == Blake2b.hash(message, digestByteCount: 48))
}

@Test func blake2bRejectsBadLengths() {
    #expect(throws: CKKSError.self) { try Blake2b(digestByteCount: 0) }
    #expect(throws: CKKSError.self) { try Blake2b(digestByteCount: 65) }
    #expect(throws: CKKSError.self) { try Blake2b(key: [UInt8](repeating: 1, count: 65)) }
}

@Test func shake256KnownAnswers() {
    #expect(
        hex(SHAKE256.hash([], outputByteCount: 32))
            == "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f")
    // 200-byte message (absorbs one full block) and 300 output bytes (squeezes three blocks): last 32 bytes.
    #expect(
        hex(SHAKE256.hash((0..<200).map { UInt8($0) }, outputByteCount: 300).suffix(32))
            == "c53c23e716c670c4db23c67901358ae64f3f0ccedfa05b29e84e1a11a635bfe7")
}
