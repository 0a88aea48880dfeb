/// The CKKS encoder's floating-point half: the slot map and the special FFT over `Complex64`, bit-exact with SEAL.
///
/// Encoding places each slot value and its conjugate at the bit-reversed positions of the slot map, then runs
/// the inverse (Gentleman–Sande) transform with `scale / N` merged into its last stage; decoding runs the forward
/// (Cooley–Tukey) transform and reads the slots back. The loops follow SEAL's `DWTHandler` operation for operation
/// so that every intermediate double rounds the same way.
/// - Note: SEAL: ckks.cpp (CKKSEncoder constructor), util/dwthandler.h
package struct EncoderFFT: Sendable {
    /// The ring degree N (a power of two ≥ 2).
    package let degree: Int
    /// log2(N).
    package let logDegree: Int
    /// N/2, the number of complex slots.
    package var slotCount: Int { degree / 2 }
    /// `indexMap[i]` is the FFT position of slot i; `indexMap[N/2 + i]` that of its conjugate.
    package let indexMap: [Int]
    /// Roots for the forward transform (decode), read from index 1 on.
    @usableFromInline let rootPowers: [Complex64]
    /// Roots for the inverse transform (encode), read from index 1 on.
    @usableFromInline let inverseRootPowers: [Complex64]

    /// Builds the slot map and both root tables for degree N.
    /// - Parameter degree: N, a power of two ≥ 2 (callers validate it).
    package init(degree: Int) {
        assert(degree >= 2 && degree & (degree - 1) == 0)
        self.degree = degree
        let logN = Int.bitWidth - 1 - degree.leadingZeroBitCount
        logDegree = logN
        let slots = degree / 2
        let m = UInt64(degree) << 1
        var map = [Int](repeating: 0, count: degree)
        var pos: UInt64 = 1
        for i in 0..<slots {
            map[i] = Int(Self.reverseBits(Int((pos - 1) >> 1), logN))
            map[slots + i] = Int(Self.reverseBits(Int((m - pos - 1) >> 1), logN))
            pos = (pos &* 3) & (m - 1)
        }
        indexMap = map
        var forward = [Complex64](repeating: .zero, count: degree)
        var inverse = [Complex64](repeating: .zero, count: degree)
        if m >= 8 {
            let roots = ComplexRoots(degreeOfRoots: Int(m))
            for i in 1..<degree {
                forward[i] = roots.root(Self.reverseBits(i, logN))
                inverse[i] = roots.root(Self.reverseBits(i - 1, logN) + 1).conjugate
            }
        } else if m == 4 {
            forward[1] = Complex64(0, 1)
            inverse[1] = Complex64(0, -1)
        }
        rootPowers = forward
        inverseRootPowers = inverse
    }

    /// The low `bits` bits of `value` in reverse order.
    @inlinable
    static func reverseBits(_ value: Int, _ bits: Int) -> Int {
        var v = value
        var r = 0
        for _ in 0..<bits {
            r = (r << 1) | (v & 1)
            v >>= 1
        }
        return r
    }

    /// The inverse transform with `scalar` merged into the last stage (`transform_from_rev`).
    ///
    /// Ordinary stages compute `x ← u + v`, `y ← (u − v)·r`; the last computes `x ← (u + v)·s`, `y ← (u − v)·(r·s)`.
    /// - Parameters:
    ///   - values: N values in the FFT order, transformed in place.
    ///   - scalar: the factor merged into the last stage (the encoder passes `scale / N`).
    @inlinable
    package func inverseTransform(_ values: UnsafeMutablePointer<Complex64>, scalar: Double) {
        let n = degree
        inverseRootPowers.withUnsafeBufferPointer { roots in
            var rootIndex = 0
            var gap = 1
            var m = n >> 1
            while m > 1 {
                var offset = 0
                for _ in 0..<m {
                    rootIndex += 1
                    let r = roots[rootIndex]
                    let x = values + offset
                    let y = x + gap
                    for j in 0..<gap {
                        let u = x[j]
                        let v = y[j]
                        x[j] = u + v
                        y[j] = (u - v) * r
                    }
                    offset += gap << 1
                }
                gap <<= 1
                m >>= 1
            }
            rootIndex += 1
            let scaledRoot = roots[rootIndex] * scalar
            let y = values + gap
            for j in 0..<gap {
                let u = values[j]
                let v = y[j]
                values[j] = (u + v) * scalar
                y[j] = (u - v) * scaledRoot
            }
        }
    }

    /// The forward transform without a scalar (`transform_to_rev`): `v = y·r`, `x ← u + v`, `y ← u − v`.
    /// - Parameter values: N values, transformed in place into the FFT order.
    @inlinable
    package func forwardTransform(_ values: UnsafeMutablePointer<Complex64>) {
        let n = degree
        rootPowers.withUnsafeBufferPointer { roots in
            var rootIndex = 0
            var gap = n >> 1
            var m = 1
            while m < n {
                var offset = 0
                for _ in 0..<m {
                    rootIndex += 1
                    let r = roots[rootIndex]
                    let x = values + offset
                    let y = x + gap
                    for j in 0..<gap {
                        let u = x[j]
                        let v = y[j] * r
                        x[j] = u + v
                        y[j] = u - v
                    }
                    offset += gap << 1
                }
                gap >>= 1
                m <<= 1
            }
        }
    }
}
