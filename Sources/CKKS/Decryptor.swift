import NTT

/// Decrypts CKKS ciphertexts with the secret key: m = c0 + c1·s + c2·s² + … in the NTT domain.
/// - Note: SEAL: decryptor.cpp `Decryptor::ckks_decrypt`, `dot_product_ct_sk_array`
public struct Decryptor: Sendable {
    /// The context.
    public let context: CKKSContext
    private let secretKey: SecretKey

    /// A decryptor for a secret key.
    /// - Parameters:
    ///   - context: the CKKS context.
    ///   - secretKey: a secret key at the context's key level.
    /// - Throws: ``CKKSError`` if the key does not belong to the context.
    public init(context: CKKSContext, secretKey: SecretKey) throws {
        let keyLevel = context.keyContextData
        guard secretKey.parmsID == keyLevel.parmsID,
            secretKey.data.data.count == keyLevel.polyModulusDegree * keyLevel.coeffModulus.count
        else { throw CKKSError.parameterMismatch("the secret key does not belong to the context's key level") }
        self.context = context
        self.secretKey = secretKey
    }

    /// Decrypts a ciphertext into a plaintext at its level and scale.
    /// - Parameter encrypted: an NTT-form ciphertext of size ≥ 2 at a data level.
    /// - Returns: the plaintext (NTT form).
    /// - Throws: ``CKKSError`` for a ciphertext that is not valid for the context.
    public func decrypt(_ encrypted: Ciphertext) throws -> Plaintext {
        let level = try CiphertextValidation.level(of: encrypted, in: context, name: "ciphertext")
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        var plain = Array(encrypted.data[0..<(n * k)])
        let s = secretKey.data.data
        // s^p for p ≥ 2 is only needed for ciphertexts that were not relinearized.
        var power = encrypted.size > 2 ? Array(s[0..<(n * k)]) : []
        plain.withUnsafeMutableBufferPointer { m in
            encrypted.data.withUnsafeBufferPointer { c in
                s.withUnsafeBufferPointer { sb in
                    power.withUnsafeMutableBufferPointer { w in
                        guard let mBase = m.baseAddress, let cBase = c.baseAddress, let sBase = sb.baseAddress else {
                            return
                        }
                        for p in 1..<encrypted.size {
                            var factor = UnsafePointer(sBase)
                            if p > 1, let wBase = w.baseAddress {
                                for (j, q) in level.coeffModulus.enumerated() {
                                    PolyArithmetic.multiply(
                                        wBase + j * n, sBase + j * n, into: wBase + j * n, count: n, modulus: q)
                                }
                                factor = UnsafePointer(wBase)
                            }
                            for (j, q) in level.coeffModulus.enumerated() {
                                PolyArithmetic.multiplyAdd(
                                    cBase + (p * k + j) * n, factor + j * n, into: mBase + j * n, count: n, modulus: q)
                            }
                        }
                    }
                }
            }
        }
        return Plaintext(parmsID: encrypted.parmsID, scale: encrypted.scale, data: plain)
    }
}
