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
        try withKeySwitch(keys: keys, indices: [index], level: level) { kernel, pointers in
            encrypted.data.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                let l = level.coeffModulus.count, n = level.polyModulusDegree
                kernel.apply(target: target, level: l, degree: n, keys: pointers, c0: base, c1: base + l * n)
            }
        }
    }

    /// Checks that `keys.data[index]` can key-switch a ciphertext at `level`.
    /// - Throws: ``CKKSError`` for a one-prime context, keys of another context or a missing or malformed key
    ///   vector.
    func checkKeySwitchKeys(_ keys: KSwitchKeys, index: Int, level: ContextData) throws {
        guard keySwitch != nil else {
            throw CKKSError.invalidParameters("key switching is not supported by a context with one prime")
        }
        let keyLevel = context.keyContextData
        guard keys.parmsID == keyLevel.parmsID else {
            throw CKKSError.parameterMismatch("the key-switching keys are not at the context's key level")
        }
        let l = level.coeffModulus.count
        guard index >= 0, index < keys.data.count, keys.data[index].count >= l else {
            throw CKKSError.invalidArgument("key-switching key \(index) is missing or has too few parts for this level")
        }
        let keyWords = 2 * level.polyModulusDegree * keyLevel.coeffModulus.count
        for key in keys.data[index] where key.parmsID != keyLevel.parmsID || key.data.data.count != keyWords {
            throw CKKSError.sizeMismatch(
                object: "key-switching key", field: "data", expected: keyWords, found: key.data.data.count)
        }
    }

    /// Checks the keys for a key switch at `level` and calls `body` with the kernel and the key data pointers:
    /// for the t-th index, its first ℓ decomposition keys at `pointers[t·ℓ ..< (t+1)·ℓ]`.
    /// - Throws: ``CKKSError`` for a one-prime context, keys of another context or a missing key vector.
    func withKeySwitch(
        keys: KSwitchKeys, indices: [Int], level: ContextData,
        _ body: (KeySwitchKernel, [UnsafePointer<UInt64>]) -> Void
    ) throws {
        for index in indices { try checkKeySwitchKeys(keys, index: index, level: level) }
        guard let kernel = keySwitch else { return }
        let l = level.coeffModulus.count
        let used = indices.flatMap { keys.data[$0][0..<l] }
        Self.withKeyPointers(used[...]) { pointers in body(kernel, pointers) }
    }
}
