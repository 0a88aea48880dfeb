import NTT

extension Evaluator {
    /// The next level of a ciphertext's or plaintext's level, or ``CKKSError/endOfModulusChain``.
    func nextLevel(after level: ContextData) throws -> ContextData {
        guard let id = level.nextParmsID, let next = context.contextData(for: id) else {
            throw CKKSError.endOfModulusChain
        }
        return next
    }

    /// The next level and the scale divided by the level's last prime, for a rescale of `encrypted` from `level`.
    /// - Throws: ``CKKSError/endOfModulusChain`` at the last level, ``CKKSError/scaleOutOfBounds(_:)`` when the new
    ///   scale does not fit the next level.
    func rescaleTarget(_ encrypted: Ciphertext, from level: ContextData) throws -> (ContextData, Double) {
        let next = try nextLevel(after: level)
        let lastPrime = level.coeffModulus[level.coeffModulus.count - 1].value
        let newScale = encrypted.scale / Double(lastPrime)
        guard CiphertextValidation.isScaleWithinBounds(newScale, level: next) else {
            throw CKKSError.scaleOutOfBounds(newScale)
        }
        return (next, newScale)
    }

    /// Keeps the first `k − 1` rows of every polynomial (moved down in place) and moves the ciphertext to `next`.
    private static func dropLastRow(_ encrypted: inout Ciphertext, from level: ContextData, to next: ContextData) {
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        let size = encrypted.size
        encrypted.data.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            // Regions may overlap; update(from:count:) copies like memmove.
            for p in 1..<size { (base + p * (k - 1) * n).update(from: base + p * k * n, count: (k - 1) * n) }
        }
        encrypted.data.removeLast(size * n)
        encrypted.parmsID = next.parmsID
        encrypted.coeffModulusSize = k - 1
    }

    /// Divides a ciphertext by the last prime of its level with rounding and moves it to the next level
    /// (`rescale_to_next_inplace`); the scale is divided by that prime (as a double).
    /// - Parameter encrypted: a ciphertext above the last level.
    /// - Throws: ``CKKSError/endOfModulusChain`` at the last level; ``CKKSError`` for an invalid ciphertext, a new
    ///   scale out of bounds, or a transparent result.
    public func rescaleToNextInPlace(_ encrypted: inout Ciphertext) throws {
        let level = try level(encrypted, "encrypted")
        let (next, newScale) = try rescaleTarget(encrypted, from: level)
        let n = level.polyModulusDegree
        let k = level.coeffModulus.count
        let down = DivideAndRoundLast(level: level)
        var scratch = [UInt64](repeating: 0, count: n)
        let size = encrypted.size
        scratch.withUnsafeMutableBufferPointer { s in
            encrypted.data.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress, let sBase = s.baseAddress else { return }
                for p in 0..<size { down.apply(base + p * k * n, degree: n, scratch: sBase) }
            }
        }
        Self.dropLastRow(&encrypted, from: level, to: next)
        encrypted.scale = newScale
        try Self.checkNotTransparent(encrypted)
    }

    /// The rescaled ciphertext (`rescale_to_next`).
    /// - Parameter encrypted: a ciphertext above the last level.
    /// - Returns: the ciphertext at the next level with scale divided by the dropped prime.
    /// - Throws: as ``rescaleToNextInPlace(_:)``.
    public func rescaleToNext(_ encrypted: Ciphertext) throws -> Ciphertext {
        try Self.copying(encrypted) { try rescaleToNextInPlace(&$0) }
    }

    /// Moves a ciphertext to the next level by dropping the last prime, without changing the scale
    /// (`mod_switch_to_next_inplace`).
    /// - Parameter encrypted: a ciphertext above the last level.
    /// - Throws: ``CKKSError/endOfModulusChain`` at the last level; ``CKKSError/scaleOutOfBounds(_:)`` if the scale
    ///   is too large for the next level.
    public func modSwitchToNextInPlace(_ encrypted: inout Ciphertext) throws {
        let level = try level(encrypted, "encrypted")
        let next = try nextLevel(after: level)
        guard CiphertextValidation.isScaleWithinBounds(encrypted.scale, level: next) else {
            throw CKKSError.scaleOutOfBounds(encrypted.scale)
        }
        Self.dropLastRow(&encrypted, from: level, to: next)
        try Self.checkNotTransparent(encrypted)
    }

    /// The ciphertext moved to the next level (`mod_switch_to_next`).
    /// - Parameter encrypted: a ciphertext above the last level.
    /// - Returns: the ciphertext at the next level.
    /// - Throws: as ``modSwitchToNextInPlace(_:)-(Ciphertext)``.
    public func modSwitchToNext(_ encrypted: Ciphertext) throws -> Ciphertext {
        try Self.copying(encrypted) { try modSwitchToNextInPlace(&$0) }
    }

    /// Moves a ciphertext down to the level `parmsID` by repeated ``modSwitchToNextInPlace(_:)-(Ciphertext)``
    /// (`mod_switch_to_inplace`).
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - parmsID: a level at or below the ciphertext's.
    /// - Throws: ``CKKSError`` for an unknown level or one above the ciphertext's.
    public func modSwitchToInPlace(_ encrypted: inout Ciphertext, parmsID: ParmsID) throws {
        try stepDown(&encrypted, from: level(encrypted, "encrypted"), to: parmsID, at: \.parmsID) {
            try modSwitchToNextInPlace(&$0)
        }
    }

    /// Repeats `step` on `value` (at `level`) until its level is `parmsID`, after checking that level is below.
    private func stepDown<T>(
        _ value: inout T, from level: ContextData, to parmsID: ParmsID, at current: KeyPath<T, ParmsID>,
        _ step: (inout T) throws -> Void
    ) throws {
        guard let target = context.contextData(for: parmsID) else {
            throw CKKSError.unknownParmsID(object: "target level", parmsID: parmsID)
        }
        guard target.chainIndex <= level.chainIndex else {
            throw CKKSError.parameterMismatch("cannot move to a higher level of the modulus chain")
        }
        while value[keyPath: current] != parmsID { try step(&value) }
    }

    /// Rescales a ciphertext repeatedly until it reaches the level `parmsID` (`rescale_to_inplace`).
    /// - Parameters:
    ///   - encrypted: the ciphertext.
    ///   - parmsID: a level at or below the ciphertext's.
    /// - Throws: ``CKKSError`` for an unknown level, one above the ciphertext's, or a scale out of bounds.
    public func rescaleToInPlace(_ encrypted: inout Ciphertext, parmsID: ParmsID) throws {
        try stepDown(&encrypted, from: level(encrypted, "encrypted"), to: parmsID, at: \.parmsID) {
            try rescaleToNextInPlace(&$0)
        }
    }

    /// Moves a plaintext down to the level `parmsID` by dropping rows (`mod_switch_to_inplace` for plaintexts).
    /// - Parameters:
    ///   - plain: an NTT-form plaintext.
    ///   - parmsID: a level at or below the plaintext's.
    /// - Throws: ``CKKSError`` for an unknown level, one above the plaintext's, or a scale out of bounds.
    public func modSwitchToInPlace(_ plain: inout Plaintext, parmsID: ParmsID) throws {
        try stepDown(&plain, from: CiphertextValidation.level(of: plain, in: context), to: parmsID, at: \.parmsID) {
            try modSwitchToNextInPlace(&$0)
        }
    }

    /// Moves a plaintext to the next level by dropping its last prime's row (`mod_switch_to_next_inplace`).
    /// - Parameter plain: an NTT-form plaintext above the last level.
    /// - Throws: ``CKKSError/endOfModulusChain`` at the last level; ``CKKSError/scaleOutOfBounds(_:)`` if the scale
    ///   is too large for the next level.
    public func modSwitchToNextInPlace(_ plain: inout Plaintext) throws {
        let level = try CiphertextValidation.level(of: plain, in: context)
        let next = try nextLevel(after: level)
        guard CiphertextValidation.isScaleWithinBounds(plain.scale, level: next) else {
            throw CKKSError.scaleOutOfBounds(plain.scale)
        }
        plain.data.removeLast(level.polyModulusDegree)
        plain.parmsID = next.parmsID
    }

    /// The plaintext moved to the next level (`mod_switch_to_next`).
    /// - Parameter plain: an NTT-form plaintext above the last level.
    /// - Returns: the plaintext at the next level.
    /// - Throws: as ``modSwitchToNextInPlace(_:)-(Plaintext)``.
    public func modSwitchToNext(_ plain: Plaintext) throws -> Plaintext {
        try Self.copying(plain) { try modSwitchToNextInPlace(&$0) }
    }
}
