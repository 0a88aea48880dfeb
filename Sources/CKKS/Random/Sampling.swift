import NTT

/// SEAL's RLWE samplers: each writes one value per coefficient into every RNS row (limb-major: word
/// `j * degree + i` is coefficient `i` modulo `moduli[j]`), storing a negative value v as `q_j - |v|`.
///
/// The consumption order of the random stream is part of the contract: with the same generator state these
/// produce SEAL's words exactly, which is what seeded objects and fixed-seed key generation depend on.
/// - Note: SEAL: util/rlwe.cpp `sample_poly_uniform`, `sample_poly_ternary`, `sample_poly_cbd`.
package enum RLWESampler {
    /// Uniform residues (`sample_poly_uniform`): first `8 * degree * moduli.count` bytes in bulk, then per row
    /// each word w >= M_j = (2^64 - 1) - ((2^64 - 1) mod q_j) - 1 is replaced by the *next* 64-bit draw until
    /// it is below M_j; the stored value is w mod q_j.
    /// - Parameters:
    ///   - destination: `degree * moduli.count` words.
    ///   - degree: the ring degree N.
    ///   - moduli: the primes of the level.
    ///   - rng: the stream to consume.
    package static func sampleUniform(
        into destination: UnsafeMutableBufferPointer<UInt64>, degree: Int, moduli: [Modulus],
        using rng: inout some UniformRandomGenerator
    ) {
        assert(destination.count == degree * moduli.count)
        rng.generate(into: UnsafeMutableRawBufferPointer(destination))
        for (j, modulus) in moduli.enumerated() {
            let maxMultiple = UInt64.max - modulus.reduce(UInt64.max) - 1
            for i in (j * degree)..<((j + 1) * degree) {
                var word = UInt64(littleEndian: destination[i])
                while word >= maxMultiple { word = rng.nextUInt64() }
                destination[i] = modulus.reduce(word)
            }
        }
    }

    /// Uniform residues as SEAL 3.5 sampled them (seeded objects in 3.5 files): one `(a << 32) | b` from two
    /// 32-bit draws per coefficient, rejected against (2^64 - 1) - ((2^64 - 1) mod q) - 1.
    /// - Parameters:
    ///   - destination: `degree * moduli.count` words.
    ///   - degree: the ring degree N.
    ///   - moduli: the primes of the level.
    ///   - rng: the stream to consume.
    package static func sampleUniformSEAL35(
        into destination: UnsafeMutableBufferPointer<UInt64>, degree: Int, moduli: [Modulus],
        using rng: inout some UniformRandomGenerator
    ) {
        sampleUniformPerWord(into: destination, degree: degree, moduli: moduli, maxRandom: UInt64.max) {
            let high = UInt64(rng.nextUInt32())
            return high << 32 | UInt64(rng.nextUInt32())
        }
    }

    /// Uniform residues as SEAL 3.4 sampled them: 63 bits `(a << 31) | (b >> 1)` from two 32-bit draws,
    /// rejected against (2^63 - 1) - ((2^63 - 1) mod q) - 1.
    /// - Parameters:
    ///   - destination: `degree * moduli.count` words.
    ///   - degree: the ring degree N.
    ///   - moduli: the primes of the level.
    ///   - rng: the stream to consume.
    package static func sampleUniformSEAL34(
        into destination: UnsafeMutableBufferPointer<UInt64>, degree: Int, moduli: [Modulus],
        using rng: inout some UniformRandomGenerator
    ) {
        sampleUniformPerWord(into: destination, degree: degree, moduli: moduli, maxRandom: UInt64(Int64.max)) {
            let high = UInt64(rng.nextUInt32())
            return high << 31 | UInt64(rng.nextUInt32()) >> 1
        }
    }

    private static func sampleUniformPerWord(
        into destination: UnsafeMutableBufferPointer<UInt64>, degree: Int, moduli: [Modulus], maxRandom: UInt64,
        draw: () -> UInt64
    ) {
        assert(destination.count == degree * moduli.count)
        for (j, modulus) in moduli.enumerated() {
            let maxMultiple = maxRandom - modulus.reduce(maxRandom) - 1
            for i in (j * degree)..<((j + 1) * degree) {
                var word = draw()
                while word >= maxMultiple { word = draw() }
                destination[i] = modulus.reduce(word)
            }
        }
    }

    /// A ternary polynomial (`sample_poly_ternary`): coefficient i is r - 1 for r uniform in {0, 1, 2}, drawn in
    /// order i = 0 ..< N.
    ///
    /// r comes from `std::uniform_int_distribution<uint64_t>(0, 2)` over 32-bit draws as libstdc++ 11+ implements it
    /// (Lemire's method: x * 3, redraw while the low half is below 2^32 mod 3 = 1), the library of Linux SEAL builds
    /// and the seal-python wheels.
    /// - Parameters:
    ///   - destination: `degree * moduli.count` words.
    ///   - degree: the ring degree N.
    ///   - moduli: the primes.
    ///   - rng: the stream to consume.
    package static func sampleTernary(
        into destination: UnsafeMutableBufferPointer<UInt64>, degree: Int, moduli: [Modulus],
        using rng: inout some UniformRandomGenerator
    ) {
        assert(destination.count == degree * moduli.count)
        // One draw per coefficient in bulk; a redraw (probability 2^-32 each) takes the next 32-bit word of the
        // stream, so the draws after the bulk block come straight from the generator, in order.
        var draws = [UInt32](repeating: 0, count: degree)
        draws.withUnsafeMutableBytes { rng.generate(into: $0) }
        var cursor = 0
        func next(_ rng: inout some UniformRandomGenerator) -> UInt32 {
            defer { cursor += 1 }
            return cursor < degree ? UInt32(littleEndian: draws[cursor]) : rng.nextUInt32()
        }
        for i in 0..<degree {
            var product = UInt64(next(&rng)) &* 3
            while UInt32(truncatingIfNeeded: product) < 1 {
                product = UInt64(next(&rng)) &* 3
            }
            let r = product >> 32
            for (j, modulus) in moduli.enumerated() {
                destination[j * degree + i] = r == 0 ? modulus.value - 1 : r - 1
            }
        }
    }

    /// Centered-binomial noise (`sample_poly_cbd`, SEAL's default noise sampler): per coefficient 6 bytes
    /// b0...b5, with b2 and b5 masked to 5 bits, give e = popcount(b0 b1 b2) - popcount(b3 b4 b5) in [-21, 21]
    /// (standard deviation about 3.24, SEAL's 3.2 target).
    /// - Parameters:
    ///   - destination: `degree * moduli.count` words.
    ///   - degree: the ring degree N.
    ///   - moduli: the primes.
    ///   - rng: the stream to consume.
    package static func sampleCenteredBinomial(
        into destination: UnsafeMutableBufferPointer<UInt64>, degree: Int, moduli: [Modulus],
        using rng: inout some UniformRandomGenerator
    ) {
        assert(destination.count == degree * moduli.count)
        // Six bytes per coefficient, consumed in order: drawing them all at once reads the same stream. Two
        // spare zero bytes let every coefficient's six bytes be read as one unaligned 64-bit word.
        let byteCount = 6 * degree
        var buffer = [UInt8](repeating: 0, count: byteCount + 2)
        buffer.withUnsafeMutableBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            rng.generate(
                into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: bytes[0..<byteCount])))
            let raw = UnsafeRawPointer(base)
            for i in 0..<degree {
                // Little-endian bits 0...20 are b0, b1 and b2 & 0x1F; bits 24...44 are b3, b4 and b5 & 0x1F.
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 6 * i, as: UInt64.self))
                let noise = Int64((word & 0x1F_FFFF).nonzeroBitCount - (word >> 24 & 0x1F_FFFF).nonzeroBitCount)
                // q - |e| for a negative e, without a branch on the sign (which is a coin flip).
                let negative = UInt64(bitPattern: noise >> 63)
                for (j, modulus) in moduli.enumerated() {
                    destination[j * degree + i] = UInt64(bitPattern: noise) &+ (modulus.value & negative)
                }
            }
        }
    }
}

