import NTT
import Testing

@Suite struct RNSPolyTests {
    let degree = 256
    let moduli: [Modulus]
    let tables: [NTTTables]

    init() throws {
        moduli = try CoeffModulus.create(degree: 256, bitSizes: [50, 30, 61 - 1])
        tables = try moduli.map { try NTTTables(degree: 256, modulus: $0) }
    }

    func random(_ rng: inout SplitMix64) throws -> RNSPoly {
        var words: [UInt64] = []
        for q in moduli { words += randomResidues(degree, below: q.value, using: &rng) }
        return try RNSPoly(coefficients: words, degree: degree, isNTTForm: false)
    }

    @Test func elementWiseArithmetic() throws {
        var rng = SplitMix64(seed: 21)
        let a = try random(&rng)
        let b = try random(&rng)
        var sum = a
        try sum.add(b, moduli: moduli)
        var difference = a
        try difference.subtract(b, moduli: moduli)
        var negated = b
        try negated.negate(moduli: moduli)
        var scaled = a
        try scaled.multiplyScalar(123_456_789_012, moduli: moduli)
        #expect(sum.moduliCount == 3)
        for j in 0..<3 {
            let q = moduli[j]
            for i in 0..<degree {
                let x = a.coefficients[j * degree + i]
                let y = b.coefficients[j * degree + i]
                #expect(sum.coefficients[j * degree + i] == q.addMod(x, y))
                #expect(difference.coefficients[j * degree + i] == q.subMod(x, y))
                #expect(negated.coefficients[j * degree + i] == q.negateMod(y))
                #expect(scaled.coefficients[j * degree + i] == q.multiplyMod(x, 123_456_789_012))
            }
        }
        var back = difference
        try back.add(b, moduli: moduli)
        #expect(back == a)
    }

    @Test func dyadicProductIsNegacyclicProduct() throws {
        var rng = SplitMix64(seed: 22)
        let a = try random(&rng)
        let b = try random(&rng)
        var fa = a
        var fb = b
        try fa.forwardNTT(tables: tables)
        try fb.forwardNTT(tables: tables)
        #expect(fa.isNTTForm)
        var product = fa
        try product.multiplyDyadic(fb, moduli: moduli)
        var accumulated = fa
        try accumulated.multiplyAdd(fa, fb, moduli: moduli)
        try product.inverseNTT(tables: tables)
        #expect(!product.isNTTForm)
        var doubled = product
        try doubled.add(product, moduli: moduli)
        var fromAccumulated = accumulated
        try fromAccumulated.inverseNTT(tables: tables)
        var expectedAccumulated = a
        try expectedAccumulated.add(product, moduli: moduli)
        #expect(fromAccumulated == expectedAccumulated)
        for j in 0..<3 {
            let expected = naiveNegacyclicProduct(Array(a.limb(j)), Array(b.limb(j)), modulus: moduli[j])
            #expect(Array(product.limb(j)) == expected)
        }
        try fa.inverseNTT(tables: tables)
        #expect(fa == a)
    }

    @Test func perLimbScalarsAndDrop() throws {
        var rng = SplitMix64(seed: 23)
        var a = try random(&rng)
        let original = a
        let scalars = moduli.map { UInt64.random(in: 0..<$0.value, using: &rng) }
        try a.multiplyScalars(scalars, moduli: moduli)
        for j in 0..<3 {
            #expect(Array(a.limb(j)) == original.limb(j).map { moduli[j].multiplyMod($0, scalars[j]) })
        }
        try a.dropLastLimbs()
        #expect(a.moduliCount == 2 && a.coefficients.count == 2 * degree)
    }

    /// What a library caller can get wrong is an error, not a trap: shapes, forms, lengths and unreduced scalars.
    @Test func misuseThrowsInsteadOfTrapping() throws {
        var rng = SplitMix64(seed: 5)
        var a = try random(&rng)
        let short = try RNSPoly(
            coefficients: Array(a.coefficients.prefix(2 * degree)), degree: degree, isNTTForm: false)
        #expect(throws: NTTError.self) { try a.add(short, moduli: moduli) }
        #expect(throws: NTTError.self) { try a.add(a, moduli: Array(moduli.prefix(1))) }
        #expect(throws: NTTError.self) { try a.multiplyDyadic(a, moduli: moduli) }
        #expect(throws: NTTError.self) { try a.inverseNTT(tables: tables) }
        #expect(throws: NTTError.self) { try a.forwardNTT(tables: Array(tables.prefix(2))) }
        #expect(throws: NTTError.self) { try a.multiplyScalars([moduli[0].value, 1, 1], moduli: moduli) }
        #expect(throws: NTTError.self) { try a.dropLastLimbs(4) }
        #expect(throws: NTTError.self) { try RNSPoly(coefficients: [1, 2, 3], degree: 2, isNTTForm: false) }
        #expect(throws: NTTError.self) { try RNSPoly(degree: 0, moduliCount: 1) }
        var words = [UInt64](repeating: 0, count: degree - 1)
        #expect(throws: NTTError.self) { try tables[0].forward(&words) }
        let base = try RNSBase(moduli)
        #expect(throws: NTTError.self) { try base.compose([1, 2]) }
        #expect(throws: NTTError.self) { try base.decompose(words: [1, 2], degree: 1) }
        try a.forwardNTT(tables: tables)
        #expect(throws: NTTError.self) { try base.compose(poly: a) }
    }
}
