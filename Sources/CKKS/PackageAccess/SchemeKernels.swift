import NTT

/// Package-level entry points into the scheme's word-array kernels, for the `PrivateInference` target.
///
/// The encrypted-inference engine keeps ciphertexts as flat NTT-form word arrays and does its own lazy
/// multiply-accumulate; it reuses this module's encoder, RLWE encryptions of zero and key-switching kernel
/// rather than re-implementing them. Nothing here is public API.
package enum SchemeKernels {
    /// One level of the modulus chain prepared for encoding and decoding.
    package struct Level: Sendable {
        let encoding: EncodingLevel
        let fft: EncoderFFT

        /// Prepares the encoder for the primes `moduli` (with their NTT `tables`) at degree `degree`.
        package init(moduli: [Modulus], tables: [NTTTables], degree: Int) {
            encoding = EncodingLevel(moduli: moduli, tables: tables)
            fft = EncoderFFT(degree: degree)
        }

        /// The level's primes.
        package var moduli: [Modulus] { encoding.moduli }

        /// Encodes real slot values (at most N/2; missing slots are zero) at `scale` into NTT-form words.
        /// - Throws: `CKKSError` for too many values, non-finite values or a scale/value too large.
        package func encode(_ values: [Double], scale: Double) throws -> [UInt64] {
            let complex = values.map { Complex64($0, 0) }
            return try complex.withUnsafeBufferPointer { try fft.encodeWords($0, scale: scale, level: encoding) }
        }

        /// Decodes NTT-form words at `scale` into the real parts of the N/2 slots.
        package func decode(_ words: [UInt64], scale: Double) -> [Double] {
            fft.decodeWords(words, scale: scale, level: encoding).map(\.real)
        }
    }

    /// An integral double reduced modulo `modulus` (negative values map to q − |v| mod q), exact for any
    /// magnitude.
    package static func reduce(_ value: Double, modulus: Modulus) -> UInt64 {
        CoefficientReduction.reduce(value, modulus: modulus)
    }

    /// A symmetric encryption of zero (NTT form, c0 rows then c1 rows) and the public seed of its `c1`.
    /// - Note: SEAL: util/rlwe.cpp `encrypt_zero_symmetric`
    package static func encryptZeroSymmetric(
        secret: UnsafePointer<UInt64>, moduli: [Modulus], tables: [NTTTables], degree: Int,
        factory: UniformRandomGeneratorFactory = .default
    ) -> (words: [UInt64], seed: PRNGSeed) {
        RLWE.encryptZeroSymmetric(secret: secret, moduli: moduli, tables: tables, degree: degree, factory: factory)
    }

    /// A public-key encryption of zero over `keyModuli` (the key level), divided down by the special prime
    /// so that the result lies over `keyModuli.dropLast()` (the first data level).
    /// - Note: SEAL: util/rlwe.cpp `encrypt_zero_asymmetric`
    package static func encryptZeroAsymmetric(
        publicKey: UnsafePointer<UInt64>, keyModuli: [Modulus], keyTables: [NTTTables], degree: Int,
        factory: UniformRandomGeneratorFactory = .default
    ) -> [UInt64] {
        RLWE.encryptZeroAsymmetric(
            publicKey: publicKey, publicKeyRows: keyModuli.count, moduli: keyModuli, tables: keyTables,
            degree: degree, modDown: DivideAndRoundLast(moduli: keyModuli, tables: keyTables), factory: factory)
    }

    /// SEAL's hybrid key switching, prepared once for a key level.
    package struct KeySwitcher: Sendable {
        let kernel: KeySwitchKernel

        /// Prepares the mod-down constants for every data level of `keyModuli` (last prime = P).
        package init(keyModuli: [Modulus], keyTables: [NTTTables]) {
            kernel = KeySwitchKernel(keyModuli: keyModuli, keyTables: keyTables)
        }

        /// Adds the key-switched `target` (ℓ NTT rows) into `c0` and `c1` (ℓ rows each).
        /// - Parameters:
        ///   - keys: ℓ key ciphertexts, each two polynomials of K rows.
        package func apply(
            target: UnsafePointer<UInt64>, level: Int, degree: Int, keys: [UnsafePointer<UInt64>],
            c0: UnsafeMutablePointer<UInt64>, c1: UnsafeMutablePointer<UInt64>
        ) {
            kernel.apply(target: target, level: level, degree: degree, keys: keys, c0: c0, c1: c1)
        }
    }
}
