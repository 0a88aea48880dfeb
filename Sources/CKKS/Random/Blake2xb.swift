/// BLAKE2Xb, the extendable-output variant of BLAKE2b, as SEAL's default PRNG uses it.
///
/// The root hash is a keyed BLAKE2b-512 whose parameter block also carries `xof_length`; output block i is an
/// unkeyed BLAKE2b of the root hash with `node_offset` i, `leaf_length` and `inner_length` 64, depth 0.
/// - Note: SEAL: util/blake2xb.c `blake2xb`, randomgen.cpp `Blake2xbPRNG::refill_buffer`.
package enum Blake2xb {
    /// BLAKE2Xb with `outputByteCount` bytes of output (1 through 2^32 - 1).
    /// - Parameters:
    ///   - message: the input.
    ///   - key: 0...64 bytes.
    ///   - outputByteCount: the XOF length, which also enters every parameter block.
    /// - Returns: The output bytes.
    package static func hash(_ message: [UInt8], key: [UInt8], outputByteCount: Int) -> [UInt8] {
        assert(key.count <= 64 && outputByteCount > 0 && outputByteCount <= Int(UInt32.max))
        let xof = UInt32(truncatingIfNeeded: outputByteCount)
        var parameters = [UInt8](repeating: 0, count: 64)
        parameters[0] = 64  // digest length of the root
        parameters[1] = UInt8(key.count)
        parameters[2] = 1  // fanout
        parameters[3] = 1  // depth
        store32(xof, into: &parameters, at: 12)
        var root = Blake2b(parameterBlock: parameters)
        if !key.isEmpty {
            var block = key
            block.append(contentsOf: repeatElement(0, count: Blake2b.blockByteCount - key.count))
            root.update(block)
        }
        root.update(message)
        let rootHash = root.finalize()

        // Output nodes: copy the root's block, then change what differs.
        parameters[1] = 0  // key length
        parameters[2] = 0  // fanout
        parameters[3] = 0  // depth
        store32(64, into: &parameters, at: 4)  // leaf length
        parameters[16] = 0  // node depth
        parameters[17] = 64  // inner length
        var out = [UInt8]()
        out.reserveCapacity(outputByteCount)
        var remaining = outputByteCount
        var node: UInt32 = 0
        while remaining > 0 {
            let blockSize = min(remaining, Blake2b.maxDigestByteCount)
            parameters[0] = UInt8(blockSize)
            store32(node, into: &parameters, at: 8)
            var hasher = Blake2b(parameterBlock: parameters)
            hasher.update(rootHash)
            out.append(contentsOf: hasher.finalize())
            remaining -= blockSize
            node &+= 1
        }
        return out
    }

    private static func store32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for b in 0..<4 { bytes[offset + b] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(b))) }
    }
}
