import NTT

extension Evaluator {
    /// Checks that `relinKeys` can relinearize a ciphertext of `size` components at `level`: it needs the keys for
    /// s², …, s^(size−1), each valid for a key switch at that level.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` naming the first missing key power; ``CKKSError`` for keys of
    ///   another context or malformed keys.
    func checkRelinKeys(_ relinKeys: RelinKeys, size: Int, level: ContextData) throws {
        for power in 2..<max(size, 2) {
            guard relinKeys.hasKey(keyPower: power) else {
                throw CKKSError.invalidArgument(
                    "relinearizing a ciphertext of size \(size) needs the relinearization key for s^\(power), "
                        + "which these keys lack; create them with createRelinKeys(maxPower: \(size - 1))")
            }
            try checkKeySwitchKeys(relinKeys.keys, index: power - 2, level: level)
        }
    }

    /// Relinearizes a ciphertext of any size m ≥ 2 back to size 2 in place (`relinearize_inplace`); size 2 is left
    /// as is.
    ///
    /// As SEAL's algorithm intends, the highest component is switched down one at a time: c_{m−1} with the key for
    /// s^(m−1), then c_{m−2} with the key for s^(m−2), …, down to c2 with s², each key switch added into c0 and c1.
    /// Size 3 is SEAL's `relinearize_inplace`, word for word.
    /// - Parameters:
    ///   - encrypted: a ciphertext of size m ≥ 2.
    ///   - relinKeys: relinearization keys of this context holding s² … s^(m−1)
    ///     (``KeyGenerator/createRelinKeys(maxPower:seeded:)`` with maxPower ≥ m − 1).
    /// - Throws: ``CKKSError/invalidArgument(_:)`` naming a missing key power; ``CKKSError`` for an invalid
    ///   ciphertext, keys of another context, or a transparent result.
    /// - Note: SEAL: evaluator.cpp `relinearize_internal`. SEAL 4.x's loop passes the last component as the target
    ///   of every step (so it never switches c2 of a size-4 ciphertext and decrypts wrongly); this switches each
    ///   component once, as SEAL 3.x did.
    public func relinearizeInPlace(_ encrypted: inout Ciphertext, relinKeys: RelinKeys) throws {
        let level = try level(encrypted, "encrypted")
        let size = encrypted.size
        if size == 2 { return }
        try checkRelinKeys(relinKeys, size: size, level: level)
        let poly = level.polyModulusDegree * level.coeffModulus.count
        for power in stride(from: size - 1, through: 2, by: -1) {
            let target = Array(encrypted.data[(power * poly)...])
            encrypted.data.removeLast(poly)
            encrypted.size = power
            try target.withUnsafeBufferPointer { t in
                guard let base = t.baseAddress else { return }
                try switchKeyInPlace(&encrypted, target: base, keys: relinKeys.keys, index: power - 2, level: level)
            }
        }
        try Self.checkNotTransparent(encrypted)
    }

    /// The relinearization of a ciphertext (`relinearize`).
    /// - Parameters:
    ///   - encrypted: a ciphertext of size m ≥ 2.
    ///   - relinKeys: relinearization keys of this context holding s² … s^(m−1).
    /// - Returns: a size-2 ciphertext decrypting to the same value.
    /// - Throws: as ``relinearizeInPlace(_:relinKeys:)``.
    public func relinearize(_ encrypted: Ciphertext, relinKeys: RelinKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try relinearizeInPlace(&$0, relinKeys: relinKeys) }
    }
}
