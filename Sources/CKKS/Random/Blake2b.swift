/// BLAKE2b (RFC 7693): the hash behind SEAL's `parms_id` and, through BLAKE2Xb, its default PRNG.
///
/// The state is initialised from a raw 64-byte parameter block, so the tree-hashing variants that BLAKE2Xb
/// needs (depth 0, node offsets, `xof_length`) can be expressed; the ordinary unkeyed or keyed hash is
/// ``init(digestByteCount:key:)``.
/// - Note: SEAL: util/blake2b.c, util/blake2xb.c (reference BLAKE2 code).
package struct Blake2b: Sendable {
    /// Bytes per compression block.
    package static let blockByteCount = 128
    /// The longest digest (and key) BLAKE2b supports, in bytes.
    package static let maxDigestByteCount = 64

    private var h: Blake2bCompression.Words
    private var buffer: [UInt8]
    private var bufferCount = 0
    private var byteCounter: UInt128 = 0
    /// The digest length this hasher produces, in bytes (1...64).
    package let digestByteCount: Int

    /// A BLAKE2b hasher for a plain (sequential-mode) hash, optionally keyed (MAC mode).
    /// - Parameters:
    ///   - digestByteCount: 1...64.
    ///   - key: 0...64 bytes; an empty key is the unkeyed hash.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for an out-of-range length.
    package init(digestByteCount: Int = 64, key: [UInt8] = []) throws {
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
        func word(_ i: Int) -> UInt64 {
            var word: UInt64 = 0
            for b in 0..<8 { word |= UInt64(p[8 * i + b]) << (8 * UInt64(b)) }
            return word
        }
        let iv = Blake2bCompression.iv
        h = (
            iv.0 ^ word(0), iv.1 ^ word(1), iv.2 ^ word(2), iv.3 ^ word(3), iv.4 ^ word(4), iv.5 ^ word(5),
            iv.6 ^ word(6), iv.7 ^ word(7)
        )
        buffer = [UInt8](repeating: 0, count: Self.blockByteCount)
        digestByteCount = Int(p[0])
    }

    /// Absorbs bytes.
    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Absorbs bytes from raw memory.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            // The last block must be compressed with the final flag, so a full buffer waits for more input.
            if bufferCount == Self.blockByteCount {
                byteCounter &+= UInt128(Self.blockByteCount)
                buffer.withUnsafeBytes { compressBlock($0.baseAddress, isFinal: false) }
                bufferCount = 0
            }
            // Whole blocks straight from the input, as long as more input follows them.
            while bufferCount == 0 && bytes.count - offset > Self.blockByteCount {
                byteCounter &+= UInt128(Self.blockByteCount)
                compressBlock(base + offset, isFinal: false)
                offset += Self.blockByteCount
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
    package mutating func finalize() -> [UInt8] {
        byteCounter &+= UInt128(bufferCount)
        for i in bufferCount..<Self.blockByteCount { buffer[i] = 0 }
        buffer.withUnsafeBytes { compressBlock($0.baseAddress, isFinal: true) }
        var out = [UInt8](repeating: 0, count: digestByteCount)
        withUnsafeBytes(of: h) { words in
            for i in 0..<digestByteCount {
                out[i] = UInt8(
                    truncatingIfNeeded: words.load(fromByteOffset: 8 * (i / 8), as: UInt64.self) >> (8 * UInt64(i % 8)))
            }
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
    package static func hash(_ bytes: [UInt8], digestByteCount: Int = 64, key: [UInt8] = []) throws -> [UInt8] {
        var hasher = try Blake2b(digestByteCount: digestByteCount, key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Compresses the 128 bytes at `block` with the current byte counter.
    private mutating func compressBlock(_ block: UnsafeRawPointer?, isFinal: Bool) {
        guard let block else { return }
        Blake2bCompression.compress(
            &h, block: block, counterLow: UInt64(truncatingIfNeeded: byteCounter),
            counterHigh: UInt64(truncatingIfNeeded: byteCounter >> 64), isFinal: isFinal)
    }
}

extension UInt64 {
    @inline(__always)
    func rotateRight(_ n: UInt64) -> UInt64 { (self >> n) | (self << (64 - n)) }

    @inline(__always)
    func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> ((64 - n) & 63)) }
}
