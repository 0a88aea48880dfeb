import NTT

extension Evaluator {
    /// Rotates one ciphertext by several steps at once, sharing one key-switching decomposition among them
    /// (hoisting); each result has exactly the words of ``rotateVector(_:steps:galoisKeys:)`` for its step, and
    /// so of SEAL's `rotate_vector`.
    ///
    /// The inverse NTT and the NTTs that lift c1 into every key prime are done once, not once per step, and the
    /// key switches of different steps run on different cores (SEAL is single-threaded). A single distinct step
    /// is rotated by ``rotateVector(_:steps:galoisKeys:)``'s own key switch, which is faster when nothing is
    /// shared. A step without a key of its own is rotated as SEAL does, by the terms of its non-adjacent form in
    /// order; only its first term is hoisted.
    /// A step of 0 returns the ciphertext unchanged, as ``rotateVector(_:steps:galoisKeys:)`` does.
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - steps: rotation steps, each with |step| < N/2; positive rotates left. Repeats are allowed.
    ///   - galoisKeys: Galois keys for every step (or for every term of its non-adjacent form).
    /// - Returns: one ciphertext per step, in the order of `steps`.
    /// - Throws: ``CKKSError/missingGaloisKey(step:element:)`` for the first step (or term) without a key, before
    ///   any work; ``CKKSError/invalidArgument(_:)`` for a step out of range or a ciphertext of size other than 2;
    ///   ``CKKSError`` for a ciphertext or keys of another context, or a transparent result.
    public func rotateVectorHoisted(_ encrypted: Ciphertext, steps: [Int], galoisKeys: GaloisKeys) throws
        -> [Ciphertext]
    {
        let n = context.parameters.polyModulusDegree
        // How each step's result is made: nothing to do, one hoisted element, or a hoisted first NAF term
        // followed by SEAL's rotations by the remaining terms.
        enum Plan {
            case identity
            case hoisted(UInt64)
            case composed(first: UInt64, rest: [Int])
        }
        var plans: [Plan] = []
        for step in steps {
            if step == 0 {
                plans.append(.identity)
                continue
            }
            let element = try rotationElement(step: step, degree: n)
            if galoisKeys.hasKey(galoisElement: element) {
                plans.append(.hoisted(element))
                continue
            }
            // SEAL's rotate_internal: the NAF terms in order, skipping a term of N/2 (no rotation).
            let terms = GaloisTool.naf(step).filter { $0.magnitude != UInt(n / 2) }
            guard GaloisTool.naf(step).count > 1, let first = terms.first else {
                throw CKKSError.missingGaloisKey(step: step, element: element)
            }
            for term in terms {
                let termElement = try rotationElement(step: term, degree: n)
                guard galoisKeys.hasKey(galoisElement: termElement) else {
                    throw CKKSError.missingGaloisKey(step: term, element: termElement)
                }
            }
            plans.append(.composed(first: try rotationElement(step: first, degree: n), rest: Array(terms.dropFirst())))
        }
        var elements: [UInt64] = []
        for plan in plans {
            switch plan {
            case .identity: continue
            case .hoisted(let element), .composed(let element, _): elements.append(element)
            }
        }
        let rotated = try galoisHoisted(encrypted, elements: elements, galoisKeys: galoisKeys)
        return try plans.map { plan in
            switch plan {
            case .identity: return encrypted
            case .hoisted(let element): return rotated[element] ?? encrypted
            case .composed(let first, let rest):
                var result = rotated[first] ?? encrypted
                for term in rest { try rotateVectorInPlace(&result, steps: term, galoisKeys: galoisKeys) }
                return result
            }
        }
    }

