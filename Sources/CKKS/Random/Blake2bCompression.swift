/// The BLAKE2b compression function F (RFC 7693 §3.2), shared by ``Blake2b`` and SEAL's BLAKE2Xb refill.
///
/// The twelve rounds are written out with the message schedule as constants, so the sixteen message words are
/// plain locals and no schedule table is read: about twice the speed of a table-driven loop, which matters
/// because this function is most of the cost of content hashes and of expanding seeded ciphertexts.
/// - Note: SEAL: util/blake2b.c `blake2b_compress` (reference BLAKE2 code).
enum Blake2bCompression {
    /// Eight chaining words.
    typealias Words =
        (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The initialization vector (the SHA-512 IV).
    static let iv: Words = (
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179
    )

    /// Compresses one 128-byte block into `h`.
    /// - Parameters:
    ///   - h: the chaining value.
    ///   - block: 128 bytes (unaligned is fine), read as sixteen little-endian words.
    ///   - counterLow: low word of the byte counter t (bytes hashed so far, this block included).
    ///   - counterHigh: high word of t.
    ///   - isFinal: whether this is the last block (the finalization flag f0).
    @inline(__always)
    static func compress(
        _ h: inout Words, block: UnsafeRawPointer, counterLow: UInt64, counterHigh: UInt64 = 0, isFinal: Bool
    ) {
        @inline(__always) func word(_ i: Int) -> UInt64 {
            UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
        }
        compress(
            &h, low: (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7)),
            high: (word(8), word(9), word(10), word(11), word(12), word(13), word(14), word(15)),
            counterLow: counterLow, counterHigh: counterHigh, isFinal: isFinal)
    }

