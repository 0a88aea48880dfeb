/// BLAKE2b (RFC 7693): the hash behind SEAL's `parms_id` and, through BLAKE2Xb, its default PRNG.
///
/// The state is initialised from a raw 64-byte parameter block, so the tree-hashing variants that BLAKE2Xb
/// needs (depth 0, node offsets, `xof_length`) can be expressed; the ordinary unkeyed or keyed hash is
/// ``init(digestByteCount:key:)``.
/// - Note: SEAL: util/blake2b.c, util/blake2xb.c (reference BLAKE2 code).
public struct Blake2b: Sendable {
    /// Bytes per compression block.
    public static let blockByteCount = 128
    /// The longest digest (and key) BLAKE2b supports, in bytes.
    public static let maxDigestByteCount = 64

    static let iv: [UInt64] = [
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
    ]

    /// The message schedule, 12 rounds of 16 indices (rounds 10 and 11 repeat rounds 0 and 1).
    static let sigma: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
    ]

    private var h: [UInt64]
    private var buffer: [UInt8]
    private var bufferCount = 0
    private var byteCounter: UInt128 = 0
    /// The digest length this hasher produces, in bytes (1...64).
    public let digestByteCount: Int

    /// A BLAKE2b hasher for a plain (sequential-mode) hash, optionally keyed (MAC mode).
    /// - Parameters:
    ///   - digestByteCount: 1...64.
    ///   - key: 0...64 bytes; an empty key is the unkeyed hash.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for an out-of-range length.
    public init(digestByteCount: Int = 64, key: [UInt8] = []) throws {
        guard (1...Self.maxDigestByteCount).contains(digestByteCount) else {
            throw CKKSError.invalidArgument("BLAKE2b digest length \(digestByteCount) is not in 1...64")
        }
        guard key.count <= Self.maxDigestByteCount else {
            throw CKKSError.invalidArgument("BLAKE2b key length \(key.count) exceeds 64 bytes")
        }
        var parameters = [UInt8](repeating: 0, count: 64)
        parameters[0] = UInt8(digestByteCount)
        parameters[1] = UInt8(key.count)
        parameters[2] = 1  // fanout
        parameters[3] = 1  // depth
        self.init(parameterBlock: parameters)
        if !key.isEmpty {
            var block = key
            block.append(contentsOf: repeatElement(0, count: Self.blockByteCount - key.count))
            update(block)
        }
    }

    /// A hasher whose chaining value is IV xor the given raw 64-byte parameter block (RFC 7693 §2.5).
    ///
    /// The caller is responsible for the block's contents; byte 0 is the digest length (1...64).
    init(parameterBlock p: [UInt8]) {
        assert(p.count == 64 && (1...64).contains(p[0]))
        var state = Self.iv
        for i in 0..<8 {
            var word: UInt64 = 0
            for b in 0..<8 { word |= UInt64(p[8 * i + b]) << (8 * UInt64(b)) }
            state[i] ^= word
        }
        h = state
        buffer = [UInt8](repeating: 0, count: Self.blockByteCount)
        digestByteCount = Int(p[0])
    }

    /// Absorbs bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Absorbs bytes from raw memory.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            // The last block must be compressed with the final flag, so a full buffer waits for more input.
            if bufferCount == Self.blockByteCount {
                byteCounter &+= UInt128(Self.blockByteCount)
                compress(isFinal: false)
                bufferCount = 0
            }
            let take = min(Self.blockByteCount - bufferCount, bytes.count - offset)
            let start = bufferCount
            buffer.withUnsafeMutableBytes { dst in
                UnsafeMutableRawBufferPointer(rebasing: dst[start..<start + take]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            }
            bufferCount += take
            offset += take
        }
    }

    /// Finishes the hash and returns the `digestByteCount`-byte digest.
    public mutating func finalize() -> [UInt8] {
        byteCounter &+= UInt128(bufferCount)
        for i in bufferCount..<Self.blockByteCount { buffer[i] = 0 }
        compress(isFinal: true)
        var out = [UInt8](repeating: 0, count: digestByteCount)
        for i in 0..<digestByteCount {
            out[i] = UInt8(truncatingIfNeeded: h[i / 8] >> (8 * UInt64(i % 8)))
        }
        return out
    }

    /// One-shot BLAKE2b.
    /// - Parameters:
    ///   - bytes: the message.
    ///   - digestByteCount: 1...64.
    ///   - key: 0...64 bytes.
    /// - Returns: The digest.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for an out-of-range length.
    public static func hash(_ bytes: [UInt8], digestByteCount: Int = 64, key: [UInt8] = []) throws -> [UInt8] {
        var hasher = try Blake2b(digestByteCount: digestByteCount, key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    @inline(__always)
    private static func mix(
        _ v: UnsafeMutableBufferPointer<UInt64>, _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64
    ) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = (v[d] ^ v[a]).rotateRight(32)
        v[c] = v[c] &+ v[d]
        v[b] = (v[b] ^ v[c]).rotateRight(24)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = (v[d] ^ v[a]).rotateRight(16)
        v[c] = v[c] &+ v[d]
        v[b] = (v[b] ^ v[c]).rotateRight(63)
    }

    private mutating func compress(isFinal: Bool) {
        let counter = byteCounter
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 32) { scratch in
            let v = UnsafeMutableBufferPointer(rebasing: scratch[0..<16])
            let m = UnsafeMutableBufferPointer(rebasing: scratch[16..<32])
            buffer.withUnsafeBytes { raw in
                for i in 0..<16 {
                    m[i] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                }
            }
            h.withUnsafeBufferPointer { hp in
                for i in 0..<8 {
                    v[i] = hp[i]
                    v[i + 8] = Self.iv[i]
                }
            }
            v[12] ^= UInt64(truncatingIfNeeded: counter)
            v[13] ^= UInt64(truncatingIfNeeded: counter >> 64)
            if isFinal { v[14] = ~v[14] }
            Self.sigma.withUnsafeBufferPointer { s in
                for round in 0..<12 {
                    let r = 16 * round
                    @inline(__always) func w(_ k: Int) -> UInt64 { m[Int(s[r + k])] }
                    Self.mix(v, 0, 4, 8, 12, w(0), w(1))
                    Self.mix(v, 1, 5, 9, 13, w(2), w(3))
                    Self.mix(v, 2, 6, 10, 14, w(4), w(5))
                    Self.mix(v, 3, 7, 11, 15, w(6), w(7))
                    Self.mix(v, 0, 5, 10, 15, w(8), w(9))
                    Self.mix(v, 1, 6, 11, 12, w(10), w(11))
                    Self.mix(v, 2, 7, 8, 13, w(12), w(13))
                    Self.mix(v, 3, 4, 9, 14, w(14), w(15))
                }
            }
            h.withUnsafeMutableBufferPointer { hp in
                for i in 0..<8 { hp[i] ^= v[i] ^ v[i + 8] }
            }
        }
    }
}

extension UInt64 {
    @inline(__always)
    func rotateRight(_ n: UInt64) -> UInt64 { (self >> n) | (self << (64 - n)) }

    @inline(__always)
    func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> ((64 - n) & 63)) }
}