extension RLWESampler {
    /// ``sampleUniform(into:degree:moduli:using:)`` into a new limb-major array.
    /// - Parameters:
    ///   - degree: the ring degree N.
    ///   - moduli: the primes.
    ///   - rng: the stream to consume.
    /// - Returns: `degree * moduli.count` words.
    package static func uniform(degree: Int, moduli: [Modulus], using rng: inout some UniformRandomGenerator)
        -> [UInt64]
    {
        filled(degree * moduli.count) { sampleUniform(into: $0, degree: degree, moduli: moduli, using: &rng) }
    }

    /// ``sampleTernary(into:degree:moduli:using:)`` into a new limb-major array.
    /// - Parameters:
    ///   - degree: the ring degree N.
    ///   - moduli: the primes.
    ///   - rng: the stream to consume.
    /// - Returns: `degree * moduli.count` words.
    package static func ternary(degree: Int, moduli: [Modulus], using rng: inout some UniformRandomGenerator)
        -> [UInt64]
    {
        filled(degree * moduli.count) { sampleTernary(into: $0, degree: degree, moduli: moduli, using: &rng) }
    }

    /// ``sampleCenteredBinomial(into:degree:moduli:using:)`` into a new limb-major array.
    /// - Parameters:
    ///   - degree: the ring degree N.
    ///   - moduli: the primes.
    ///   - rng: the stream to consume.
    /// - Returns: `degree * moduli.count` words.
    package static func centeredBinomial(
        degree: Int, moduli: [Modulus], using rng: inout some UniformRandomGenerator
    ) -> [UInt64] {
        filled(degree * moduli.count) {
            sampleCenteredBinomial(into: $0, degree: degree, moduli: moduli, using: &rng)
        }
    }

    private static func filled(_ count: Int, _ body: (UnsafeMutableBufferPointer<UInt64>) -> Void) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: 0)
            body(buffer)
            initialized = count
        }
    }
}
