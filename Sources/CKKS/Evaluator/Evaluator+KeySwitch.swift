import NTT

extension Evaluator {
    /// Calls `body` with stable pointers to the data of each key ciphertext.
    private static func withKeyPointers<R>(
        _ keys: ArraySlice<PublicKey>, _ collected: [UnsafePointer<UInt64>] = [],
        _ body: ([UnsafePointer<UInt64>]) -> R
    ) -> R {
        guard let first = keys.first else { return body(collected) }
        return first.data.data.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return body(collected) }
            return withKeyPointers(keys.dropFirst(), collected + [base], body)
        }
    }

    /// Adds the key switch of `target` (the ciphertext's level, NTT form) with `keys.data[index]` into c0 and c1
    /// of `encrypted` (`switch_key_inplace`).
    /// - Parameters:
    ///   - encrypted: a size-2 prefix receives the result.
    ///   - target: ℓ NTT-form rows at the ciphertext's level.
    ///   - keys: key-switching keys at the key level.
    ///   - index: which key vector to use.
    ///   - level: the ciphertext's level.
    /// - Throws: ``CKKSError`` for keys of another context or a missing key vector.
    func switchKeyInPlace(
        _ encrypted: inout Ciphertext, target: UnsafePointer<UInt64>, keys: KSwitchKeys, index: Int,
        level: ContextData
    ) throws {
        try withKeySwitch(keys: keys, index: index, level: level) { kernel, pointers in
            encrypted.data.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                let l = level.coeffModulus.count, n = level.polyModulusDegree
                kernel.apply(target: target, level: l, degree: n, keys: pointers, c0: base, c1: base + l * n)
            }
        }
    }

    /// Checks the keys for a key switch at `level` and calls `body` with the kernel and the key data pointers.
    /// - Throws: ``CKKSError`` for a one-prime context, keys of another context or a missing key vector.
    func withKeySwitch(
        keys: KSwitchKeys, index: Int, level: ContextData,
        _ body: (KeySwitchKernel, [UnsafePointer<UInt64>]) -> Void
    ) throws {
        guard let kernel = keySwitch else {
            throw CKKSError.invalidParameters("key switching is not supported by a context with one prime")
        }
        let keyLevel = context.keyContextData
        guard keys.parmsID == keyLevel.parmsID else {
            throw CKKSError.parameterMismatch("the key-switching keys are not at the context's key level")
        }
        let l = level.coeffModulus.count
        let n = level.polyModulusDegree
        guard index < keys.data.count, keys.data[index].count >= l else {
            throw CKKSError.invalidArgument("key-switching key \(index) is missing or has too few parts for this level")
        }
        let keyWords = 2 * n * keyLevel.coeffModulus.count
        for key in keys.data[index] where key.parmsID != keyLevel.parmsID || key.data.data.count != keyWords {
            throw CKKSError.sizeMismatch(
                object: "key-switching key", field: "data", expected: keyWords, found: key.data.data.count)
        }
        Self.withKeyPointers(keys.data[index][...]) { pointers in body(kernel, pointers) }
    }

    /// Relinearizes a size-3 ciphertext back to size 2 in place (`relinearize_inplace`); size 2 is left as is.
    /// - Parameters:
    ///   - encrypted: a ciphertext of size 2 or 3.
    ///   - relinKeys: relinearization keys of this context.
    /// - Throws: ``CKKSError`` for an invalid ciphertext, keys of another context, a size above 3, or a transparent
    ///   result.
    public func relinearizeInPlace(_ encrypted: inout Ciphertext, relinKeys: RelinKeys) throws {
        let level = try level(encrypted, "encrypted")
        if encrypted.size == 2 { return }
        guard encrypted.size == 3 else {
            throw CKKSError.invalidArgument(
                "a ciphertext of size \(encrypted.size) needs relinearization keys beyond s², which are never created")
        }
        guard relinKeys.hasKey(keyPower: 2) else { throw CKKSError.invalidArgument("not enough relinearization keys") }
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        let target = Array(encrypted.data[(2 * n * k)...])
        encrypted.data.removeLast(n * k)
        encrypted.size = 2
        try target.withUnsafeBufferPointer { t in
            guard let base = t.baseAddress else { return }
            try switchKeyInPlace(&encrypted, target: base, keys: relinKeys.keys, index: 0, level: level)
        }
        try Self.checkNotTransparent(encrypted)
    }

    /// The relinearization of a ciphertext (`relinearize`).
    /// - Parameters:
    ///   - encrypted: a ciphertext of size 2 or 3.
    ///   - relinKeys: relinearization keys of this context.
    /// - Returns: a size-2 ciphertext decrypting to the same value.
    /// - Throws: as ``relinearizeInPlace(_:relinKeys:)``.
    public func relinearize(_ encrypted: Ciphertext, relinKeys: RelinKeys) throws -> Ciphertext {
        try Self.copying(encrypted) { try relinearizeInPlace(&$0, relinKeys: relinKeys) }
    }
}
