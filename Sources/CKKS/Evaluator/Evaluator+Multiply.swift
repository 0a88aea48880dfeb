import NTT

extension Evaluator {
    /// The tensor product `d_t = Σ_{i+j=t} a_i ⊙ b_j` of two NTT-form ciphertexts at one level, each output word
    /// summed in 128 bits and reduced once.
    /// - Note: SEAL: evaluator.cpp `ckks_multiply`
    static func tensor(_ a: Ciphertext, _ b: Ciphertext, level: ContextData) -> [UInt64] {
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        let outSize = a.size + b.size - 1
        var out = [UInt64](repeating: 0, count: outSize * n * k)
        if a.size == 2 && b.size == 2 {
            tensor2x2(a.data, b.data, into: &out, level: level)
            return out
        }
        out.withUnsafeMutableBufferPointer { o in
            a.data.withUnsafeBufferPointer { x in
                b.data.withUnsafeBufferPointer { y in
                    guard let oBase = o.baseAddress, let xBase = x.baseAddress, let yBase = y.baseAddress else {
                        return
                    }
                    for (j, q) in level.coeffModulus.enumerated() {
                        for t in 0..<outSize {
                            let destination = oBase + (t * k + j) * n
                            let first = max(0, t - (b.size - 1))
                            let last = min(t, a.size - 1)
                            for c in 0..<n {
                                var sum = WideSum()
                                var terms = 0
                                for i in first...last {
                                    sum.add(xBase[(i * k + j) * n + c], times: yBase[((t - i) * k + j) * n + c])
                                    terms += 1
                                    // Products are below 2^122: fold after 32 so the sum never wraps.
                                    if terms == 32 {
                                        sum = WideSum(sum.reduced(q))
                                        terms = 0
                                    }
                                }
                                destination[c] = sum.reduced(q)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The common 2×2 case: (a0·b0, a0·b1 + a1·b0, a1·b1), the middle sum reduced once from 128 bits.
    private static func tensor2x2(_ a: [UInt64], _ b: [UInt64], into out: inout [UInt64], level: ContextData) {
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        let poly = n * k
        out.withUnsafeMutableBufferPointer { o in
            a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in
                    guard let d0 = o.baseAddress, let a0 = x.baseAddress, let b0 = y.baseAddress else { return }
                    let (d1, d2, a1, b1) = (d0 + poly, d0 + 2 * poly, a0 + poly, b0 + poly)
                    for (j, q) in level.coeffModulus.enumerated() {
                        for c in (j * n)..<((j + 1) * n) {
                            let (x0, x1, y0, y1) = (a0[c], a1[c], b0[c], b1[c])
                            d0[c] = q.multiplyMod(x0, y0)
                            var middle = WideSum(x0, times: y1)
                            middle.add(x1, times: y0)
                            d1[c] = middle.reduced(q)
                            d2[c] = q.multiplyMod(x1, y1)
                        }
                    }
                }
            }
        }
    }

    /// Multiplies `encrypted` by `other` in place (`multiply_inplace`).
    ///
    /// The size grows to size1 + size2 − 1 and the scale becomes the product of the scales. Relinearize and
    /// rescale afterwards.
    /// - Parameters:
    ///   - encrypted: the first operand, replaced by the product.
    ///   - other: the second operand, at the same level.
    /// - Throws: ``CKKSError`` for mismatched levels, a product scale out of bounds, a size above 16, or a
    ///   transparent result.
    public func multiplyInPlace(_ encrypted: inout Ciphertext, _ other: Ciphertext) throws {
        let level = try sameLevel(encrypted, other)
        let newScale = encrypted.scale * other.scale
        guard CiphertextValidation.isScaleWithinBounds(newScale, level: level) else {
            throw CKKSError.scaleOutOfBounds(newScale)
        }
        let newSize = encrypted.size + other.size - 1
        guard newSize <= 16 else { throw CKKSError.invalidArgument("the product would have size \(newSize) > 16") }
        encrypted.data = Self.tensor(encrypted, other, level: level)
        encrypted.size = newSize
        encrypted.scale = newScale
        try Self.checkNotTransparent(encrypted)
    }

    /// The product of two ciphertexts (`multiply`).
    /// - Parameters:
    ///   - a: the first operand.
    ///   - b: the second operand, at the same level.
    /// - Returns: a·b, of size `a.size + b.size − 1`.
    /// - Throws: as ``multiplyInPlace(_:_:)``.
    public func multiply(_ a: Ciphertext, _ b: Ciphertext) throws -> Ciphertext {
        try Self.copying(a) { try multiplyInPlace(&$0, b) }
    }

    /// Squares a ciphertext in place (`square_inplace`); equal to multiplying it by itself.
    /// - Parameter encrypted: the ciphertext.
    /// - Throws: as ``multiplyInPlace(_:_:)``.
    public func squareInPlace(_ encrypted: inout Ciphertext) throws {
        let copy = encrypted
        try multiplyInPlace(&encrypted, copy)
    }

    /// The square of a ciphertext (`square`).
    /// - Parameter encrypted: the ciphertext.
    /// - Returns: encrypted².
    /// - Throws: as ``multiplyInPlace(_:_:)``.
    public func square(_ encrypted: Ciphertext) throws -> Ciphertext {
        try Self.copying(encrypted) { try squareInPlace(&$0) }
    }

    // MARK: Plaintext operands

    /// Multiplies every polynomial of `encrypted` by a plaintext in place (`multiply_plain_inplace`); the scale
    /// becomes the product of the scales.
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - plain: an NTT-form plaintext at the same level.
    /// - Throws: ``CKKSError`` for mismatched levels, a product scale out of bounds, or a transparent result
    ///   (e.g. a zero plaintext).
    public func multiplyPlainInPlace(_ encrypted: inout Ciphertext, _ plain: Plaintext) throws {
        let level = try plainLevel(encrypted, plain)
        let newScale = encrypted.scale * plain.scale
        guard CiphertextValidation.isScaleWithinBounds(newScale, level: level) else {
            throw CKKSError.scaleOutOfBounds(newScale)
        }
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        plain.data.withUnsafeBufferPointer { p in
            guard let pBase = p.baseAddress else { return }
            Self.forEachRow(&encrypted, polys: 0..<encrypted.size, level: level) { row, offset, q in
                PolyArithmetic.multiply(row, pBase + offset % (n * k), into: row, count: n, modulus: q)
            }
        }
        encrypted.scale = newScale
        try Self.checkNotTransparent(encrypted)
    }

    /// The product of a ciphertext and a plaintext (`multiply_plain`).
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - plain: an NTT-form plaintext at the same level.
    /// - Returns: encrypted·plain.
    /// - Throws: as ``multiplyPlainInPlace(_:_:)``.
    public func multiplyPlain(_ encrypted: Ciphertext, _ plain: Plaintext) throws -> Ciphertext {
        try Self.copying(encrypted) { try multiplyPlainInPlace(&$0, plain) }
    }

    private func addOrSubtractPlain(_ encrypted: inout Ciphertext, _ plain: Plaintext, subtract: Bool) throws {
        let level = try plainLevel(encrypted, plain)
        guard CiphertextValidation.areClose(encrypted.scale, plain.scale) else {
            throw CKKSError.scaleMismatch(encrypted.scale, plain.scale)
        }
        let n = level.polyModulusDegree
        plain.data.withUnsafeBufferPointer { p in
            guard let pBase = p.baseAddress else { return }
            Self.forEachRow(&encrypted, polys: 0..<1, level: level) { row, offset, q in
                if subtract {
                    PolyArithmetic.subtract(row, pBase + offset, into: row, count: n, modulus: q)
                } else {
                    PolyArithmetic.add(row, pBase + offset, into: row, count: n, modulus: q)
                }
            }
        }
        try Self.checkNotTransparent(encrypted)
    }

    /// Adds a plaintext to `encrypted` in place (`add_plain_inplace`): c0 += plain.
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - plain: an NTT-form plaintext at the same level and scale.
    /// - Throws: ``CKKSError`` for mismatched levels or scales.
    public func addPlainInPlace(_ encrypted: inout Ciphertext, _ plain: Plaintext) throws {
        try addOrSubtractPlain(&encrypted, plain, subtract: false)
    }

    /// The sum of a ciphertext and a plaintext (`add_plain`).
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - plain: an NTT-form plaintext at the same level and scale.
    /// - Returns: encrypted + plain.
    /// - Throws: as ``addPlainInPlace(_:_:)``.
    public func addPlain(_ encrypted: Ciphertext, _ plain: Plaintext) throws -> Ciphertext {
        try Self.copying(encrypted) { try addPlainInPlace(&$0, plain) }
    }

    /// Subtracts a plaintext from `encrypted` in place (`sub_plain_inplace`): c0 −= plain.
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - plain: an NTT-form plaintext at the same level and scale.
    /// - Throws: ``CKKSError`` for mismatched levels or scales.
    public func subPlainInPlace(_ encrypted: inout Ciphertext, _ plain: Plaintext) throws {
        try addOrSubtractPlain(&encrypted, plain, subtract: true)
    }

    /// The difference of a ciphertext and a plaintext (`sub_plain`).
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - plain: an NTT-form plaintext at the same level and scale.
    /// - Returns: encrypted − plain.
    /// - Throws: as ``subPlainInPlace(_:_:)``.
    public func subPlain(_ encrypted: Ciphertext, _ plain: Plaintext) throws -> Ciphertext {
        try Self.copying(encrypted) { try subPlainInPlace(&$0, plain) }
    }
}
