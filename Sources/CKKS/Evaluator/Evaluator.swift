import NTT

/// Homomorphic operations on CKKS ciphertexts, producing the same words as SEAL's `Evaluator`.
///
/// Operations come in pairs: `xInPlace(&ct, …)` and `x(ct, …) -> Ciphertext`. Inputs must be NTT-form ciphertexts
/// of this context at a data level; binary operations need equal levels (and, for additions, equal scales).
/// Like SEAL built with `SEAL_THROW_ON_TRANSPARENT_CIPHERTEXT`, operations refuse to return a transparent result.
/// - Note: SEAL: evaluator.cpp `Evaluator`
public final class Evaluator: Sendable {
    /// The context.
    public let context: CKKSContext
    /// Key switching over the key level (nil when the context has a single prime).
    let keySwitch: KeySwitchKernel?

    /// An evaluator for a context.
    /// - Parameter context: the CKKS context.
    public init(context: CKKSContext) {
        self.context = context
        keySwitch = context.usingKeySwitching ? KeySwitchKernel(keyLevel: context.keyContextData) : nil
    }

    // MARK: Checks shared by the operations

    func level(_ ciphertext: Ciphertext, _ name: String = "ciphertext") throws -> ContextData {
        try CiphertextValidation.level(of: ciphertext, in: context, name: name)
    }

    func sameLevel(_ a: Ciphertext, _ b: Ciphertext) throws -> ContextData {
        let level = try level(a, "encrypted1")
        _ = try self.level(b, "encrypted2")
        guard a.parmsID == b.parmsID else {
            throw CKKSError.parameterMismatch("encrypted1 and encrypted2 are at different levels")
        }
        return level
    }

    func plainLevel(_ encrypted: Ciphertext, _ plain: Plaintext) throws -> ContextData {
        let level = try level(encrypted, "encrypted")
        _ = try CiphertextValidation.level(of: plain, in: context)
        guard encrypted.parmsID == plain.parmsID else {
            throw CKKSError.parameterMismatch("encrypted and plain are at different levels")
        }
        return level
    }

    /// A copy of `value` changed by `body`: the out-of-place form of every in-place operation.
    static func copying<T>(_ value: T, _ body: (inout T) throws -> Void) rethrows -> T {
        var result = value
        try body(&result)
        return result
    }

    static func checkNotTransparent(_ ciphertext: Ciphertext) throws {
        if CiphertextValidation.isTransparent(ciphertext) { throw CKKSError.transparentResult }
    }

    /// Applies `body(row, offset, modulus)` to every row of polynomials `polys` of `ciphertext`; `offset` is the
    /// row's word offset in the data (the same offset addresses the matching row of another operand).
    static func forEachRow(
        _ ciphertext: inout Ciphertext, polys: Range<Int>, level: ContextData,
        _ body: (UnsafeMutablePointer<UInt64>, Int, Modulus) -> Void
    ) {
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        ciphertext.data.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for p in polys {
                for (j, q) in level.coeffModulus.enumerated() {
                    let offset = (p * k + j) * n
                    body(base + offset, offset, q)
                }
            }
        }
    }

    // MARK: negate, add, sub

    /// Negates a ciphertext in place (`negate_inplace`).
    /// - Parameter encrypted: the ciphertext.
    /// - Throws: ``CKKSError`` for an invalid ciphertext or a transparent result.
    public func negateInPlace(_ encrypted: inout Ciphertext) throws {
        let level = try level(encrypted, "encrypted")
        let n = level.polyModulusDegree
        Self.forEachRow(&encrypted, polys: 0..<encrypted.size, level: level) { row, _, q in
            PolyArithmetic.negate(row, into: row, count: n, modulus: q)
        }
        try Self.checkNotTransparent(encrypted)
    }

    /// The negation of a ciphertext (`negate`).
    /// - Parameter encrypted: the ciphertext.
    /// - Returns: −encrypted.
    /// - Throws: as ``negateInPlace(_:)``.
    public func negate(_ encrypted: Ciphertext) throws -> Ciphertext {
        try Self.copying(encrypted) { try negateInPlace(&$0) }
    }

    /// Adds or subtracts `other` into `encrypted` polynomial by polynomial; extra polynomials of `other` are copied
    /// (negated when subtracting), extra ones of `encrypted` kept.
    private func addOrSubtract(_ encrypted: inout Ciphertext, _ other: Ciphertext, subtract: Bool) throws {
        let level = try sameLevel(encrypted, other)
        guard CiphertextValidation.areClose(encrypted.scale, other.scale) else {
            throw CKKSError.scaleMismatch(encrypted.scale, other.scale)
        }
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        if other.size > encrypted.size {
            encrypted.data.append(contentsOf: repeatElement(0, count: (other.size - encrypted.size) * n * k))
            encrypted.size = other.size
        }
        other.data.withUnsafeBufferPointer { source in
            guard let sourceBase = source.baseAddress else { return }
            Self.forEachRow(&encrypted, polys: 0..<other.size, level: level) { row, offset, q in
                if subtract {
                    PolyArithmetic.subtract(row, sourceBase + offset, into: row, count: n, modulus: q)
                } else {
                    PolyArithmetic.add(row, sourceBase + offset, into: row, count: n, modulus: q)
                }
            }
        }
        try Self.checkNotTransparent(encrypted)
    }

    /// Adds `other` to `encrypted` in place (`add_inplace`).
    /// - Parameters:
    ///   - encrypted: the first operand, replaced by the sum.
    ///   - other: the second operand, at the same level and scale.
    /// - Throws: ``CKKSError`` for mismatched levels or scales, invalid inputs, or a transparent result.
    public func addInPlace(_ encrypted: inout Ciphertext, _ other: Ciphertext) throws {
        try addOrSubtract(&encrypted, other, subtract: false)
    }

    /// The sum of two ciphertexts (`add`).
    /// - Parameters:
    ///   - a: the first operand.
    ///   - b: the second operand, at the same level and scale.
    /// - Returns: a + b.
    /// - Throws: as ``addInPlace(_:_:)``.
    public func add(_ a: Ciphertext, _ b: Ciphertext) throws -> Ciphertext {
        try Self.copying(a) { try addInPlace(&$0, b) }
    }

    /// Subtracts `other` from `encrypted` in place (`sub_inplace`).
    /// - Parameters:
    ///   - encrypted: the first operand, replaced by the difference.
    ///   - other: the second operand, at the same level and scale.
    /// - Throws: ``CKKSError`` for mismatched levels or scales, invalid inputs, or a transparent result.
    public func subInPlace(_ encrypted: inout Ciphertext, _ other: Ciphertext) throws {
        try addOrSubtract(&encrypted, other, subtract: true)
    }

    /// The difference of two ciphertexts (`sub`).
    /// - Parameters:
    ///   - a: the first operand.
    ///   - b: the second operand, at the same level and scale.
    /// - Returns: a − b.
    /// - Throws: as ``subInPlace(_:_:)``.
    public func sub(_ a: Ciphertext, _ b: Ciphertext) throws -> Ciphertext {
        try Self.copying(a) { try subInPlace(&$0, b) }
    }
}
