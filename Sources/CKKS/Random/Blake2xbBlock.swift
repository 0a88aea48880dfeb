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
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { m in
            guard let block = UnsafeRawPointer(m.baseAddress) else { return }
            // Root: digest 64, key 64, fanout 1, depth 1, xof_length 4096. Block 1 is the key padded to 128 bytes.
            var h = initial(word0: 64 | 64 << 8 | 1 << 16 | 1 << 24, word1: xofWord, word2: 0)
            for i in 0..<8 { m[i] = UInt64(littleEndian: seed.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            for i in 8..<16 { m[i] = 0 }
            Blake2bCompression.compress(&h, block: block, counterLow: 128, isFinal: false)
            // Block 2: the 8-byte counter, final.
            m[0] = counter.littleEndian
            for i in 1..<16 { m[i] = 0 }
            Blake2bCompression.compress(&h, block: block, counterLow: 136, isFinal: true)
            // Output node i: digest 64, leaf_length 64, node_offset i, xof_length 4096, inner_length 64; one block
            // holding the 64-byte root hash, final.
            let root = (
                h.0.littleEndian, h.1.littleEndian, h.2.littleEndian, h.3.littleEndian, h.4.littleEndian,
                h.5.littleEndian, h.6.littleEndian, h.7.littleEndian
            )
            for index in 0..<UInt64(byteCount / 64) {
                var node = initial(word0: 64 | 64 << 32, word1: index | xofWord, word2: 64 << 8)
                Blake2bCompression.compress(
                    &node, low: root, high: (0, 0, 0, 0, 0, 0, 0, 0), counterLow: 64, isFinal: true)
                withUnsafeBytes(of: node) { words in
                    for i in 0..<8 {
                        out.storeBytes(
                            of: words.load(fromByteOffset: 8 * i, as: UInt64.self).littleEndian,
                            toByteOffset: Int(index) * 64 + 8 * i, as: UInt64.self)
                    }
                }
            }
        }
    }

    /// IV xor a parameter block whose words 3..7 (salt and personalization) are zero.
    @inline(__always)
    static func initial(word0: UInt64, word1: UInt64, word2: UInt64) -> Blake2bCompression.Words {
        let iv = Blake2bCompression.iv
        return (iv.0 ^ word0, iv.1 ^ word1, iv.2 ^ word2, iv.3, iv.4, iv.5, iv.6, iv.7)
    }
}
