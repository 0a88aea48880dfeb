/// The Keccak-f[1600] permutation and SHAKE256 (FIPS 202), for SEAL's `Shake256PRNG`.
/// - Note: SEAL: util/fips202.c.
package enum SHAKE256 {
    /// The sponge rate of SHAKE256 in bytes.
    package static let rateByteCount = 136

    static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808a, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808b, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008a, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000a,
        0x0000_0000_8000_808b, 0x8000_0000_0000_008b, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800a, 0x8000_0000_8000_000a,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    /// Rotation offsets along the rho-pi lane walk.
    static let rotations: [UInt64] = [
        1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
    ]
    /// The lane visited at each step of the rho-pi walk, starting from lane 1.
    static let piLanes: [Int] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1]

    /// Applies Keccak-f[1600] to 25 lanes in place.
    static func permute(_ a: UnsafeMutableBufferPointer<UInt64>) {
        assert(a.count == 25)
        var c = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        for round in 0..<24 {
            // theta
            c.0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
            c.1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
            c.2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
            c.3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
            c.4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
            let d0 = c.4 ^ c.1.rotateLeft(1)
            let d1 = c.0 ^ c.2.rotateLeft(1)
            let d2 = c.1 ^ c.3.rotateLeft(1)
            let d3 = c.2 ^ c.4.rotateLeft(1)
            let d4 = c.3 ^ c.0.rotateLeft(1)
            for y in stride(from: 0, to: 25, by: 5) {
                a[y] ^= d0
                a[y + 1] ^= d1
                a[y + 2] ^= d2
                a[y + 3] ^= d3
                a[y + 4] ^= d4
            }
            // rho and pi
            var current = a[1]
            for t in 0..<24 {
                let lane = piLanes[t]
                let next = a[lane]
                a[lane] = current.rotateLeft(rotations[t])
                current = next
            }
            // chi
            for y in stride(from: 0, to: 25, by: 5) {
                let r0 = a[y], r1 = a[y + 1], r2 = a[y + 2], r3 = a[y + 3], r4 = a[y + 4]
                a[y] = r0 ^ (~r1 & r2)
                a[y + 1] = r1 ^ (~r2 & r3)
                a[y + 2] = r2 ^ (~r3 & r4)
                a[y + 3] = r3 ^ (~r4 & r0)
                a[y + 4] = r4 ^ (~r0 & r1)
            }
            // iota
            a[0] ^= roundConstants[round]
        }
    }

    /// SHAKE256 of `message`, squeezing `output.count` bytes into `output`.
    /// - Parameters:
    ///   - message: the input bytes.
    ///   - output: where the squeezed bytes go.
    package static func hash(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { state in
            state.initialize(repeating: 0)
            let lanes = UnsafeMutableRawBufferPointer(state)
            var offset = 0
            // absorb full blocks
            while message.count - offset >= rateByteCount {
                for i in 0..<rateByteCount { lanes[i] ^= message[offset + i] }
                permute(state)
                offset += rateByteCount
            }
            // last partial block with SHAKE's domain bits 1111 and the final pad bit
            let rest = message.count - offset
            for i in 0..<rest { lanes[i] ^= message[offset + i] }
            lanes[rest] ^= 0x1F
            lanes[rateByteCount - 1] ^= 0x80
            permute(state)
            // squeeze
            var produced = 0
            while produced < output.count {
                let take = min(rateByteCount, output.count - produced)
                for i in 0..<take { output[produced + i] = lanes[i] }
                produced += take
                if produced < output.count { permute(state) }
            }
        }
    }

    /// SHAKE256 of `message`, returning `outputByteCount` bytes.
    /// - Parameters:
    ///   - message: the input bytes.
    ///   - outputByteCount: how many bytes to squeeze.
    /// - Returns: The output bytes.
    package static func hash(_ message: [UInt8], outputByteCount: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputByteCount)
        message.withUnsafeBytes { m in out.withUnsafeMutableBytes { hash(m, into: $0) } }
        return out
    }
}
