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

    func random(_ rng: inout SplitMix64) -> RNSPoly {
        var words: [UInt64] = []
        for q in moduli { words += randomResidues(degree, below: q.value, using: &rng) }
        return RNSPoly(coefficients: words, degree: degree, isNTTForm: false)
    }

    @Test func elementWiseArithmetic() {
        var rng = SplitMix64(seed: 21)
        let a = random(&rng)
        let b = random(&rng)
        var sum = a
        sum.add(b, moduli: moduli)
        var difference = a
        difference.subtract(b, moduli: moduli)
        var negated = b
        negated.negate(moduli: moduli)
        var scaled = a
        scaled.multiplyScalar(123_456_789_012, moduli: moduli)
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
        back.add(b, moduli: moduli)
        #expect(back == a)
    }

    @Test func dyadicProductIsNegacyclicProduct() {
        var rng = SplitMix64(seed: 22)
        let a = random(&rng)
        let b = random(&rng)
        var fa = a
        var fb = b
        fa.forwardNTT(tables: tables)
        fb.forwardNTT(tables: tables)
        #expect(fa.isNTTForm)
        var product = fa
        product.multiplyDyadic(fb, moduli: moduli)
        var accumulated = fa
        accumulated.multiplyAdd(fa, fb, moduli: moduli)
        product.inverseNTT(tables: tables)
        #expect(!product.isNTTForm)
        var doubled = product
        doubled.add(product, moduli: moduli)
        var fromAccumulated = accumulated
        fromAccumulated.inverseNTT(tables: tables)
        var expectedAccumulated = a
        expectedAccumulated.add(product, moduli: moduli)
        #expect(fromAccumulated == expectedAccumulated)
        for j in 0..<3 {
            let expected = naiveNegacyclicProduct(Array(a.limb(j)), Array(b.limb(j)), modulus: moduli[j])
            #expect(Array(product.limb(j)) == expected)
        }
        fa.inverseNTT(tables: tables)
        #expect(fa == a)
    }

    @Test func perLimbScalarsAndDrop() {
        var rng = SplitMix64(seed: 23)
        var a = random(&rng)
        let original = a
        let scalars = moduli.map { UInt64.random(in: 0..<$0.value, using: &rng) }
        a.multiplyScalars(scalars, moduli: moduli)
        for j in 0..<3 {
            #expect(Array(a.limb(j)) == original.limb(j).map { moduli[j].multiplyMod($0, scalars[j]) })
        }
        a.dropLastLimbs()
        #expect(a.moduliCount == 2 && a.coefficients.count == 2 * degree)
    }
}
