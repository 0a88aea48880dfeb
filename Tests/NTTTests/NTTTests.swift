import NTT
import Testing

@Suite struct NTTTests {
    /// A tiny known answer: N = 4, q = 17, ψ = 2 (2^4 = 16 = −1 mod 17; the smallest primitive 8th root is 2).
    @Test func tinyKnownAnswer() throws {
        let tables = try NTTTables(degree: 4, modulus: try Modulus(17))
        #expect(tables.root == 2)
        // Word k holds a(ψ^(2·bitrev(k)+1)): evaluation points ψ^1, ψ^5, ψ^3, ψ^7 = 2, 15, 8, 9.
        var values: [UInt64] = [1, 2, 3, 4]
        try tables.forward(&values)
        let points: [UInt64] = [2, 15, 8, 9]
        let m = tables.modulus
        let expected = points.map { x in
            [1, 2, 3, 4].enumerated().reduce(UInt64(0)) {
                m.addMod($0, m.multiplyMod($1.element, m.powMod(x, UInt64($1.offset))))
            }
        }
        #expect(values == expected)
        try tables.inverse(&values)
        #expect(values == [1, 2, 3, 4])
    }

    @Test func tablesMatchSEALLayout() throws {
        let q = try Modulus(0xfffff4c001)
        let tables = try NTTTables(degree: 8192, modulus: q)
        #expect(tables.root == 5_405_730)
        #expect(tables.rootPower(at: 0) == 1)
        #expect(tables.rootPower(at: 1) == q.powMod(tables.root, 4096))  // bitrev(4096, 13) = 1
        #expect(tables.inverseRootPower(at: 1) == tables.inverseRoot)  // bitrev(0) + 1 = 1 holds psi^-1
        #expect(q.multiplyMod(tables.inverseDegree.operand, 8192) == 1)
        #expect(throws: NTTError.noPrimitiveRoot(modulus: 12289, degree: 8192)) {
            try NTTTables(degree: 8192, modulus: try Modulus(12289))
        }
        #expect(throws: NTTError.invalidDegree(12)) { try NTTTables(degree: 12, modulus: try Modulus(12289)) }
    }

    @Test(arguments: [
        (2, 17), (8, 17), (64, 12289), (256, 0xfffff4c001), (1024, 0xffffffffffe8001), (512, 0x1fffffffffe00001),
    ])
    func nttMatchesNaiveConvolution(degree: Int, prime: UInt64) throws {
        let modulus = try Modulus(prime)
        let tables = try NTTTables(degree: degree, modulus: modulus)
        var rng = SplitMix64(seed: UInt64(degree) ^ prime)
        let a = randomResidues(degree, below: prime, using: &rng)
        let b = randomResidues(degree, below: prime, using: &rng)
        var fa = a
        var fb = b
        try tables.forward(&fa)
        try tables.forward(&fb)
        #expect(fa.allSatisfy { $0 < prime })
        var product = zip(fa, fb).map { modulus.multiplyMod($0, $1) }
        try tables.inverse(&product)
        #expect(product == naiveNegacyclicProduct(a, b, modulus: modulus))
        try tables.inverse(&fa)
        #expect(fa == a)
    }

    @Test func lazyVariantsStayInRangeAndAgree() throws {
        let prime: UInt64 = 0x1fffffffffe00001  // 61 bits: the widest modulus, where 4q is closest to 2^64
        let modulus = try Modulus(prime)
        for degree in [2, 4, 8, 16, 2048] {
            let tables = try NTTTables(degree: degree, modulus: modulus)
            var rng = SplitMix64(seed: 7 &+ UInt64(degree))
            // Lazy inputs: forward accepts [0, 4q), inverse [0, 2q).
            let input = (0..<degree).map { _ in UInt64.random(in: 0..<(4 * prime), using: &rng) }
            var lazy = input
            var exact = input
            lazy.withUnsafeMutableBufferPointer { tables.forwardLazy($0.baseAddress!) }
            exact.withUnsafeMutableBufferPointer { tables.forward($0.baseAddress!) }
            #expect(lazy.allSatisfy { $0 < 4 * prime })
            #expect(lazy.map { $0 % prime } == exact)
            let reduced = input.map { $0 % prime }
            var viaReduced = reduced
            try tables.forward(&viaReduced)
            #expect(viaReduced == exact)

            let inverseInput = (0..<degree).map { _ in UInt64.random(in: 0..<(2 * prime), using: &rng) }
            var lazyInverse = inverseInput
            var exactInverse = inverseInput
            lazyInverse.withUnsafeMutableBufferPointer { tables.inverseLazy($0.baseAddress!) }
            exactInverse.withUnsafeMutableBufferPointer { tables.inverse($0.baseAddress!) }
            #expect(lazyInverse.allSatisfy { $0 < 2 * prime })
            #expect(lazyInverse.map { $0 % prime } == exactInverse)
            #expect(exactInverse.allSatisfy { $0 < prime })
        }
    }

    @Test func forwardEvaluatesAtBitReversedOddPowers() throws {
        // seal-compat.md section 3.5, by direct evaluation with Horner's rule.
        let degree = 32
        let modulus = try Modulus(0xfffffdc001)
        let tables = try NTTTables(degree: degree, modulus: modulus)
        var rng = SplitMix64(seed: 11)
        let a = randomResidues(degree, below: modulus.value, using: &rng)
        var f = a
        try tables.forward(&f)
        for k in 0..<degree {
            let exponent = 2 * UInt64(k).reversedBits(5) + 1
            let x = modulus.powMod(tables.root, exponent)
            let value = a.reversed().reduce(UInt64(0)) { modulus.addMod(modulus.multiplyMod($0, x), $1) }
            #expect(f[k] == value)
        }
    }

    @Test func sealPairsWordForWord() throws {
        let vectors = try PairVectors.load()
        #expect(vectors.pairs.count == 3)
        for pair in vectors.pairs {
            let nttWords = try PairVectors.words(pair.ntt)
            let coeffWords = try PairVectors.words(pair.coeff)
            let k = pair.primes.count
            let n = pair.degree
            #expect(nttWords.count == pair.size * k * n && coeffWords.count == nttWords.count)
            let tables = try pair.primes.map { try NTTTables(degree: n, modulus: try Modulus($0)) }
            for p in 0..<pair.size {
                for j in 0..<k {
                    let range = (p * k + j) * n..<(p * k + j + 1) * n
                    var row = Array(nttWords[range])
                    try tables[j].inverse(&row)
                    #expect(row[...] == coeffWords[range], "\(pair.name) poly \(p) prime \(j) inverse")
                    try tables[j].forward(&row)
                    #expect(row[...] == nttWords[range], "\(pair.name) poly \(p) prime \(j) forward")
                }
            }
        }
    }
}
