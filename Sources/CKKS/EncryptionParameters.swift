import NTT

/// CKKS encryption parameters: the ring degree N and the coefficient-modulus primes, with the `parms_id`
/// that names them.
///
/// A value: changing nothing after creation keeps `parmsID` in step with the fields. The plain modulus, which
/// CKKS does not use, is SEAL's unset `Modulus(0)`; the random generator is not part of the parameters here
/// (it is injected where randomness is used).
/// - Note: SEAL: encryptionparams.h/.cpp `EncryptionParameters`.
public struct EncryptionParameters: Sendable, Hashable {
    /// SEAL's scheme byte for CKKS (`scheme_type::ckks`).
    public static let ckksSchemeByte: UInt8 = 2

    /// The ring degree N (`poly_modulus_degree`).
    public let polyModulusDegree: Int
    /// The primes q_0, …, q_{k-1}; at the key level the last one is the special prime.
    public let coeffModulus: [Modulus]
    /// BLAKE2b-256 of `[scheme, N, q_0, ..., q_{k-1}, plain modulus 0]` as little-endian words.
    public let parmsID: ParmsID

    /// Parameters from explicit primes.
    /// - Parameters:
    ///   - polyModulusDegree: N, a power of two in 2...131072.
    ///   - coeffModulus: 1...256 moduli (primality, NTT-friendliness and security are checked by
    ///     ``CKKSContext``, as SEAL's `SEALContext` does).
    /// - Throws: ``CKKSError/invalidParameters(_:)`` for a bad degree or modulus count.
    public init(polyModulusDegree: Int, coeffModulus: [Modulus]) throws {
        guard CoeffModulus.degreeRange.contains(polyModulusDegree), UInt64(polyModulusDegree).isPowerOfTwo else {
            throw CKKSError.invalidParameters("degree \(polyModulusDegree) is not a power of two in 2...131072")
        }
        guard (1...CoeffModulus.maxModulusCount).contains(coeffModulus.count) else {
            throw CKKSError.invalidParameters("\(coeffModulus.count) coefficient moduli, expected 1...256")
        }
        self.polyModulusDegree = polyModulusDegree
        self.coeffModulus = coeffModulus
        parmsID = Self.computeParmsID(degree: polyModulusDegree, moduli: coeffModulus.map(\.value))
    }

    /// Parameters whose primes SEAL's `CoeffModulus::Create(N, bitSizes)` would choose.
    /// - Parameters:
    ///   - polyModulusDegree: N, a power of two in 2...131072.
    ///   - bitSizes: one size in 2...60 per prime.
    /// - Throws: ``CKKSError/invalidParameters(_:)`` naming the problem (bad degree, bit size out of range,
    ///   not enough primes of a size).
    public init(polyModulusDegree: Int, bitSizes: [Int]) throws {
        let primes: [Modulus]
        do {
            primes = try CoeffModulus.create(degree: polyModulusDegree, bitSizes: bitSizes)
        } catch let error as NTTError {
            throw CKKSError.invalidParameters(error.description)
        }
        try self.init(polyModulusDegree: polyModulusDegree, coeffModulus: primes)
    }

    /// The parameters of the next level down: the same degree with the last prime dropped, or `nil` for a single
    /// prime.
    public var droppingLastModulus: EncryptionParameters? {
        guard coeffModulus.count > 1 else { return nil }
        return try? EncryptionParameters(polyModulusDegree: polyModulusDegree, coeffModulus: coeffModulus.dropLast())
    }

    /// `compute_parms_id`: unkeyed BLAKE2b with a 32-byte digest over the words
    /// `[scheme, N, q_0, ..., q_{k-1}, 0]`, read back as four little-endian words.
    static func computeParmsID(degree: Int, moduli: [UInt64]) -> ParmsID {
        var writer = ByteWriter(capacity: 8 * (moduli.count + 3))
        writer.write(UInt64(ckksSchemeByte))
        writer.write(UInt64(degree))
        writer.write(words: moduli)
        writer.write(UInt64(0))  // CKKS plain modulus: Modulus(0), one word
        // Digest length 32 is always valid.
        let digest = (try? Blake2b.hash(writer.bytes, digestByteCount: 32)) ?? []
        var reader = ByteReader(digest, object: "parms_id")
        return ParmsID(unchecked: (try? reader.readWords(4)) ?? [0, 0, 0, 0])
    }
}
