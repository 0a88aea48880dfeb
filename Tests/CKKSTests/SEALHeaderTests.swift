import CKKS
import Testing

@Test func headerBytesAreSEALs() {
    let header = SEALHeader(version: .v4_4, comprMode: .none, size: 393_329)
    #expect(header.bytes == [0x5E, 0xA1, 0x10, 0x04, 0x04, 0x00, 0x00, 0x00, 0x71, 0x00, 0x06, 0, 0, 0, 0, 0])
    #expect(SEALHeader(version: .v4_1, comprMode: .zstd, size: 16).bytes.prefix(6) == [0x5E, 0xA1, 0x10, 4, 1, 2])
}

@Test func headerParsingRejectsBadInput() throws {
    func parse(_ bytes: [UInt8]) throws -> SEALHeader {
        var reader = ByteReader(bytes, object: "test object")
        return try SEALHeader.parse(&reader)
    }
    let good = SEALHeader(version: .v4_1, comprMode: .none, size: 16).bytes
    #expect(try parse(good) == SEALHeader(versionMajor: 4, versionMinor: 1, comprMode: .none, size: 16))
    #expect(throws: CKKSError.truncated(object: "test object", needed: 16, available: 10)) {
        try parse(Array(good.prefix(10)))
    }
    var badMagic = good
    badMagic[0] = 0x5F
    #expect(throws: CKKSError.wrongMagic(found: 0xA15F)) { try parse(badMagic) }
    for (major, minor) in [(4, 5), (3, 3), (5, 0), (2, 9)] {
        var bytes = good
        bytes[3] = UInt8(major)
        bytes[4] = UInt8(minor)
        #expect(throws: CKKSError.unsupportedVersion(major: UInt8(major), minor: UInt8(minor))) { try parse(bytes) }
    }
    for (major, minor) in [(4, 0), (4, 4), (3, 4), (3, 7)] {
        var bytes = good
        bytes[3] = UInt8(major)
        bytes[4] = UInt8(minor)
        #expect(try parse(bytes).versionMinor == UInt8(minor))
    }
    var badMode = good
    badMode[5] = 3
    #expect(throws: CKKSError.unsupportedCompression(3)) { try parse(badMode) }
    var badSize = good
    badSize[2] = 12
    #expect(throws: CKKSError.self) { try parse(badSize) }
}

@Test func legacySEAL34HeaderIsUpgraded() throws {
    // magic, zero byte, compr_mode zlib, u32 size 0x00012345, u64 reserved
    let legacy: [UInt8] = [0x5E, 0xA1, 0x00, 0x01, 0x45, 0x23, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]
    var reader = ByteReader(legacy, object: "legacy")
    let header = try SEALHeader.parse(&reader)
    #expect(header == SEALHeader(versionMajor: 3, versionMinor: 4, comprMode: .zlib, size: 0x12345))
}

@Test(arguments: ComprMode.allCases)
func objectFramingRoundTrips(mode: ComprMode) throws {
    let words = (0..<5000).map { UInt64($0 % 17) &* 0x0102_0304_0506_0708 }
    let bytes = try SEALSerialization.save(version: .v4_4, comprMode: mode) { writer in
        writer.write(UInt8(7))
        writer.write(words: words)
    }
    #expect(bytes[5] == mode.rawValue)
    #expect(bytes.count == Int(try ByteReaderTestHelper.size(bytes)))
    if mode != .none { #expect(bytes.count < 8 * words.count / 4) }
    let (tag, back) = try SEALSerialization.load(bytes, object: "blob") { reader, header in
        #expect(header.comprMode == mode)
        return (try reader.readUInt8(), try reader.readWords(words.count))
    }
    #expect(tag == 7 && back == words)
}

@Test func objectFramingRejectsSizeMismatchAndCorruptStreams() throws {
    let bytes = try SEALSerialization.save(version: .v4_1, comprMode: .none) { $0.write(UInt64(42)) }
    // Members that read less than the header announces.
    #expect(throws: CKKSError.self) {
        try SEALSerialization.load(bytes, object: "blob") { reader, _ in try reader.readUInt32() }
    }
    // A header announcing more than the buffer holds.
    #expect(throws: CKKSError.truncated(object: "blob", needed: 8, available: 7)) {
        try SEALSerialization.load(Array(bytes.dropLast()), object: "blob") { reader, _ in try reader.readUInt64() }
    }
    for mode in [ComprMode.zlib, .zstd] {
        var packed = try SEALSerialization.save(version: .v4_1, comprMode: mode) {
            $0.write(words: [UInt64](repeating: 9, count: 100))
        }
        packed[packed.count - 3] ^= 0xFF
        packed[20] ^= 0x55
        #expect(throws: CKKSError.self) {
            try SEALSerialization.load(packed, object: "blob") { reader, _ in try reader.readWords(100) }
        }
    }
}

enum ByteReaderTestHelper {
    static func size(_ bytes: [UInt8]) throws -> UInt64 {
        var reader = ByteReader(bytes, object: "size")
        return try SEALHeader.parse(&reader).size
    }
}
