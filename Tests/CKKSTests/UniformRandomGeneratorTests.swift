import CKKS
import Foundation
import TestSupport
import Testing

/// The seed SEAL's fixed-seed vectors use: word i = 0x0101010101010101 * (i + 1).
let katSeed = try! PRNGSeed(words: (0..<8).map { 0x0101_0101_0101_0101 &* UInt64($0 + 1) })

@Test(arguments: [PRNGType.blake2xb, .shake256])
func prngStreamMatchesSEAL(type: PRNGType) throws {
    let file = type == .blake2xb ? "blake2xb_stream.bin" : "shake256_stream.bin"
    let expected = try [UInt8](RepositoryPaths.vector("seal-4.1.2-seeded/\(file)"))
    #expect(expected.count == 10_000)
    // One bulk request across two refills.
    var bulk = SEALPRNG(type: type, seed: katSeed)
    #expect(bulk.generate(byteCount: 10_000) == expected)
    // Odd-sized requests consume the same continuous stream.
    var pieces = SEALPRNG(type: type, seed: katSeed)
    var joined = [UInt8]()
    var size = 1
    while joined.count < expected.count {
        joined += pieces.generate(byteCount: min(size, expected.count - joined.count))
        size = size * 3 % 1001 + 1
    }
    #expect(joined == expected)
}

@Test func prngKnownAnswersFromCompatDoc() {
    var blake = SEALPRNG(type: .blake2xb, seed: katSeed)
    let stream = blake.generate(byteCount: 4112)
    #expect(hex(stream[0..<32]) == "26f0dd63e4303fdc700cf97e5920a65cc526ae0ae374bf1834fc885108df273e")
    #expect(hex(stream[4096..<4112]) == "17a981d8fefd05cac2f81810fc3675c1")
    var shake = SEALPRNG(type: .shake256, seed: katSeed)
    #expect(
        hex(shake.generate(byteCount: 32)) == "4a749e8c540bf89e5d90e2c5919a1bd3a66d924bb4dc4155880d9bd03e9420e7")
}

@Test func wordDrawsAreLittleEndianSlicesOfTheStream() {
    var a = SEALPRNG(type: .blake2xb, seed: katSeed)
    var b = SEALPRNG(type: .blake2xb, seed: katSeed)
    let bytes = a.generate(byteCount: 12)
    let x = b.nextUInt32()
    let y = b.nextUInt64()
    #expect(x == bytes[0..<4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
    #expect(y == bytes[4..<12].reversed().reduce(0) { $0 << 8 | UInt64($1) })
}

@Test func factoriesSeedFromTheSystemOrReplayAFixedSeed() throws {
    var fresh1 = UniformRandomGeneratorFactory.default.create()
    var fresh2 = UniformRandomGeneratorFactory.default.create()
    #expect(fresh1.info.seed != fresh2.info.seed)
    #expect(fresh1.generate(byteCount: 64) != fresh2.generate(byteCount: 64))
    let fixed = UniformRandomGeneratorFactory(type: .shake256, defaultSeed: katSeed)
    var r1 = fixed.create()
    var r2 = fixed.create()
    #expect(r1.info == UniformRandomGeneratorInfo(type: .shake256, seed: katSeed))
    #expect(r1.generate(byteCount: 100) == r2.generate(byteCount: 100))
    var replay = try r1.info.makeGenerator()
    var again = fixed.create()
    #expect(replay.generate(byteCount: 5000) == again.generate(byteCount: 5000))
    #expect(throws: CKKSError.self) { try UniformRandomGeneratorInfo(type: .unknown, seed: katSeed).makeGenerator() }
    #expect(throws: CKKSError.self) { try PRNGSeed(words: [1, 2, 3]) }
}
