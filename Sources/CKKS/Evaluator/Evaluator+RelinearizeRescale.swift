import NTT

extension Evaluator {
    /// Relinearizes a size-3 ciphertext and rescales it to the next level in one step: the key switch's division
    /// by the special prime P and the rescale's division by the last prime q are one rounded division by P·q.
    ///
    /// The result decrypts to the same value as ``relinearizeInPlace(_:relinKeys:)`` followed by
    /// ``rescaleToNextInPlace(_:)`` and has the same scale (divided by q), but is not word-for-word equal to it:
    /// it rounds once instead of twice (so its error is at most that of the two steps) and saves two inverse and
    /// ℓ−2 forward NTTs per polynomial. A size-2 ciphertext is only rescaled. Not a SEAL operation.
    /// - Parameters:
    ///   - encrypted: a ciphertext of size 2 or 3 above the last level.
    ///   - relinKeys: relinearization keys of this context.
    /// - Throws: ``CKKSError/endOfModulusChain`` at the last level; ``CKKSError`` for an invalid ciphertext, keys of
    ///   another context, a size above 3, a new scale out of bounds, or a transparent result.
    public func relinearizeAndRescaleInPlace(_ encrypted: inout Ciphertext, relinKeys: RelinKeys) throws {
        let level = try level(encrypted, "encrypted")
        if encrypted.size == 2 { return try rescaleToNextInPlace(&encrypted) }
        guard encrypted.size == 3 else {
            throw CKKSError.invalidArgument(
                "a ciphertext of size \(encrypted.size) needs relinearization keys beyond s², which are never created")
        }
        guard relinKeys.hasKey(keyPower: 2) else { throw CKKSError.invalidArgument("not enough relinearization keys") }
        let (next, newScale) = try rescaleTarget(encrypted, from: level)
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        let target = Array(encrypted.data[(2 * n * k)...])
        var done = false
        try withKeySwitch(keys: relinKeys.keys, index: 0, level: level) { kernel, pointers in
            target.withUnsafeBufferPointer { t in
                encrypted.data.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress, let tBase = t.baseAddress else { return }
                    done = kernel.applyRescaling(
                        target: tBase, level: k, degree: n, keys: pointers, c0: base, c1: base + k * n)
                    // c1's k−1 new rows move down to follow c0's.
                    if done { (base + (k - 1) * n).update(from: base + k * n, count: (k - 1) * n) }
                }
            }
        }
        guard done else {
            throw CKKSError.invalidParameters("no fused relinearize-and-rescale at a level of \(k) primes")
        }
        encrypted.data.removeLast((3 * k - 2 * (k - 1)) * n)
        encrypted.size = 2
        encrypted.parmsID = next.parmsID
        encrypted.coeffModulusSize = k - 1
        encrypted.scale = newScale
        try Self.checkNotTransparent(encrypted)
    }

    /// The relinearized and rescaled ciphertext (see ``relinearizeAndRescaleInPlace(_:relinKeys:)``).
    /// - Parameters:
    ///   - encrypted: a ciphertext of size 2 or 3 above the last level.
    ///   - relinKeys: relinearization keys of this context.
    /// - Returns: a size-2 ciphertext at the next level.
    /// - Throws: as ``relinearizeAndRescaleInPlace(_:relinKeys:)``.
    public func relinearizeAndRescale(_ encrypted: Ciphertext, relinKeys: RelinKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try relinearizeAndRescaleInPlace(&$0, relinKeys: relinKeys) }
    }
}
