import NTT
import Testing

@Suite struct CoeffModulusTests {
    @Test func sealExample() throws {
        // seal-compat.md section 2.2.
        let primes = try CoeffModulus.create(degree: 8192, bitSizes: [60, 40, 40, 60]).map(\.value)
        #expect(primes == [0xffffffffffe8001, 0xfffff4c001, 0xfffffdc001, 0xfffffffffffc001])
    }

    @Test func primesEqualSEALVectors() throws {
        let vectors = try PrimeVectors.load()
        #expect(vectors.create.count >= 20)
        for c in vectors.create {
            if let expected = c.primes {
                let primes = try CoeffModulus.create(degree: c.degree, bitSizes: c.bitSizes)
                #expect(primes.map(\.value) == expected, "N=\(c.degree) bits=\(c.bitSizes)")
                #expect(primes.allSatisfy { $0.isPrime && $0.value % UInt64(2 * c.degree) == 1 })
            } else {
                #expect(throws: NTTError.self, "N=\(c.degree) bits=\(c.bitSizes)") {
                    try CoeffModulus.create(degree: c.degree, bitSizes: c.bitSizes)
                }
            }
        }
    }

    @Test func maxBitCountEqualsSEAL() throws {
        let vectors = try PrimeVectors.load()
        for row in vectors.maxBitCount {
            #expect(CoeffModulus.maxBitCount(degree: row.degree) == row.tc128)
            #expect(CoeffModulus.maxBitCount(degree: row.degree, securityLevel: .tc128) == row.tc128)
            #expect(CoeffModulus.maxBitCount(degree: row.degree, securityLevel: .tc192) == row.tc192)
            #expect(CoeffModulus.maxBitCount(degree: row.degree, securityLevel: .tc256) == row.tc256)
        }
        #expect(CoeffModulus.maxBitCount(degree: 8192, securityLevel: .none) == Int.max)
        #expect(CoeffModulus.maxBitCount(degree: 8192) == 218)
    }

    @Test func rejectsBadInput() {
        #expect(throws: NTTError.invalidDegree(1000)) { try CoeffModulus.create(degree: 1000, bitSizes: [30]) }
        #expect(throws: NTTError.invalidDegree(1 << 18)) { try CoeffModulus.create(degree: 1 << 18, bitSizes: [30]) }
        #expect(throws: NTTError.invalidBitSize(61)) { try CoeffModulus.create(degree: 1024, bitSizes: [30, 61]) }
        #expect(throws: NTTError.invalidBitSize(1)) { try CoeffModulus.create(degree: 1024, bitSizes: [1]) }
        #expect(throws: NTTError.invalidModulusCount(0)) { try CoeffModulus.create(degree: 1024, bitSizes: []) }
        #expect(throws: NTTError.invalidModulusCount(257)) {
            try CoeffModulus.create(degree: 1024, bitSizes: Array(repeating: 60, count: 257))
        }
        #expect(throws: NTTError.notEnoughPrimes(bitSize: 12, degree: 4096)) {
            try CoeffModulus.create(degree: 4096, bitSizes: [12])
        }
    }
}
