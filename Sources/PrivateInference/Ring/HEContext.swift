import CKKS
import NTT

/// One CKKS parameter set prepared for the inference engine: SEAL's context, encoder and evaluator, plus the
/// primes and NTT tables the engine's own multiply-accumulate kernel needs.
///
/// Levels are named by their prime count k: a ciphertext "at k primes" lives modulo q_0 ⋯ q_{k-1}. The key level
/// has K = `keyModuli.count` primes (the data primes followed by the special prime P).
package final class HEContext: Sendable {
    /// SEAL's context (key level and the whole modulus chain).
    package let ckks: CKKSContext
    /// The encoder.
    let encoder: CKKSEncoder
    /// The evaluator (relinearization, rescale, mod-switch, additions), bit-exact with SEAL.
    package let evaluator: Evaluator
    /// N.
    package let degree: Int
    /// q_0 ⋯ q_{K-2}, P.
    let keyModuli: [Modulus]
    /// Their NTT tables.
    let keyTables: [NTTTables]
    /// `parmsIDs[k]`: SEAL's parms_id of the level with k primes (k = K is the key level).
    package let parmsIDs: [ParmsID]

    /// Validates the parameters (SEAL's checks, including the security bound) and prepares every level.
    /// - Parameters:
    ///   - parameters: degree and primes (the last is the special prime).
    ///   - securityLevel: `.none` only for toy parameters in tests.
    /// - Throws: `CKKSError.invalidParameters` for unusable or insecure parameters.
    package init(parameters: EncryptionParameters, securityLevel: SecurityLevel = .tc128) throws {
        let context = try CKKSContext(parameters, securityLevel: securityLevel)
        let bigK = parameters.coeffModulus.count
        guard bigK >= PipelineLevels.conv1Primes + 1 else {
            throw CKKSError.invalidParameters(
                "the pipeline needs \(PipelineLevels.conv1Primes) data primes and a special prime, got \(bigK) primes")
        }
        ckks = context
        encoder = CKKSEncoder(context: context)
        evaluator = Evaluator(context: context)
        degree = parameters.polyModulusDegree
        keyModuli = parameters.coeffModulus
        keyTables = context.keyContextData.nttTables
        var ids = [ParmsID](repeating: .zero, count: bigK + 1)
        for data in context.chain { ids[data.coeffModulus.count] = data.parmsID }
        parmsIDs = ids
    }

    /// The key-level parameters.
    package var parameters: EncryptionParameters { ckks.parameters }

    /// The primes of the level with k primes.
    package func moduli(_ k: Int) -> [Modulus] { Array(keyModuli.prefix(k)) }

    /// q_i as a Double.
    func prime(_ i: Int) -> Double { Double(keyModuli[i].value) }

    /// An all-zero ciphertext of `size` polynomials at k primes and `scale`.
    func zeroCiphertext(size: Int, primes k: Int, scale: Double) -> Ciphertext {
        Ciphertext(
            unchecked: parmsIDs[k], size: size, polyModulusDegree: degree, coeffModulusSize: k, scale: scale,
            data: [UInt64](repeating: 0, count: size * k * degree))
    }

    /// The words of real slot values encoded at `scale` on k primes (NTT form).
    package func encodeWords(_ values: [Double], scale: Double, primes k: Int) throws -> [UInt64] {
        try encoder.encode(values, scale: scale, parmsID: parmsIDs[k]).data
    }

    /// Real slot values encoded at `scale` on k primes (NTT form), straight into a new buffer.
    func encodeBuffer(_ values: [Double], scale: Double, primes k: Int) throws -> WordBuffer {
        let buffer = WordBuffer(uninitializedCount: k * degree)
        try values.withUnsafeBufferPointer { v in
            try encoder.encode(
                v, scale: scale, parmsID: parmsIDs[k],
                into: UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count))
        }
        return buffer
    }

    /// X^(N/2) in NTT form at k primes.
    ///
    /// At every slot root ζ it is ζ^(N/2) = ±i (SEAL's slots follow the powers of 3 modulo 2N, so the sign alternates:
    /// ``pairingUnit``), and multiplying a ciphertext by it multiplies slot j's value by that unit exactly (a
    /// negacyclic shift of the coefficients: no rounding, no noise growth, no key).
    func imaginaryUnit(primes k: Int) -> WordBuffer {
        let n = degree
        let buffer = WordBuffer(count: k * n)
        for j in 0..<k {
            buffer.pointer[j * n + n / 2] = 1
            keyTables[j].forward(buffer.pointer + j * n)
        }
        return buffer
    }

    /// The sign of X^(N/2)'s value i·σ_j at each slot j (σ_j = ±1), read back through the decoder.
    ///
    /// Pairs of values are put in one slot as v + i·σ_j·w, and paired weights are encrypted as a − i·σ_j·b, whose
    /// product has real part a·v + b·w in every slot.
    func pairingUnit() throws -> [Double] {
        let k = 1
        let unit = imaginaryUnit(primes: k)
        let slots = try encoder.decodeComplex(Plaintext(parmsID: parmsIDs[k], scale: 1, data: unit.array))
        return try slots.map { z in
            guard abs(abs(z.imaginary) - 1) < 1e-6, abs(z.real) < 1e-6 else {
                throw InferenceError.invalidArgument("internal: X^(N/2) does not decode to ±i")
            }
            return z.imaginary < 0 ? -1 : 1
        }
    }

    /// Encodes `count` complex slot values (slot i = `value(i)`) at k primes into a new word buffer.
    func encodeComplexBuffer(count: Int, value: (Int) -> Complex64, scale: Double, primes k: Int) throws -> WordBuffer {
        let buffer = WordBuffer(uninitializedCount: k * degree)
        try encoder.encode(
            count: count, value: value, scale: scale, parmsID: parmsIDs[k],
            into: UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count))
        return buffer
    }

    /// Decodes a coefficient-form plaintext polynomial at k primes and `scale` into the real slot values.
    func decodeCoefficients(_ coefficients: [UInt64], primes k: Int, scale: Double) throws -> [Double] {
        var words = coefficients
        let n = degree
        words.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for j in 0..<k { keyTables[j].forward(base + j * n) }
        }
        return try encoder.decode(Plaintext(parmsID: parmsIDs[k], scale: scale, data: words))
    }
}

extension HEContext {
    /// An unrelinearized square kept in ``EvaluationForm`` (conv2's primes) as a ciphertext the owner may decrypt:
    /// relinearized — the owner made every weight's random part, so a square's s² component would expose the image
    /// — and switched down to the decryption level.
    func decryptableSquare(_ evaluationWords: WordBuffer, scale: Double, relinKeys: RelinKeys) throws -> Ciphertext {
        let k2 = PipelineLevels.conv2Primes
        let words = EvaluationForm.coefficients(
            ofInput: evaluationWords, primes: k2, degree: degree, moduli: moduli(k2))
        var ct = ciphertext(words, size: 3, primes: k2, scale: scale)
        try evaluator.relinearizeInPlace(&ct, relinKeys: relinKeys)
        while ct.coeffModulusSize > PipelineLevels.finalPrimes {
            try evaluator.modSwitchToNextInPlace(&ct)
        }
        return ct
    }
}
