import CKKS
import NTT
import Testing

@Test func chainDropsOnePrimePerLevel() throws {
    let parms = try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 20, 20, 29])
    let context = try CKKSContext(parms)
    #expect(context.chain.count == 4)
    #expect(context.chain.map(\.chainIndex) == [3, 2, 1, 0])
    #expect(context.chain.map { $0.coeffModulus.count } == [4, 3, 2, 1])
    for level in context.chain {
        #expect(Array(parms.coeffModulus.prefix(level.coeffModulus.count)) == level.coeffModulus)
        #expect(context.contextData(for: level.parmsID) === level)
        #expect(level.nttTables.map(\.modulus) == level.coeffModulus)
    }
    #expect(context.keyContextData.parmsID == context.keyParmsID)
    #expect(context.firstContextData.parmsID == context.firstParmsID)
    #expect(context.lastContextData.parmsID == context.lastParmsID)
    #expect(context.usingKeySwitching)
    #expect(context.chain[1].previousParmsID == context.keyParmsID)
    #expect(context.chain[1].nextParmsID == context.chain[2].parmsID)
    #expect(context.lastContextData.nextParmsID == nil && context.keyContextData.previousParmsID == nil)
    #expect(context.contextData(for: .zero) == nil)
}

@Test func chainWithoutExpansionAndWithOnePrime() throws {
    let parms = try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 20, 20, 29])
    let short = try CKKSContext(parms, expandModChain: false)
    #expect(short.chain.count == 2 && short.chain.map(\.chainIndex) == [1, 0])
    #expect(short.lastParmsID == short.firstParmsID)
    let single = try CKKSContext(try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [50]))
    #expect(single.chain.count == 1 && single.keyParmsID == single.firstParmsID && !single.usingKeySwitching)
}

@Test func levelPrecomputationsAreExact() throws {
    let parms = try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [27])
    let context = try CKKSContext(parms)
    let q = parms.coeffModulus[0].value
    #expect(context.keyContextData.totalCoeffModulus == [q])
    #expect(context.keyContextData.upperHalfThreshold == [(q + 1) / 2])
    #expect(context.keyContextData.totalCoeffModulusBitCount == 27)

    let big = try CKKSContext(
        try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60]), securityLevel: .tc128)
    let key = big.keyContextData
    #expect(key.totalCoeffModulusBitCount == 200)
    #expect(key.totalCoeffModulus.count == 4)
    // Threshold * 2 - 1 == Q (Q is odd).
    let doubled = key.upperHalfThreshold.enumerated().map { i, w in
        w << 1 | (i > 0 ? key.upperHalfThreshold[i - 1] >> 63 : 0)
    }
    #expect(doubled[0] - 1 == key.totalCoeffModulus[0] && Array(doubled[1...]) == Array(key.totalCoeffModulus[1...]))
    for (i, inverse) in key.inverseLastModulusModQ.enumerated() {
        let qi = key.coeffModulus[i]
        #expect(qi.multiplyMod(inverse.operand, qi.reduce(key.coeffModulus[3].value)) == 1)
    }
    #expect(key.inverseLastModulusModQ.count == 3)
    #expect(big.lastContextData.inverseLastModulusModQ.isEmpty)
}

@Test func insecureParametersNeedAnExplicitOptOut() throws {
    // 4 x 60 = 240 bits > 218 at N = 8192.
    let parms = try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 60, 60, 60])
    #expect(throws: CKKSError.self) { try CKKSContext(parms) }
    do {
        _ = try CKKSContext(parms, securityLevel: .tc128)
    } catch {
        #expect("\(error)".contains("240 bits") && "\(error)".contains("218"))
    }
    #expect(try CKKSContext(parms, securityLevel: .none).chain.count == 4)
    // 192-bit table: 152 bits at N = 8192.
    let medium = try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 60])
    #expect(throws: CKKSError.self) { try CKKSContext(medium, securityLevel: .tc192) }
    #expect(try CKKSContext(medium, securityLevel: .tc128).chain.count == 3)
    // N = 256 is in no table: insecure at every level.
    let tiny = try EncryptionParameters(polyModulusDegree: 256, bitSizes: [20])
    #expect(throws: CKKSError.self) { try CKKSContext(tiny) }
    #expect(try CKKSContext(tiny, securityLevel: .none).chain.count == 1)
}

@Test func contextRejectsModuliSEALRejects() throws {
    let n = 1024
    let notPrime = try Modulus(UInt64(2 * n) * 3 * 5 + 1)  // 1 mod 2N, composite (7 * 877)
    #expect(throws: CKKSError.self) {
        try CKKSContext(try EncryptionParameters(polyModulusDegree: n, coeffModulus: [notPrime]), securityLevel: .none)
    }
    let noNTT = try Modulus(1_000_003)  // prime, not 1 mod 2048
    #expect(throws: CKKSError.self) {
        try CKKSContext(try EncryptionParameters(polyModulusDegree: n, coeffModulus: [noNTT]), securityLevel: .none)
    }
    let q = try CoeffModulus.create(degree: n, bitSizes: [30])[0]
    #expect(throws: CKKSError.self) {
        try CKKSContext(try EncryptionParameters(polyModulusDegree: n, coeffModulus: [q, q]), securityLevel: .none)
    }
    let wide = try Modulus((UInt64(1) << 61) - 1)
    #expect(throws: CKKSError.self) {
        try CKKSContext(try EncryptionParameters(polyModulusDegree: n, coeffModulus: [wide]), securityLevel: .none)
    }
}