    /// Compresses the block of message words `low` (m0…m7) and `high` (m8…m15) into `h`; a constant half (the
    /// zero padding of BLAKE2Xb's one-block nodes) folds away when inlined.
    @inline(__always)
    static func compress(
        _ h: inout Words, low: Words, high: Words, counterLow: UInt64, counterHigh: UInt64 = 0, isFinal: Bool
    ) {
        let (m0, m1, m2, m3, m4, m5, m6, m7) = low
        let (m8, m9, m10, m11, m12, m13, m14, m15) = high
        var v0 = h.0, v1 = h.1, v2 = h.2, v3 = h.3, v4 = h.4, v5 = h.5, v6 = h.6, v7 = h.7
        var v8 = iv.0, v9 = iv.1, v10 = iv.2, v11 = iv.3
        var v12 = iv.4 ^ counterLow, v13 = iv.5 ^ counterHigh
        var v14 = isFinal ? ~iv.6 : iv.6, v15 = iv.7
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
        // Round 0.
        g(&v0, &v4, &v8, &v12, m0, m1)
        g(&v1, &v5, &v9, &v13, m2, m3)
        g(&v2, &v6, &v10, &v14, m4, m5)
        g(&v3, &v7, &v11, &v15, m6, m7)
        g(&v0, &v5, &v10, &v15, m8, m9)
        g(&v1, &v6, &v11, &v12, m10, m11)
        g(&v2, &v7, &v8, &v13, m12, m13)
        g(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1.
        g(&v0, &v4, &v8, &v12, m14, m10)
        g(&v1, &v5, &v9, &v13, m4, m8)
        g(&v2, &v6, &v10, &v14, m9, m15)
        g(&v3, &v7, &v11, &v15, m13, m6)
        g(&v0, &v5, &v10, &v15, m1, m12)
        g(&v1, &v6, &v11, &v12, m0, m2)
        g(&v2, &v7, &v8, &v13, m11, m7)
        g(&v3, &v4, &v9, &v14, m5, m3)
        // Round 2.
        g(&v0, &v4, &v8, &v12, m11, m8)
        g(&v1, &v5, &v9, &v13, m12, m0)
        g(&v2, &v6, &v10, &v14, m5, m2)
        g(&v3, &v7, &v11, &v15, m15, m13)
        g(&v0, &v5, &v10, &v15, m10, m14)
        g(&v1, &v6, &v11, &v12, m3, m6)
        g(&v2, &v7, &v8, &v13, m7, m1)
        g(&v3, &v4, &v9, &v14, m9, m4)
        // Round 3.
        g(&v0, &v4, &v8, &v12, m7, m9)
        g(&v1, &v5, &v9, &v13, m3, m1)
        g(&v2, &v6, &v10, &v14, m13, m12)
        g(&v3, &v7, &v11, &v15, m11, m14)
        g(&v0, &v5, &v10, &v15, m2, m6)
        g(&v1, &v6, &v11, &v12, m5, m10)
        g(&v2, &v7, &v8, &v13, m4, m0)
        g(&v3, &v4, &v9, &v14, m15, m8)
        // Round 4.
        g(&v0, &v4, &v8, &v12, m9, m0)
        g(&v1, &v5, &v9, &v13, m5, m7)
        g(&v2, &v6, &v10, &v14, m2, m4)
        g(&v3, &v7, &v11, &v15, m10, m15)
        g(&v0, &v5, &v10, &v15, m14, m1)
        g(&v1, &v6, &v11, &v12, m11, m12)
        g(&v2, &v7, &v8, &v13, m6, m8)
        g(&v3, &v4, &v9, &v14, m3, m13)
        // Round 5.
        g(&v0, &v4, &v8, &v12, m2, m12)
        g(&v1, &v5, &v9, &v13, m6, m10)
        g(&v2, &v6, &v10, &v14, m0, m11)
        g(&v3, &v7, &v11, &v15, m8, m3)
        g(&v0, &v5, &v10, &v15, m4, m13)
        g(&v1, &v6, &v11, &v12, m7, m5)
        g(&v2, &v7, &v8, &v13, m15, m14)
        g(&v3, &v4, &v9, &v14, m1, m9)
        // Round 6.
        g(&v0, &v4, &v8, &v12, m12, m5)
        g(&v1, &v5, &v9, &v13, m1, m15)
        g(&v2, &v6, &v10, &v14, m14, m13)
        g(&v3, &v7, &v11, &v15, m4, m10)
        g(&v0, &v5, &v10, &v15, m0, m7)
        g(&v1, &v6, &v11, &v12, m6, m3)
        g(&v2, &v7, &v8, &v13, m9, m2)
        g(&v3, &v4, &v9, &v14, m8, m11)
        // Round 7.
        g(&v0, &v4, &v8, &v12, m13, m11)
        g(&v1, &v5, &v9, &v13, m7, m14)
        g(&v2, &v6, &v10, &v14, m12, m1)
        g(&v3, &v7, &v11, &v15, m3, m9)
        g(&v0, &v5, &v10, &v15, m5, m0)
        g(&v1, &v6, &v11, &v12, m15, m4)
        g(&v2, &v7, &v8, &v13, m8, m6)
        g(&v3, &v4, &v9, &v14, m2, m10)
        // Round 8.
        g(&v0, &v4, &v8, &v12, m6, m15)
        g(&v1, &v5, &v9, &v13, m14, m9)
        g(&v2, &v6, &v10, &v14, m11, m3)
        g(&v3, &v7, &v11, &v15, m0, m8)
        g(&v0, &v5, &v10, &v15, m12, m2)
        g(&v1, &v6, &v11, &v12, m13, m7)
        g(&v2, &v7, &v8, &v13, m1, m4)
        g(&v3, &v4, &v9, &v14, m10, m5)
        // Round 9.
        g(&v0, &v4, &v8, &v12, m10, m2)
        g(&v1, &v5, &v9, &v13, m8, m4)
        g(&v2, &v6, &v10, &v14, m7, m6)
        g(&v3, &v7, &v11, &v15, m1, m5)
        g(&v0, &v5, &v10, &v15, m15, m11)
        g(&v1, &v6, &v11, &v12, m9, m14)
        g(&v2, &v7, &v8, &v13, m3, m12)
        g(&v3, &v4, &v9, &v14, m13, m0)
        // Round 10.
        g(&v0, &v4, &v8, &v12, m0, m1)
        g(&v1, &v5, &v9, &v13, m2, m3)
        g(&v2, &v6, &v10, &v14, m4, m5)
        g(&v3, &v7, &v11, &v15, m6, m7)
        g(&v0, &v5, &v10, &v15, m8, m9)
        g(&v1, &v6, &v11, &v12, m10, m11)
        g(&v2, &v7, &v8, &v13, m12, m13)
        g(&v3, &v4, &v9, &v14, m14, m15)
        // Round 11.
        g(&v0, &v4, &v8, &v12, m14, m10)
        g(&v1, &v5, &v9, &v13, m4, m8)
        g(&v2, &v6, &v10, &v14, m9, m15)
        g(&v3, &v7, &v11, &v15, m13, m6)
        g(&v0, &v5, &v10, &v15, m1, m12)
        g(&v1, &v6, &v11, &v12, m0, m2)
        g(&v2, &v7, &v8, &v13, m11, m7)
        g(&v3, &v4, &v9, &v14, m5, m3)
        h = (
            h.0 ^ v0 ^ v8, h.1 ^ v1 ^ v9, h.2 ^ v2 ^ v10, h.3 ^ v3 ^ v11, h.4 ^ v4 ^ v12, h.5 ^ v5 ^ v13,
            h.6 ^ v6 ^ v14, h.7 ^ v7 ^ v15
        )
    }
}
