import NTT

extension Evaluator {
    /// Applies the Galois automorphism X → X^g to a size-2 ciphertext and switches back to the original key
    /// (`apply_galois_inplace`): (π(c0) + ks0, ks1) with (ks0, ks1) the key switch of π(c1).
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - element: an odd Galois element below 2N.
    ///   - galoisKeys: Galois keys holding a key for `element`.
    /// - Throws: ``CKKSError/missingGaloisKey(step:element:)`` without the key; ``CKKSError`` for an invalid
    ///   element or ciphertext, or a transparent result.
    public func applyGaloisInPlace(_ encrypted: inout Ciphertext, element: UInt64, galoisKeys: GaloisKeys) throws {
        try applyGalois(&encrypted, element: element, step: nil, galoisKeys: galoisKeys)
    }

    /// The Galois automorphism of a ciphertext (`apply_galois`).
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - element: an odd Galois element below 2N.
    ///   - galoisKeys: Galois keys holding a key for `element`.
    /// - Returns: the transformed ciphertext.
    /// - Throws: as ``applyGaloisInPlace(_:element:galoisKeys:)``.
    public func applyGalois(_ encrypted: Ciphertext, element: UInt64, galoisKeys: GaloisKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try applyGaloisInPlace(&$0, element: element, galoisKeys: galoisKeys) }
    }

    private func applyGalois(
        _ encrypted: inout Ciphertext, element: UInt64, step: Int?, galoisKeys: GaloisKeys
    ) throws {
        let level = try level(encrypted, "encrypted")
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        guard encrypted.size == 2 else {
            throw CKKSError.invalidArgument("encrypted size must be 2 for a Galois automorphism, not \(encrypted.size)")
        }
        guard element & 1 == 1, element < UInt64(2 * n) else {
            throw CKKSError.invalidArgument("Galois element \(element) must be odd and below 2N = \(2 * n)")
        }
        guard galoisKeys.hasKey(galoisElement: element) else {
            throw CKKSError.missingGaloisKey(step: step, element: element)
        }
        let permutation = GaloisTool.nttPermutation(element: element, degree: n)
        var target = [UInt64](repeating: 0, count: n * k)
        var rotated0 = [UInt64](repeating: 0, count: n * k)
        encrypted.data.withUnsafeMutableBufferPointer { buffer in
            target.withUnsafeMutableBufferPointer { t in
                rotated0.withUnsafeMutableBufferPointer { r in
                    guard let base = buffer.baseAddress, let tBase = t.baseAddress, let rBase = r.baseAddress else {
                        return
                    }
                    for j in 0..<k {
                        GaloisTool.applyGaloisNTT(base + j * n, permutation: permutation, into: rBase + j * n)
                        GaloisTool.applyGaloisNTT(base + (k + j) * n, permutation: permutation, into: tBase + j * n)
                    }
                    base.update(from: rBase, count: n * k)
                    (base + n * k).update(repeating: 0, count: n * k)
                }
            }
        }
        try target.withUnsafeBufferPointer { t in
            guard let tBase = t.baseAddress else { return }
            try switchKeyInPlace(
                &encrypted, target: tBase, keys: galoisKeys.keys, index: Int((element - 1) >> 1), level: level)
        }
        try Self.checkNotTransparent(encrypted)
    }

    /// Rotates the slots of a ciphertext in place (`rotate_vector_inplace`).
    ///
    /// A positive `steps` moves slot i + steps to slot i. Without a key for the step itself, the rotation is composed
    /// from the non-adjacent form of `steps`, in SEAL's order (which fixes the output words).
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - steps: |steps| < N/2.
    ///   - galoisKeys: Galois keys for `steps` or for every term of its NAF.
    /// - Throws: ``CKKSError/missingGaloisKey(step:element:)`` if a needed key is absent; ``CKKSError`` for a step out
    ///   of range.
    public func rotateVectorInPlace(_ encrypted: inout Ciphertext, steps: Int, galoisKeys: GaloisKeys) throws {
        if steps == 0 { return }
        let n = context.parameters.polyModulusDegree
        let element: UInt64
        do { element = try GaloisTool.galoisElement(step: steps, degree: n) } catch {
            throw CKKSError.invalidArgument("rotation step \(steps) is out of range for N = \(n) (|step| < \(n / 2))")
        }
        if galoisKeys.hasKey(galoisElement: element) {
            try applyGalois(&encrypted, element: element, step: steps, galoisKeys: galoisKeys)
            return
        }
        let terms = GaloisTool.naf(steps)
        guard terms.count > 1 else { throw CKKSError.missingGaloisKey(step: steps, element: element) }
        for term in terms where term.magnitude != UInt(n / 2) {
            try rotateVectorInPlace(&encrypted, steps: term, galoisKeys: galoisKeys)
        }
    }

    /// The rotated ciphertext (`rotate_vector`).
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - steps: |steps| < N/2; positive rotates left.
    ///   - galoisKeys: Galois keys for the step or its NAF terms.
    /// - Returns: the rotated ciphertext.
    /// - Throws: as ``rotateVectorInPlace(_:steps:galoisKeys:)``.
    public func rotateVector(_ encrypted: Ciphertext, steps: Int, galoisKeys: GaloisKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try rotateVectorInPlace(&$0, steps: steps, galoisKeys: galoisKeys) }
    }

    /// Conjugates every slot in place (`complex_conjugate_inplace`): the automorphism X → X^(2N−1).
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - galoisKeys: Galois keys holding the conjugation key (step 0).
    /// - Throws: ``CKKSError/missingGaloisKey(step:element:)`` without the key.
    public func complexConjugateInPlace(_ encrypted: inout Ciphertext, galoisKeys: GaloisKeys) throws {
        let element = GaloisTool.conjugateElement(degree: context.parameters.polyModulusDegree)
        try applyGalois(&encrypted, element: element, step: 0, galoisKeys: galoisKeys)
    }

    /// The slot-wise complex conjugate (`complex_conjugate`).
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - galoisKeys: Galois keys holding the conjugation key.
    /// - Returns: the conjugated ciphertext.
    /// - Throws: as ``complexConjugateInPlace(_:galoisKeys:)``.
    public func complexConjugate(_ encrypted: Ciphertext, galoisKeys: GaloisKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try complexConjugateInPlace(&$0, galoisKeys: galoisKeys) }
    }
}
