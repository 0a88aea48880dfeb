import CGMP
import Foundation
import NTT
import TestSupport
import Testing

/// The words of a saved non-seeded SEAL 4.x ciphertext (seal-compat.md section 1.4).
struct SavedCiphertext {
    let size: Int
    let degree: Int
    let moduliCount: Int
    let isNTTForm: Bool
    let words: [UInt64]

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        func word(_ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        #expect(bytes[0] == 0x5E && bytes[1] == 0xA1 && bytes[3] == 4)
        isNTTForm = bytes[48] != 0
        size = Int(word(49))
        degree = Int(word(57))
        moduliCount = Int(word(65))
        let count = Int(word(16 + 32 + 1 + 24 + 16 + 16))
        let start = 16 + 32 + 1 + 24 + 16 + 16 + 8
        #expect(count == size * degree * moduliCount && start + 8 * count == bytes.count)
        words = (0..<count).map { word(start + 8 * $0) }
    }

    func poly(_ p: Int) throws -> RNSPoly {
        let n = degree * moduliCount
        return try RNSPoly(coefficients: Array(words[(p * n)..<((p + 1) * n)]), degree: degree, isNTTForm: isNTTForm)
    }
}

@Suite struct RNSToolTests {
    @Test func inverseOfLastPrime() throws {
        let moduli = try CoeffModulus.create(degree: 1024, bitSizes: [40, 50, 60])
        let inverses = try RNSTool.invQLastModQ(moduli)
        #expect(inverses.count == 2)
        for i in 0..<2 { #expect(moduli[i].multiplyMod(inverses[i].operand, moduli[2].value) == 1) }
        #expect(throws: NTTError.invalidModulusCount(1)) { try RNSTool.invQLastModQ([moduli[0]]) }
    }

    /// round(x / q_L) by GMP: floor((x + floor(q_L/2)) / q_L), for x in [0, Q).
    @Test(arguments: [[40, 50, 60], [60, 40, 40], [30, 30, 61 - 1, 20]])
    func divideAndRoundMatchesGMP(bitSizes: [Int]) throws {
        let degree = 512
        let moduli = try CoeffModulus.create(degree: degree, bitSizes: bitSizes)
        let tables = try moduli.map { try NTTTables(degree: degree, modulus: $0) }
        let base = try RNSBase(moduli)
        let inverses = try RNSTool.invQLastModQ(moduli)
        let k = moduli.count
        let q = Mpz.product(moduli.map(\.value))
        var rng = SplitMix64(seed: 41)
        let values = (0..<degree).map { _ in Mpz.random(below: q, words: k, using: &rng) }
        // Edge coefficients: 0, Q − 1 and values around multiples of q_L ± h.
        __gmpz_set_ui(values[0].p, 0)
        __gmpz_sub_ui(values[1].p, q.p, 1)
        __gmpz_set_ui(values[2].p, UInt(moduli[k - 1].value >> 1))
        __gmpz_set_ui(values[3].p, UInt(moduli[k - 1].value >> 1) + 1)
        let poly = try base.decompose(words: values.flatMap { $0.words(k) }, degree: degree)
        let half = moduli[k - 1].value >> 1
        let expected = values.map { x -> Mpz in
            let r = Mpz()
            __gmpz_add_ui(r.p, x.p, UInt(half))
            __gmpz_fdiv_q_ui(r.p, r.p, UInt(moduli[k - 1].value))
            return r
        }
        var coefficientForm = poly
        try RNSTool.divideAndRoundQLastInPlace(&coefficientForm, moduli: moduli, inverses: inverses)
        var nttForm = poly
        try nttForm.forwardNTT(tables: tables)
        try RNSTool.divideAndRoundQLastNTTInPlace(&nttForm, moduli: moduli, tables: tables, inverses: inverses)
        #expect(nttForm.moduliCount == k - 1 && nttForm.isNTTForm)
        try nttForm.inverseNTT(tables: tables)
        #expect(nttForm == coefficientForm)
        for i in 0..<degree {
            for j in 0..<(k - 1) {
                #expect(coefficientForm.coefficients[j * degree + i] == expected[i].mod(moduli[j].value))
            }
        }
    }

    /// SEAL 4.1.2's rescale_to_next of the relinearized product, word for word.
    @Test func rescaleEqualsSEAL() throws {
        let input = try SavedCiphertext(RepositoryPaths.vector("seal-4.1.2-seeded/ev_relin.bin"))
        let output = try SavedCiphertext(RepositoryPaths.vector("seal-4.1.2-seeded/ev_rescale.bin"))
        #expect(input.size == 2 && input.moduliCount == 3 && output.moduliCount == 2 && input.degree == 8192)
        let moduli = Array(try CoeffModulus.create(degree: 8192, bitSizes: [60, 40, 40, 60]).prefix(3))
        let tables = try moduli.map { try NTTTables(degree: 8192, modulus: $0) }
        let inverses = try RNSTool.invQLastModQ(moduli)
        for p in 0..<2 {
            var poly = try input.poly(p)
            try RNSTool.divideAndRoundQLastNTTInPlace(&poly, moduli: moduli, tables: tables, inverses: inverses)
            #expect(try poly.coefficients == output.poly(p).coefficients, "poly \(p)")
        }
    }
}

@Suite struct ModDownTests {
    /// The raw kernel as key switching uses it: rows (acc_0, acc_1, acc_P) with a separate output, then
    /// checked against GMP's round(acc / P) and against the in-place rescale of the same rows.
    @Test func modDownBySpecialPrimeIntoSeparateOutput() throws {
        let degree = 256
        let moduli = try CoeffModulus.create(degree: degree, bitSizes: [40, 40, 60])
        let tables = try moduli.map { try NTTTables(degree: degree, modulus: $0) }
        let inverses = try RNSTool.invQLastModQ(moduli)
        let base = try RNSBase(moduli)
        let q = Mpz.product(moduli.map(\.value))
        var rng = SplitMix64(seed: 51)
        let values = (0..<degree).map { _ in Mpz.random(below: q, words: 3, using: &rng) }
        var poly = try base.decompose(words: values.flatMap { $0.words(3) }, degree: degree)
        try poly.forwardNTT(tables: tables)
        var rows = poly.coefficients
        var output = [UInt64](repeating: 0, count: 2 * degree)
        var scratch = [UInt64](repeating: 0, count: degree)
        rows.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                scratch.withUnsafeMutableBufferPointer { temp in
                    RNSTool.divideAndRoundQLastNTT(
                        input.baseAddress!, degree: degree, moduli: moduli, tables: tables, inverses: inverses,
                        output: out.baseAddress!, scratch: temp.baseAddress!)
                }
            }
        }
        #expect(rows[..<(2 * degree)] == poly.coefficients[..<(2 * degree)])  // input rows 0, 1 untouched
        var expected = poly
        try RNSTool.divideAndRoundQLastNTTInPlace(&expected, moduli: moduli, tables: tables, inverses: inverses)
        #expect(output == expected.coefficients)
        var coefficients = try RNSPoly(coefficients: output, degree: degree, isNTTForm: true)
        try coefficients.inverseNTT(tables: tables)
        let p = moduli[2].value
        for i in 0..<degree {
            let r = Mpz()
            __gmpz_add_ui(r.p, values[i].p, UInt(p >> 1))
            __gmpz_fdiv_q_ui(r.p, r.p, UInt(p))
            for j in 0..<2 { #expect(coefficients.coefficients[j * degree + i] == r.mod(moduli[j].value)) }
        }
        // Moving a row to another prime: reduce, as key switching does before its NTT.
        var moved = [UInt64](repeating: 0, count: degree)
        poly.coefficients.withUnsafeBufferPointer { src in
            moved.withUnsafeMutableBufferPointer { dst in
                PolyArithmetic.reduce(
                    src.baseAddress! + 2 * degree, into: dst.baseAddress!, count: degree, modulus: moduli[0])
            }
        }
        #expect(moved == poly.limb(2).map { $0 % moduli[0].value })
    }
}
