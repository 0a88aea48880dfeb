import CKKS
import NTT
import TestSupport
import Testing

/// The sampler known answers of vectors/seal-4.1.2-seeded: N = 1024, two primes, fixed KAT seed.
let samplerModuli = [try! Modulus(0xf83_e0f8_3e0e_b001), try! Modulus(0xfff_ffff_ffff_c001)]

func words(_ file: String) throws -> [UInt64] {
    let data = try [UInt8](RepositoryPaths.vector("seal-4.1.2-seeded/\(file)"))
    var reader = ByteReader(data, object: file)
    return try reader.readWords(data.count / 8)
}

@Test func uniformSamplingMatchesSEALIncludingRejections() throws {
    var rng = SEALPRNG(type: .blake2xb, seed: katSeed)
    let sampled = RLWESampler.uniform(degree: 1024, moduli: samplerModuli, using: &rng)
    let expected = try words("rej.bin")
    #expect(sampled == expected)
    // 0xf83e0f83e0eb001 rejects about 3% of 64-bit words, so the stream must have been read past the bulk block.
    var bulkOnly = SEALPRNG(type: .blake2xb, seed: katSeed)
    let q0 = samplerModuli[0]
    let maxMultiple = UInt64.max - UInt64.max % q0.value - 1
    let rejected = (0..<1024).filter { _ in bulkOnly.nextUInt64() >= maxMultiple }
    #expect(!rejected.isEmpty)
    #expect(sampled.enumerated().allSatisfy { $0.element < samplerModuli[$0.offset / 1024].value })
}

@Test func ternarySamplingMatchesSEAL() throws {
    var rng = SEALPRNG(type: .shake256, seed: katSeed)
    #expect(RLWESampler.ternary(degree: 1024, moduli: samplerModuli, using: &rng) == (try words("tern_shake.bin")))
    // The compat doc's BLAKE2Xb known answer: first 16 values.
    var blake = SEALPRNG(type: .blake2xb, seed: katSeed)
    let values = RLWESampler.ternary(degree: 16, moduli: [samplerModuli[1]], using: &blake)
    let q = samplerModuli[1].value
    let signed = values.map { $0 > q / 2 ? -Int(q - $0) : Int($0) }
    #expect(signed == [0, 1, 0, 0, -1, -1, -1, -1, 1, 0, -1, -1, 0, -1, 0, 1])
}

@Test func centeredBinomialMatchesSEAL() {
    var rng = SEALPRNG(type: .blake2xb, seed: katSeed)
    let values = RLWESampler.centeredBinomial(degree: 16, moduli: samplerModuli, using: &rng)
    for (j, modulus) in samplerModuli.enumerated() {
        let q = modulus.value
        let signed = values[(16 * j)..<(16 * j + 16)].map { $0 > q / 2 ? -Int(q - $0) : Int($0) }
        #expect(signed == [2, 0, -3, -4, 1, 6, 1, 3, -1, -6, 3, -9, -4, -3, -4, -3])
    }
    // 6 bytes per coefficient, nothing more.
    var a = SEALPRNG(type: .blake2xb, seed: katSeed)
    var b = SEALPRNG(type: .blake2xb, seed: katSeed)
    _ = RLWESampler.centeredBinomial(degree: 10, moduli: samplerModuli, using: &a)
    _ = b.generate(byteCount: 60)
    #expect(a.nextUInt64() == b.nextUInt64())
}

@Test func legacyUniformSamplersStayInRangeAndDiffer() {
    var r34 = SEALPRNG(type: .blake2xb, seed: katSeed)
    var r35 = SEALPRNG(type: .blake2xb, seed: katSeed)
    var a = [UInt64](repeating: 0, count: 2048)
    var b = [UInt64](repeating: 0, count: 2048)
    a.withUnsafeMutableBufferPointer {
        RLWESampler.sampleUniformSEAL34(into: $0, degree: 1024, moduli: samplerModuli, using: &r34)
    }
    b.withUnsafeMutableBufferPointer {
        RLWESampler.sampleUniformSEAL35(into: $0, degree: 1024, moduli: samplerModuli, using: &r35)
    }
    #expect(a != b)
    #expect(a.enumerated().allSatisfy { $0.element < samplerModuli[$0.offset / 1024].value })
    // 3.5 draws (a << 32) | b from two 32-bit draws: the first word is the stream's words 0 and 1 swapped.
    var s = SEALPRNG(type: .blake2xb, seed: katSeed)
    let hi = UInt64(s.nextUInt32())
    let expectedFirst = (hi << 32 | UInt64(s.nextUInt32())) % samplerModuli[0].value
    #expect(b[0] == expectedFirst)
}
