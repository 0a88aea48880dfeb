import NTT

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The encoder's arithmetic on bare word arrays of one level, independent of the container types.
/// - Note: SEAL: ckks.cpp `encode_internal`, `decode_internal`
extension EncoderFFT {
    /// Encodes up to N/2 complex slot values at `scale` into `k·N` words in NTT form (prime-major).
    /// - Parameters:
    ///   - values: at most N/2 finite values; missing slots are zero.
    ///   - scale: a positive scale with `Int(log2(scale)) + 1` below the level's modulus bit count.
    ///   - level: the target level.
    /// - Returns: the plaintext words, `[j*N + i]` = NTT slot i mod q_j.
    /// - Throws: ``CKKSError`` for too many values, a non-finite value, a scale out of bounds, or values too large.
    func encodeWords(_ values: UnsafeBufferPointer<Complex64>, scale: Double, level: EncodingLevel) throws -> [UInt64] {
        var words = [UInt64](repeating: 0, count: degree * level.moduli.count)
        try words.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            try encodeWords(count: values.count, value: { values[$0] }, scale: scale, level: level, into: base)
        }
        return words
    }

    /// `encodeWords` of `count` values given by `value(i)`, written to `out` (`k·N` words), without the
    /// intermediate arrays (the pipeline encodes thousands of real vectors straight into its own buffers).
    func encodeWords(
        count: Int, value: (Int) -> Complex64, scale: Double, level: EncodingLevel,
        into base: UnsafeMutablePointer<UInt64>
    ) throws {
        let n = degree
        guard count <= slotCount else {
            throw CKKSError.invalidArgument("\(count) values do not fit in \(slotCount) slots")
        }
        try Self.checkScale(scale, extraBits: 1, level: level)
        let work = UnsafeMutablePointer<Complex64>.allocate(capacity: n)
        defer { work.deallocate() }
        work.initialize(repeating: .zero, count: n)
        for i in 0..<count {
            let z = value(i)
            guard z.real.isFinite && z.imaginary.isFinite else {
                throw CKKSError.invalidArgument("value \(i) is not finite")
            }
            work[indexMap[i]] = z
            work[indexMap[i + slotCount]] = z.conjugate
        }
        inverseTransform(work, scalar: scale / Double(n))
        var maxCoefficient = 0.0
        var allFinite = true
        for i in 0..<n {
            let z = work[i]
            allFinite = allFinite && z.real.isFinite
            maxCoefficient = Swift.max(maxCoefficient, z.real.magnitude)
        }
        // Huge inputs can overflow the FFT to ±inf or NaN; those are "too large" as well (and must not reach log2).
        guard allFinite, Int(ceil(log2(Swift.max(maxCoefficient, 1.0)))) + 1 < level.totalBitCount else {
            throw CKKSError.invalidArgument(
                "encoded values are too large for the level's \(level.totalBitCount)-bit modulus")
        }
        let k = level.moduli.count
        for i in 0..<n {
            let c = work[i].real.rounded()
            if c.magnitude < 9_007_199_254_740_992.0 {  // 2^53: one conversion serves every prime
                let magnitude = UInt64(c.magnitude)
                for j in 0..<k {
                    let r = level.moduli[j].reduce(magnitude)
                    base[j * n + i] = c.sign == .minus ? level.moduli[j].negateMod(r) : r
                }
            } else if c.magnitude < 0x1p127 {  // one two-word conversion serves every prime
                let magnitude = Self.integerMagnitude(c)
                for j in 0..<k {
                    let r = level.moduli[j].reduce(magnitude)
                    base[j * n + i] = c.sign == .minus ? level.moduli[j].negateMod(r) : r
                }
            } else {
                for j in 0..<k { base[j * n + i] = CoefficientReduction.reduce(c, modulus: level.moduli[j]) }
            }
        }
        for j in 0..<k { level.tables[j].forward(base + j * n) }
    }

    /// |c| of an integer-valued `c` with 2^53 ≤ |c| < 2^127, exactly: the significand shifted by the exponent.
    ///
    /// The same value as `UInt128(c.magnitude)`, whose generic conversion was ~3 % of an exchange's CPU time.
    @inline(__always)
    static func integerMagnitude(_ c: Double) -> UInt128 {
        let bits = c.bitPattern
        let shift = Int((bits >> 52) & 0x7FF) - 1075  // 1…74 in this range
        let significand = (bits & 0x000F_FFFF_FFFF_FFFF) | 0x0010_0000_0000_0000
        return UInt128(significand) << shift
    }

    /// Encodes one real number as a constant polynomial (SEAL's `encode(double)`, not the FFT path).
    /// - Parameters:
    ///   - value: a finite number.
    ///   - scale: a positive scale with `Int(log2(scale))` below the level's modulus bit count.
    ///   - level: the target level.
    /// - Returns: `k·N` words; every word of row j is ±(|round(value·scale)| mod q_j).
    /// - Throws: ``CKKSError`` for a non-finite value, a scale out of bounds, or a value too large.
    func encodeConstantWords(_ value: Double, scale: Double, level: EncodingLevel) throws -> [UInt64] {
        guard value.isFinite else { throw CKKSError.invalidArgument("the value is not finite") }
        try Self.checkScale(scale, extraBits: 0, level: level)
        let scaled = value * scale
        // SEAL: static_cast<int>(log2(fabs(value))) + 2; log2(0) is −inf, which never throws there.
        if scaled != 0 {
            guard scaled.isFinite, Int(log2(scaled.magnitude)) + 2 < level.totalBitCount else {
                throw CKKSError.invalidArgument("the encoded value is too large for the level's modulus")
            }
        }
        let c = scaled.rounded()
        let n = degree
        var words = [UInt64](repeating: 0, count: n * level.moduli.count)
        for (j, modulus) in level.moduli.enumerated() {
            let r = CoefficientReduction.reduce(c, modulus: modulus)
            for i in 0..<n { words[j * n + i] = r }
        }
        return words
    }

    /// SEAL's scale bound: `scale > 0` and `Int(log2(scale)) + extraBits < totalBitCount`.
    static func checkScale(_ scale: Double, extraBits: Int, level: EncodingLevel) throws {
        guard scale > 0, scale.isFinite, Int(log2(scale)) + extraBits < level.totalBitCount else {
            throw CKKSError.scaleOutOfBounds(scale)
        }
    }

    /// Decodes `k·N` NTT-form words at `scale` into N/2 complex slot values, bit-exact with SEAL's doubles.
    /// - Parameters:
    ///   - words: the plaintext words, prime-major.
    ///   - scale: the plaintext's scale (positive).
    ///   - level: the plaintext's level.
    /// - Returns: the N/2 slot values.
    func decodeWords(_ words: [UInt64], scale: Double, level: EncodingLevel) -> [Complex64] {
        let n = degree
        let k = level.moduli.count
        var copy = words
        var res = [Complex64](repeating: .zero, count: n)
        let invScale = 1.0 / scale
        let twoPow64 = 18_446_744_073_709_551_616.0
        let composer = level.composer
        copy.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for j in 0..<k { level.tables[j].inverse(base + j * n) }
            composer.product.withUnsafeBufferPointer { qBuffer in
                composer.upperHalfThreshold.withUnsafeBufferPointer { halfBuffer in
                    res.withUnsafeMutableBufferPointer { resBuffer in
                        guard let q = qBuffer.baseAddress, let half = halfBuffer.baseAddress,
                            let out = resBuffer.baseAddress
                        else { return }
                        composer.forEachComposed(base, degree: n) { i, x in
                            var acc = 0.0
                            var scaled = invScale
                            if !CRTComposer.isLess(x, half, count: k) {
                                for j in 0..<k {
                                    if x[j] > q[j] {
                                        let diff = x[j] - q[j]
                                        acc += diff != 0 ? Double(diff) * scaled : 0.0
                                    } else {
                                        let diff = q[j] - x[j]
                                        acc -= diff != 0 ? Double(diff) * scaled : 0.0
                                    }
                                    scaled *= twoPow64
                                }
                            } else {
                                for j in 0..<k {
                                    acc += x[j] != 0 ? Double(x[j]) * scaled : 0.0
                                    scaled *= twoPow64
                                }
                            }
                            out[i] = Complex64(acc, 0)
                        }
                    }
                }
            }
        }
        res.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            forwardTransform(base)
        }
        return (0..<slotCount).map { res[indexMap[$0]] }
    }
}
