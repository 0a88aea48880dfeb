/// SplitMix64: a tiny generator used to expand one seed into well-mixed states.
///
/// - Note: Steele, Lea and Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The running state.
    public var state: UInt64

    /// Starts from `seed`.
    /// - Parameter seed: any 64-bit value.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    /// - Returns: a uniformly distributed word.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the NN engine's deterministic generator for initialisation, shuffling and dropout.
///
/// Seeded through ``SplitMix64`` so that nearby seeds give unrelated streams.
/// - Note: Blackman and Vigna, "Scrambled linear pseudorandom number generators" (2018).
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Starts the stream for `seed`.
    /// - Parameter seed: any 64-bit value; equal seeds give equal streams.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    /// The next 64 random bits.
    /// - Returns: a uniformly distributed word.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform `Float` in `[0, 1)` built from the top 24 bits.
    /// - Returns: the sample.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform `Float` in `[-bound, bound)`.
    /// - Parameter bound: the half-width.
    /// - Returns: the sample.
    public mutating func nextSymmetric(_ bound: Float) -> Float {
        (nextUnitFloat() * 2 - 1) * bound
    }

    /// A fresh generator derived from this one, for a sub-component that needs its own stream.
    /// - Returns: an independent-looking generator; this generator advances by one step.
    public mutating func split() -> Xoshiro256 {
        Xoshiro256(seed: next())
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates).
    /// - Parameter count: the number of indices.
    /// - Returns: the permuted indices.
    public mutating func permutation(_ count: Int) -> [Int] {
        var indices = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = Int(next(upperBound: UInt64(i + 1)))
            indices.swapAt(i, j)
            i -= 1
        }
        return indices
    }
}
