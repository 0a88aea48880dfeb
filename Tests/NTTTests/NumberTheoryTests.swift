import NTT
import Testing

@Suite struct NumberTheoryTests {
    @Test func primalityKnownAnswers() {
        let primes: [UInt64] = [
            2, 3, 5, 7, 13, 17, 12289, 65537, 1_000_000_007, 0xffffffffffe8001, 0xfffff4c001, 0xfffffdc001,
            0xfffffffffffc001, (1 << 61) - 1, 18_446_744_073_709_551_557,
        ]
        for p in primes { #expect(NumberTheory.isPrime(p), "\(p)") }
        // Composites, including Carmichael numbers and strong pseudoprimes to many small bases.
        let composites: [(UInt64, [UInt64])] = [
            (561, [3, 11, 17]), (1105, [5, 13, 17]), (2047, [23, 89]), (3_215_031_751, [151, 751, 28351]),
            (3_825_123_056_546_413_051, [149_491, 747_451, 34_233_211]), (4_294_967_297, [641, 6_700_417]),
            (0xffffffffffe8001 * 3, [0xffffffffffe8001, 3]),
            (18_446_744_073_709_551_615, [3, 5, 17, 257, 641, 65537, 6_700_417]),
        ]
        for (c, factors) in composites {
            #expect(factors.reduce(1, *) == c)
            #expect(!NumberTheory.isPrime(c), "\(c)")
        }
        #expect(!NumberTheory.isPrime(0))
        #expect(!NumberTheory.isPrime(1))
    }

    @Test func primalityMatchesSieve() {
        var sieve = [Bool](repeating: true, count: 100_000)
        sieve[0] = false
        sieve[1] = false
        for i in 2..<sieve.count where sieve[i] {
            var j = i * i
            while j < sieve.count {
                sieve[j] = false
                j += i
            }
        }
        for n in 0..<sieve.count { #expect(NumberTheory.isPrime(UInt64(n)) == sieve[n]) }
    }

    @Test func minimalRootsMatchSEAL() throws {
        // seal-compat.md section 3: psi for CoeffModulus::Create(8192, {60, 40, 40, 60}).
        let expected: [(UInt64, UInt64)] = [
            (0xffffffffffe8001, 100_406_242_475_323), (0xfffff4c001, 5_405_730), (0xfffffdc001, 30_370_987),
            (0xfffffffffffc001, 25_959_043_411_404),
        ]
        for (q, psi) in expected {
            let root = NumberTheory.minimalPrimitiveRoot(degree: 16384, modulus: try Modulus(q))
            #expect(root == psi)
        }
    }

    @Test func minimalRootIsMinimalBySearch() throws {
        // For a small prime, compare against a brute-force scan of all elements.
        let m = try Modulus(12289)
        for twoN: UInt64 in [2, 4, 8, 512, 2048] {
            let root = try #require(NumberTheory.minimalPrimitiveRoot(degree: twoN, modulus: m))
            let smallest = (1..<m.value).first { NumberTheory.isPrimitiveRoot($0, degree: twoN, modulus: m) }
            #expect(root == smallest)
        }
        #expect(NumberTheory.minimalPrimitiveRoot(degree: 16384, modulus: m) == nil)  // 12289 - 1 = 3 * 2^12
        #expect(NumberTheory.minimalPrimitiveRoot(degree: 8, modulus: try Modulus(15)) == nil)
    }
}
