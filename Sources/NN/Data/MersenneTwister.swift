/// The 32-bit Mersenne Twister MT19937, seeded like C++'s `std::mt19937(seed)` and PyTorch's CPU generator.
///
/// Used only to reproduce `torch.utils.data.random_split(…, generator=torch.Generator().manual_seed(0))`, which is how
/// the original splits the official test set into validate and test halves (spec §2).
public struct MersenneTwister: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// Seeds the state with the reference `init_genrand` recurrence.
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// The next 32-bit output (tempered).
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
            var value = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { value ^= 0x9908_b0df }
            state[i] = value
        }
        index = 0
    }
}
