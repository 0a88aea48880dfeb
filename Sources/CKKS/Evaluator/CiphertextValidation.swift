import NTT

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// SEAL's metadata checks for evaluator, decryptor and encoder inputs.
///
/// As `is_metadata_valid_for` and `is_buffer_valid`: the level exists and is a data level, CKKS NTT form, and
/// sizes that agree with the level.
/// Word ranges are checked when objects are loaded, not here.
enum CiphertextValidation {
    /// The level of a valid ciphertext.
    /// - Parameters:
    ///   - ciphertext: the ciphertext.
    ///   - context: the context it should belong to.
    ///   - name: how error messages call it.
    /// - Returns: the ciphertext's level.
    /// - Throws: ``CKKSError`` naming the problem.
    static func level(of ciphertext: Ciphertext, in context: CKKSContext, name: String) throws -> ContextData {
        guard let level = context.contextData(for: ciphertext.parmsID) else {
            throw CKKSError.unknownParmsID(object: name, parmsID: ciphertext.parmsID)
        }
        guard ciphertext.parmsID != context.keyParmsID || !context.usingKeySwitching else {
            throw CKKSError.parameterMismatch("\(name) is at the key level, which holds keys only")
        }
        guard ciphertext.isNTTForm else { throw CKKSError.invalidArgument("CKKS \(name) must be in NTT form") }
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        guard (2...16).contains(ciphertext.size) else {
            throw CKKSError.invalidArgument("\(name) has size \(ciphertext.size), expected 2...16")
        }
        guard ciphertext.polyModulusDegree == n, ciphertext.coeffModulusSize == k,
            ciphertext.data.count == ciphertext.size * n * k
        else {
            throw CKKSError.sizeMismatch(
                object: name, field: "data", expected: ciphertext.size * n * k, found: ciphertext.data.count)
        }
        guard ciphertext.scale > 0, ciphertext.scale.isFinite else {
            throw CKKSError.scaleOutOfBounds(ciphertext.scale)
        }
        return level
    }

    /// The level of a valid NTT-form plaintext at a data level.
    /// - Parameters:
    ///   - plain: the plaintext.
    ///   - context: the context it should belong to.
    /// - Returns: the plaintext's level.
    /// - Throws: ``CKKSError`` naming the problem.
    static func level(of plain: Plaintext, in context: CKKSContext) throws -> ContextData {
        guard plain.isNTTForm else { throw CKKSError.invalidArgument("CKKS plaintext must be in NTT form") }
        guard let level = context.contextData(for: plain.parmsID) else {
            throw CKKSError.unknownParmsID(object: "plaintext", parmsID: plain.parmsID)
        }
        let expected = level.polyModulusDegree * level.coeffModulus.count
        guard plain.data.count == expected else {
            throw CKKSError.sizeMismatch(
                object: "plaintext", field: "coeff_count", expected: expected, found: plain.data.count)
        }
        guard plain.scale > 0, plain.scale.isFinite else { throw CKKSError.scaleOutOfBounds(plain.scale) }
        return level
    }

    /// SEAL's `is_scale_within_bounds` for CKKS: 0 < scale and `Int(log2(scale))` below the level's bit count.
    static func isScaleWithinBounds(_ scale: Double, level: ContextData) -> Bool {
        scale > 0 && scale.isNormal && Int(log2(scale)) < level.totalCoeffModulusBitCount
    }

    /// SEAL's `are_close`: |a − b| < 2^-52 · max(|a|, |b|, 1).
    static func areClose(_ a: Double, _ b: Double) -> Bool {
        (a - b).magnitude < Double.ulpOfOne * Swift.max(a.magnitude, b.magnitude, 1.0)
    }

    /// Whether every polynomial but c0 is zero (`Ciphertext::is_transparent`).
    static func isTransparent(_ ciphertext: Ciphertext) -> Bool {
        let start = ciphertext.polynomialWordCount
        return ciphertext.data.count <= start || ciphertext.data[start...].allSatisfy { $0 == 0 }
    }
}
