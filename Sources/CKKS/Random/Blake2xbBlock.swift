/// SEAL's BLAKE2Xb refill in place: one 4096-byte block of `Blake2xb.hash(counter, key: seed, outputByteCount:
/// 4096)` written straight into the generator's buffer.
///
/// The general ``Blake2xb/hash(_:key:outputByteCount:)`` builds a hasher, parameter block and arrays for each of
/// the 64 output nodes; here the parameter words are constants and every node is exactly one compression of the
/// root hash, on a state that lives in registers, so a refill costs 66 compressions and no allocation.
/// - Note: SEAL: randomgen.cpp `Blake2xbPRNG::refill_buffer`, util/blake2xb.c
enum Blake2xbBlock {
    /// The bytes one refill produces.
    static let byteCount = 4096

    /// Writes block `counter` of the stream keyed by `seed` into `out`.
    /// - Parameters:
    ///   - out: 4096 writable bytes.
    ///   - seed: the 64-byte seed (the BLAKE2Xb key).
    ///   - counter: the block index (the 8-byte little-endian message).
    static func fill(_ out: UnsafeMutableRawPointer, seed: UnsafeRawBufferPointer, counter: UInt64) {
        assert(seed.count == 64)
        let xofWord = UInt64(byteCount) << 32
        var h = State()
        var m = Block()
        // Root: digest 64, key 64, fanout 1, depth 1, xof_length 4096. Block 1 is the key padded to 128 bytes.
        h.initialize(word0: 64 | 64 << 8 | 1 << 16 | 1 << 24, word1: xofWord, word2: 0)
        for i in 0..<8 { m[i] = UInt64(littleEndian: seed.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        for i in 8..<16 { m[i] = 0 }
        h.compress(m, byteCounter: 128, isFinal: false)
        // Block 2: the 8-byte counter, final.
        m[0] = counter
        for i in 1..<16 { m[i] = 0 }
        h.compress(m, byteCounter: 136, isFinal: true)
        // Output node i: digest 64, leaf_length 64, node_offset i, xof_length 4096, inner_length 64; one block
        // holding the 64-byte root hash, final.
        var node = Block()
        for i in 0..<8 { node[i] = h[i] }
        for i in 8..<16 { node[i] = 0 }
        for index in 0..<UInt64(byteCount / 64) {
            var out64 = State()
            out64.initialize(word0: 64 | 64 << 32, word1: index | xofWord, word2: 64 << 8)
            out64.compress(node, byteCounter: 64, isFinal: true)
            for i in 0..<8 {
                out.storeBytes(of: out64[i].littleEndian, toByteOffset: Int(index) * 64 + 8 * i, as: UInt64.self)
            }
        }
    }

    /// Sixteen message words.
    struct Block {
        var words:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        subscript(_ i: Int) -> UInt64 {
            get { withUnsafeBytes(of: words) { $0.load(fromByteOffset: 8 * i, as: UInt64.self) } }
            set {
                withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: newValue, toByteOffset: 8 * i, as: UInt64.self) }
            }
        }
    }

    /// The eight chaining words.
    struct State {
        var h: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

        subscript(_ i: Int) -> UInt64 {
            withUnsafeBytes(of: h) { $0.load(fromByteOffset: 8 * i, as: UInt64.self) }
        }

        /// h = IV xor the parameter block (words 3..7, salt and personalization, are zero).
        mutating func initialize(word0: UInt64, word1: UInt64, word2: UInt64) {
            h = (
                0x6a09_e667_f3bc_c908 ^ word0, 0xbb67_ae85_84ca_a73b ^ word1, 0x3c6e_f372_fe94_f82b ^ word2,
                0xa54f_f53a_5f1d_36f1, 0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b,
                0x5be0_cd19_137e_2179
            )
        }

        /// One BLAKE2b compression (RFC 7693 §3.2) of `m` with byte counter `t`.
        @inline(__always)
        mutating func compress(_ m: Block, byteCounter t: UInt64, isFinal: Bool) {
            var v0 = h.0, v1 = h.1, v2 = h.2, v3 = h.3, v4 = h.4, v5 = h.5, v6 = h.6, v7 = h.7
            var v8: UInt64 = 0x6a09_e667_f3bc_c908, v9: UInt64 = 0xbb67_ae85_84ca_a73b
            var v10: UInt64 = 0x3c6e_f372_fe94_f82b, v11: UInt64 = 0xa54f_f53a_5f1d_36f1
            var v12: UInt64 = 0x510e_527f_ade6_82d1 ^ t, v13: UInt64 = 0x9b05_688c_2b3e_6c1f
            var v14: UInt64 = isFinal ? ~0x1f83_d9ab_fb41_bd6b : 0x1f83_d9ab_fb41_bd6b
            var v15: UInt64 = 0x5be0_cd19_137e_2179
            @inline(__always) func g(
                _ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64, _ x: UInt64, _ y: UInt64
            ) {
                a = a &+ b &+ x
                d = (d ^ a).rotateRight(32)
                c = c &+ d
                b = (b ^ c).rotateRight(24)
                a = a &+ b &+ y
                d = (d ^ a).rotateRight(16)
                c = c &+ d
                b = (b ^ c).rotateRight(63)
            }
            withUnsafeBytes(of: m.words) { raw in
                let w = raw.bindMemory(to: UInt64.self)
                Blake2b.sigma.withUnsafeBufferPointer { s in
                    for round in 0..<12 {
                        let r = 16 * round
                        g(&v0, &v4, &v8, &v12, w[Int(s[r])], w[Int(s[r + 1])])
                        g(&v1, &v5, &v9, &v13, w[Int(s[r + 2])], w[Int(s[r + 3])])
                        g(&v2, &v6, &v10, &v14, w[Int(s[r + 4])], w[Int(s[r + 5])])
                        g(&v3, &v7, &v11, &v15, w[Int(s[r + 6])], w[Int(s[r + 7])])
                        g(&v0, &v5, &v10, &v15, w[Int(s[r + 8])], w[Int(s[r + 9])])
                        g(&v1, &v6, &v11, &v12, w[Int(s[r + 10])], w[Int(s[r + 11])])
                        g(&v2, &v7, &v8, &v13, w[Int(s[r + 12])], w[Int(s[r + 13])])
                        g(&v3, &v4, &v9, &v14, w[Int(s[r + 14])], w[Int(s[r + 15])])
                    }
                }
            }
            h = (
                h.0 ^ v0 ^ v8, h.1 ^ v1 ^ v9, h.2 ^ v2 ^ v10, h.3 ^ v3 ^ v11, h.4 ^ v4 ^ v12, h.5 ^ v5 ^ v13,
                h.6 ^ v6 ^ v14, h.7 ^ v7 ^ v15
            )
        }
    }
}
