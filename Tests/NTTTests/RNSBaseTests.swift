import CGMP
import NTT
import Testing

/// Independent GMP oracle helpers for the tests (straight `__gmpz_*` calls, none of the library's code).
final class Mpz {
    let p = UnsafeMutablePointer<__mpz_struct>.allocate(capacity: 1)
    init() { __gmpz_init(p) }
    init(words: [UInt64]) {
        __gmpz_init(p)
        words.withUnsafeBufferPointer { __gmpz_import(p, $0.count, -1, 8, 0, 0, $0.baseAddress!) }
    }
    deinit {
        __gmpz_clear(p)
        p.deallocate()
    }
    func words(_ count: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count + 1)
        var written = 0
        out.withUnsafeMutableBufferPointer { _ = __gmpz_export($0.baseAddress!, &written, -1, 8, 0, 0, p) }
        #expect(written <= count)
        return Array(out.prefix(count))
    }
    func mod(_ m: UInt64) -> UInt64 { UInt64(__gmpz_fdiv_ui(p, UInt(m))) }
    static func product(_ values: [UInt64]) -> Mpz {
        let r = Mpz()
        __gmpz_set_ui(r.p, 1)
        for v in values { __gmpz_mul_ui(r.p, r.p, UInt(v)) }
        return r
    }
    /// A uniformly random value below `bound`.
    static func random(below bound: Mpz, words count: Int, using rng: inout SplitMix64) -> Mpz {
        let r = Mpz(words: (0..<(count + 1)).map { _ in rng.next() })
        __gmpz_mod(r.p, r.p, bound.p)
        return r
    }
}

@Suite struct RNSBaseTests {
    @Test func constantsAndErrors() throws {
        let moduli = try CoeffModulus.create(degree: 1024, bitSizes: [60, 40, 40, 60])
        let base = try RNSBase(moduli)
        #expect(base.product == Mpz.product(moduli.map(\.value)).words(4))
        let threshold = Mpz.product(moduli.map(\.value))
        __gmpz_add_ui(threshold.p, threshold.p, 1)
        __gmpz_tdiv_q_ui(threshold.p, threshold.p, 2)
        #expect(base.upperHalfThreshold == threshold.words(4))
        for i in 0..<4 {
            let punctured = Mpz.product(moduli.enumerated().filter { $0.offset != i }.map(\.element.value))
            #expect(base.puncturedProducts[i] == punctured.words(4))
            #expect(
                moduli[i].multiplyMod(base.inversePuncturedProducts[i].operand, punctured.mod(moduli[i].value)) == 1)
        }
        #expect(throws: NTTError.moduliNotCoprime(15, 21)) { try RNSBase([try Modulus(15), try Modulus(21)]) }
        #expect(throws: NTTError.invalidModulusCount(0)) { try RNSBase([]) }
    }

    @Test(arguments: [[60, 40, 40, 60], [30], [61 - 1, 60, 60, 60, 60, 60, 60, 60], [20, 30, 40, 50]])
    func roundTripAgainstGMP(bitSizes: [Int]) throws {
        let moduli = try CoeffModulus.create(degree: 2048, bitSizes: bitSizes)
        let base = try RNSBase(moduli)
        let q = Mpz.product(moduli.map(\.value))
        var rng = SplitMix64(seed: UInt64(bitSizes.reduce(0, +)))
        let k = moduli.count
        var samples = (0..<200).map { _ in Mpz.random(below: q, words: k, using: &rng).words(k) }
        // Edges: 0, 1, Q − 1.
        samples.append([UInt64](repeating: 0, count: k))
        samples.append([1] + [UInt64](repeating: 0, count: k - 1))
        let qMinusOne = Mpz(words: base.product)
        __gmpz_sub_ui(qMinusOne.p, qMinusOne.p, 1)
        samples.append(qMinusOne.words(k))
        for x in samples {
            let residues = base.decompose(x)
            let oracle = Mpz(words: x)
            #expect(residues == moduli.map { oracle.mod($0.value) })
            #expect(try base.compose(residues) == x)
        }
        // A value wider than Q decomposes to its residues too.
        let wide = (0..<(k + 2)).map { _ in rng.next() }
        #expect(base.decompose(wide) == moduli.map { Mpz(words: wide).mod($0.value) })
    }

    @Test func polynomialComposeDecompose() throws {
        let degree = 64
        let moduli = try CoeffModulus.create(degree: degree, bitSizes: [50, 50, 40])
        let base = try RNSBase(moduli)
        let q = Mpz.product(moduli.map(\.value))
        var rng = SplitMix64(seed: 31)
        let values = (0..<degree).flatMap { _ in Mpz.random(below: q, words: 3, using: &rng).words(3) }
        let poly = try base.decompose(words: values, degree: degree)
        #expect(poly.moduliCount == 3 && !poly.isNTTForm)
        for i in 0..<degree {
            let x = Mpz(words: Array(values[(3 * i)..<(3 * i + 3)]))
            for j in 0..<3 { #expect(poly.coefficients[j * degree + i] == x.mod(moduli[j].value)) }
        }
        #expect(try base.compose(poly: poly) == values)
    }
}
