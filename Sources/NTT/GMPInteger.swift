import CGMP

/// A GMP integer (`mpz_t`) owned by a Swift object: the exact big-integer arithmetic behind CRT composition.
///
/// gmp.h's `mpz_*` names are macros Swift cannot import, so this calls the exported `__gmpz_*` functions.
/// Not `Sendable`: each value is used by one thread at a time (scratch values are made per call).
package final class GMPInteger {
    /// The `mpz_t` storage.
    package let pointer: UnsafeMutablePointer<__mpz_struct>

    /// Zero.
    package init() {
        pointer = .allocate(capacity: 1)
        __gmpz_init(pointer)
    }

    /// The value of little-endian words.
    package convenience init(words: [UInt64]) {
        self.init()
        set(words: words)
    }

    deinit {
        __gmpz_clear(pointer)
        pointer.deallocate()
    }

    /// Sets the value from `count` little-endian words.
    package func set(words: UnsafePointer<UInt64>, count: Int) {
        // order -1: least significant word first; endian 0: native byte order inside each word.
        __gmpz_import(pointer, count, -1, 8, 0, 0, words)
    }

    /// Sets the value from little-endian words.
    package func set(words: [UInt64]) {
        words.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { set(words: base, count: buffer.count) } else { setZero() }
        }
    }

    /// Sets the value to zero.
    package func setZero() { __gmpz_set_ui(pointer, 0) }

    /// The number of 64-bit words the value needs (0 for zero).
    package var wordCount: Int { (Int(__gmpz_sizeinbase(pointer, 2)) + 63) / 64 - (isZero ? 1 : 0) }

    /// Whether the value is zero.
    package var isZero: Bool { pointer.pointee._mp_size == 0 }

    /// Writes the value as exactly `count` little-endian words (the value must fit).
    package func export(into output: UnsafeMutablePointer<UInt64>, count: Int) {
        precondition(wordCount <= count, "GMP value does not fit in the requested words")
        output.initialize(repeating: 0, count: count)
        var written = 0
        __gmpz_export(output, &written, -1, 8, 0, 0, pointer)
    }

    /// The value as exactly `count` little-endian words (the value must fit).
    package func words(count: Int) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { export(into: base, count: count) }
            initialized = count
        }
    }

    /// self ← self + a · b.
    package func addProduct(_ a: GMPInteger, _ b: UInt64) { __gmpz_addmul_ui(pointer, a.pointer, UInt(b)) }

    /// self ← self · b.
    package func multiply(by b: UInt64) { __gmpz_mul_ui(pointer, pointer, UInt(b)) }

    /// self ← ⌊self / 2⌋.
    package func divideByTwo() { __gmpz_fdiv_q_2exp(pointer, pointer, 1) }

    /// self ← self mod m (non-negative result).
    package func reduce(modulo m: GMPInteger) { __gmpz_mod(pointer, pointer, m.pointer) }

    /// self mod m for a word m.
    package func remainder(dividingBy m: UInt64) -> UInt64 { UInt64(__gmpz_fdiv_ui(pointer, UInt(m))) }
}
