import NTT

extension Evaluator {
    /// Relinearizes a ciphertext of size m ≥ 3 and rescales it to the next level in one step: the key switches'
    /// division by the special prime P and the rescale's division by the last prime q are one rounded division
    /// by P·q.
    ///
    /// For a size-4 ciphertext (a size-3 times a size-2 product), c2 and c3 are both decomposed, multiplied by the
    /// keys for s² and s³ and summed in the same accumulators before that single division: one mod-down, not two
    /// key switches back to back. Every component c2 … c_{m−1} is handled the same way.
    ///
    /// The result decrypts to the same value as ``relinearizeInPlace(_:relinKeys:)`` followed by
    /// ``rescaleToNextInPlace(_:)`` and has the same scale (divided by q), but is not word-for-word equal to it:
    /// it rounds once instead of m − 1 times (so its error is at most that of the separate steps) and saves two
    /// inverse and ℓ−2 forward NTTs per polynomial and per key switch. A size-2 ciphertext is only rescaled.
    /// Not a SEAL operation.
    /// - Parameters:
    ///   - encrypted: a ciphertext of size m ≥ 2 above the last level.
    ///   - relinKeys: relinearization keys of this context holding s² … s^(m−1).
    /// - Throws: ``CKKSError/endOfModulusChain`` at the last level; ``CKKSError/invalidArgument(_:)`` naming a
    ///   missing key power; ``CKKSError`` for an invalid ciphertext, keys of another context, a new scale out of
    ///   bounds, or a transparent result.
    public func relinearizeAndRescaleInPlace(_ encrypted: inout Ciphertext, relinKeys: RelinKeys) throws {
        let level = try level(encrypted, "encrypted")
        let size = encrypted.size
        if size == 2 { return try rescaleToNextInPlace(&encrypted) }
        try checkRelinKeys(relinKeys, size: size, level: level)
        let (next, newScale) = try rescaleTarget(encrypted, from: level)
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        var done = false
        try withKeySwitch(keys: relinKeys.keys, indices: Array(0..<(size - 2)), level: level) { kernel, pointers in
            encrypted.data.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                // c2 … c_{m−1}, switched with the keys for s² … s^(m−1) (indexes 0 … m−3), read in place: the
                // kernel reads every target before it writes c0 and c1, which lie before them.
                let targets = (2..<size).map { UnsafePointer(base + $0 * n * k) }
                done = kernel.applyRescaling(
                    targets: targets, level: k, degree: n, keys: pointers, c0: base, c1: base + k * n)
                // c1's k−1 new rows move down to follow c0's.
                if done { (base + (k - 1) * n).update(from: base + k * n, count: (k - 1) * n) }
            }
        }
        guard done else {
            throw CKKSError.invalidParameters("no fused relinearize-and-rescale at a level of \(k) primes")
        }
        encrypted.data.removeLast((size * k - 2 * (k - 1)) * n)
        encrypted.size = 2
        encrypted.parmsID = next.parmsID
        encrypted.coeffModulusSize = k - 1
        encrypted.scale = newScale
        try Self.checkNotTransparent(encrypted)
    }

    /// The relinearized and rescaled ciphertext (see ``relinearizeAndRescaleInPlace(_:relinKeys:)``).
    /// - Parameters:
    ///   - encrypted: a ciphertext of size m ≥ 2 above the last level.
    ///   - relinKeys: relinearization keys of this context holding s² … s^(m−1).
    /// - Returns: a size-2 ciphertext at the next level.
    /// - Throws: as ``relinearizeAndRescaleInPlace(_:relinKeys:)``.
    public func relinearizeAndRescale(_ encrypted: Ciphertext, relinKeys: RelinKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try relinearizeAndRescaleInPlace(&$0, relinKeys: relinKeys) }
    }
}
