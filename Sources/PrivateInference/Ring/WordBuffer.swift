import CKKS

/// Words at a stable address for the multiply-accumulate kernel (an owned allocation, freed with the object).
package final class WordBuffer: @unchecked Sendable {
    /// The first word.
    package let pointer: UnsafeMutablePointer<UInt64>
    /// The number of words.
    let count: Int

    /// `count` zero words.
    package init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    /// `count` words left for the caller to write before any read.
    init(uninitializedCount count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
    }

    /// A copy of `words`.
    package init(_ words: [UInt64]) {
        count = words.count
        pointer = .allocate(capacity: words.count)
        words.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { pointer.initialize(from: base, count: words.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// The words as an array.
    var array: [UInt64] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

extension HEContext {
    /// A ciphertext holding a copy of `words`.
    func ciphertext(_ words: WordBuffer, size: Int, primes k: Int, scale: Double) -> Ciphertext {
        Ciphertext(
            unchecked: parmsIDs[k], size: size, polyModulusDegree: degree, coeffModulusSize: k, scale: scale,
            data: words.array)
    }
}
