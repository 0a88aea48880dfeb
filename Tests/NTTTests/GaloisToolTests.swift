import NTT
import Testing

@Suite struct GaloisToolTests {
    @Test func elementsMatchSEAL() throws {
        // seal-compat.md section 1.4: N = 8192, steps 1 and −1 sit at key indices 1 and 5461; conjugation 8191.
        #expect(try GaloisTool.galoisElement(step: 1, degree: 8192) == 3)
        #expect(try GaloisTool.galoisElement(step: -1, degree: 8192) == 10923)
        #expect(GaloisTool.index(ofElement: 10923) == 5461)
        #expect(try GaloisTool.galoisElement(step: 0, degree: 8192) == 16383)
        #expect(GaloisTool.conjugateElement(degree: 8192) == 16383)
        #expect(GaloisTool.index(ofElement: 16383) == 8191)
        #expect(try GaloisTool.galoisElement(step: 5, degree: 8192) == 243)
        #expect(try GaloisTool.galoisElements(steps: [1, 2], degree: 1024) == [3, 9])
        for degree in [8, 1024, 8192] {
            let twoN = UInt64(2 * degree)
            for step in [1, 2, 7, degree / 2 - 1] where step < degree / 2 {
                let forward = try GaloisTool.galoisElement(step: step, degree: degree)
                let backward = try GaloisTool.galoisElement(step: -step, degree: degree)
                #expect((forward * backward) % twoN == 1)
            }
        }
        #expect(throws: NTTError.invalidGaloisStep(step: 4096, degree: 8192)) {
            try GaloisTool.galoisElement(step: 4096, degree: 8192)
        }
        #expect(throws: NTTError.invalidGaloisStep(step: -4096, degree: 8192)) {
            try GaloisTool.galoisElement(step: -4096, degree: 8192)
        }
        #expect(throws: NTTError.invalidDegree(12)) { try GaloisTool.galoisElement(step: 1, degree: 12) }
        #expect(throws: NTTError.invalidGaloisElement(4)) { try GaloisTool.validate(element: 4, degree: 8) }
        #expect(throws: NTTError.invalidGaloisElement(17)) { try GaloisTool.validate(element: 17, degree: 8) }
    }

    @Test func nafMatchesSEALExamples() {
        // seal-compat.md section 6.8: 3 -> [-1, +4].
        #expect(GaloisTool.naf(3) == [-1, 4])
        #expect(GaloisTool.naf(-3) == [1, -4])
        #expect(GaloisTool.naf(0) == [])
        #expect(GaloisTool.naf(8) == [8])
        for v in -300...300 { #expect(GaloisTool.naf(v).reduce(0, +) == v) }
        // Non-adjacent: no two consecutive non-zero digits.
        for v in 1...300 {
            let exponents = GaloisTool.naf(v).map { $0.magnitude.trailingZeroBitCount }
            #expect(zip(exponents, exponents.dropFirst()).allSatisfy { $1 - $0 >= 2 })
        }
    }

    /// The NTT-domain permutation equals NTT(coefficient automorphism), for every kind of element.
    @Test(arguments: [8, 64, 1024])
    func nttPermutationMatchesAutomorphism(degree: Int) throws {
        let modulus = try CoeffModulus.create(degree: degree, bitSizes: [50])[0]
        let tables = try NTTTables(degree: degree, modulus: modulus)
        var rng = SplitMix64(seed: UInt64(degree))
        let a = randomResidues(degree, below: modulus.value, using: &rng)
        var elements = try [1, 2, 3, -1, -2, 0].map { try GaloisTool.galoisElement(step: $0, degree: degree) }
        elements.append(5)
        elements.append(UInt64(2 * degree) - 3)
        for g in elements {
            // Naive X -> X^g: coefficient i goes to i·g mod 2N with a sign flip past N.
            var naive = [UInt64](repeating: 0, count: degree)
            for i in 0..<degree {
                let e = (UInt64(i) * g) % UInt64(2 * degree)
                if e < UInt64(degree) { naive[Int(e)] = a[i] } else { naive[Int(e) - degree] = modulus.negateMod(a[i]) }
            }
            var viaCoefficients = [UInt64](repeating: 0, count: degree)
            a.withUnsafeBufferPointer { input in
                viaCoefficients.withUnsafeMutableBufferPointer { output in
                    GaloisTool.applyGalois(
                        input.baseAddress!, element: g, degree: degree, modulus: modulus, into: output.baseAddress!)
                }
            }
            #expect(viaCoefficients == naive)
            try tables.forward(&naive)
            var transformed = a
            try tables.forward(&transformed)
            let permutation = GaloisTool.nttPermutation(element: g, degree: degree)
            #expect(Set(permutation).count == degree)
            var permuted = [UInt64](repeating: 0, count: degree)
            transformed.withUnsafeBufferPointer { input in
                permuted.withUnsafeMutableBufferPointer { output in
                    GaloisTool.applyGaloisNTT(input.baseAddress!, element: g, degree: degree, into: output.baseAddress!)
                }
            }
            #expect(permuted == naive, "g = \(g)")
        }
    }
}