    /// Applies several Galois automorphisms to one ciphertext, sharing one key-switching decomposition among
    /// them; each result has exactly the words of ``applyGalois(_:element:galoisKeys:)`` (SEAL's `apply_galois`).
    ///
    /// Use it for rotations given as elements, or to hoist complex conjugation (element 2N − 1) with rotations.
    /// - Parameters:
    ///   - encrypted: a size-2 ciphertext.
    ///   - elements: odd Galois elements below 2N. Repeats are allowed.
    ///   - galoisKeys: Galois keys holding a key for every element.
    /// - Returns: one ciphertext per element, in the order of `elements`.
    /// - Throws: ``CKKSError/missingGaloisKey(step:element:)`` (with a nil step) for the first element without a
    ///   key, before any work; ``CKKSError/invalidArgument(_:)`` for an invalid element or a ciphertext of size
    ///   other than 2; ``CKKSError`` for a ciphertext or keys of another context, or a transparent result.
    public func applyGaloisHoisted(_ encrypted: Ciphertext, elements: [UInt64], galoisKeys: GaloisKeys) throws
        -> [Ciphertext]
    {
        let rotated = try galoisHoisted(encrypted, elements: elements, galoisKeys: galoisKeys)
        return elements.map { rotated[$0] ?? encrypted }
    }

    /// The Galois element of a nonzero rotation step, or ``CKKSError/invalidArgument(_:)`` as
    /// ``rotateVectorInPlace(_:steps:galoisKeys:)`` reports a step out of range.
    private func rotationElement(step: Int, degree n: Int) throws -> UInt64 {
        do { return try GaloisTool.galoisElement(step: step, degree: n) } catch {
            throw CKKSError.invalidArgument("rotation step \(step) is out of range for N = \(n) (|step| < \(n / 2))")
        }
    }

    /// The automorphisms of `encrypted` by the distinct `elements`, keyed by element, after checking everything.
    private func galoisHoisted(
        _ encrypted: Ciphertext, elements: [UInt64], galoisKeys: GaloisKeys
    ) throws -> [UInt64: Ciphertext] {
        let level = try level(encrypted, "encrypted")
        let n = level.polyModulusDegree
        let l = level.coeffModulus.count
        guard encrypted.size == 2 else {
            throw CKKSError.invalidArgument("encrypted size must be 2 for a Galois automorphism, not \(encrypted.size)")
        }
        var distinct: [UInt64] = []
        for element in elements where !distinct.contains(element) {
            guard element & 1 == 1, element < UInt64(2 * n) else {
                throw CKKSError.invalidArgument("Galois element \(element) must be odd and below 2N = \(2 * n)")
            }
            guard galoisKeys.hasKey(galoisElement: element) else {
                throw CKKSError.missingGaloisKey(step: nil, element: element)
            }
            distinct.append(element)
        }
        guard !distinct.isEmpty else { return [:] }
        if distinct.count == 1 {
            // Nothing to share: the single key switch (lazy digits, no V, no gathers) is faster than the hoisted one
            // on this machine at N = 8192 and 16384 even with two cores (BENCHMARKS.md), and has the same words.
            return [distinct[0]: try applyGalois(encrypted, element: distinct[0], galoisKeys: galoisKeys)]
        }
        var words: [[UInt64]] = []
        try withKeySwitch(keys: galoisKeys.keys, indices: distinct.map(GaloisTool.index(ofElement:)), level: level) {
            kernel, keys in
            encrypted.data.withUnsafeBufferPointer { input in
                guard let c0 = input.baseAddress else { return }
                words = kernel.applyGaloisHoisted(
                    c0: c0, c1: c0 + l * n, level: l, degree: n, elements: distinct, keys: keys)
            }
        }
        // The checks above leave no way for the kernel not to run; this keeps a broken invariant from trapping.
        guard words.count == distinct.count else {
            throw CKKSError.invalidArgument("the key switch produced no result")
        }
        var results: [UInt64: Ciphertext] = [:]
        for (t, element) in distinct.enumerated() {
            var result = encrypted
            result.data = words[t]
            try Self.checkNotTransparent(result)
            results[element] = result
        }
        return results
    }
}
