// Negacyclic NTT with Harvey's lazy butterflies, ported from SEAL's util/ntt.cpp and util/dwthandler.h.
// Ranges: the forward transform accepts [0, 4q) and leaves [0, 4q); the inverse accepts [0, 2q) and leaves
// [0, 2q); the reducing wrappers fold into [0, q) inside their last stage instead of a separate pass.

extension NTTTables {
    /// Forward negacyclic NTT in place, fully reduced: word k becomes a(ψ^(2·bitrev(k)+1)) mod q.
    ///
    /// - Parameter values: `degree` words in `[0, 4q)`; on return in `[0, q)`, the same words as SEAL's
    ///   `ntt_negacyclic_harvey`.
    /// - Note: SEAL: util/ntt.cpp `ntt_negacyclic_harvey`
    @inlinable
    package func forward(_ values: UnsafeMutablePointer<UInt64>) {
        rootTable.withUnsafeBufferPointer { roots in
            guard let base = roots.baseAddress else { return }
            NTTKernels.forward(values, logN: logDegree, q: modulus.value, roots: base, reduce: true)
        }
    }

    /// Forward negacyclic NTT in place, lazily reduced.
    ///
    /// - Parameter values: `degree` words in `[0, 4q)`; on return in `[0, 4q)`, congruent to `forward`'s output.
    /// - Note: SEAL: util/ntt.h `ntt_negacyclic_harvey_lazy`
    @inlinable
    package func forwardLazy(_ values: UnsafeMutablePointer<UInt64>) {
        rootTable.withUnsafeBufferPointer { roots in
            guard let base = roots.baseAddress else { return }
            NTTKernels.forward(values, logN: logDegree, q: modulus.value, roots: base, reduce: false)
        }
    }

    /// Inverse negacyclic NTT in place (including the factor N^-1), fully reduced.
    ///
    /// - Parameter values: `degree` words in `[0, 2q)`; on return the coefficients in `[0, q)`.
    /// - Note: SEAL: util/ntt.cpp `inverse_ntt_negacyclic_harvey`
    @inlinable
    package func inverse(_ values: UnsafeMutablePointer<UInt64>) {
        inverseRootTable.withUnsafeBufferPointer { roots in
            guard let base = roots.baseAddress else { return }
            NTTKernels.inverse(
                values, logN: logDegree, q: modulus.value, roots: base, inverseDegree: inverseDegree,
                lastRootScaled: lastInverseRootScaled, reduce: true)
        }
    }

    /// Inverse negacyclic NTT in place (including the factor N^-1), lazily reduced.
    ///
    /// - Parameter values: `degree` words in `[0, 2q)`; on return in `[0, 2q)`, congruent to `inverse`'s output.
    /// - Note: SEAL: util/ntt.h `inverse_ntt_negacyclic_harvey_lazy`
    @inlinable
    package func inverseLazy(_ values: UnsafeMutablePointer<UInt64>) {
        inverseRootTable.withUnsafeBufferPointer { roots in
            guard let base = roots.baseAddress else { return }
            NTTKernels.inverse(
                values, logN: logDegree, q: modulus.value, roots: base, inverseDegree: inverseDegree,
                lastRootScaled: lastInverseRootScaled, reduce: false)
        }
    }

    /// Forward NTT of a word array of exactly `degree` elements (convenience for tests and setup code).
    ///
    /// - Parameter values: `degree` words in `[0, 4q)`, replaced by the transform in `[0, q)`.
    /// - Throws: ``NTTError/invalidArgument(_:)`` unless there are exactly `degree` words.
    public func forward(_ values: inout [UInt64]) throws {
        guard values.count == degree else {
            throw NTTError.invalidArgument("an NTT of degree \(degree) needs \(degree) words, got \(values.count)")
        }
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            forward(base)
        }
    }

    /// Inverse NTT of a word array of exactly `degree` elements (convenience for tests and setup code).
    ///
    /// - Parameter values: `degree` words in `[0, 2q)`, replaced by the coefficients in `[0, q)`.
    /// - Throws: ``NTTError/invalidArgument(_:)`` unless there are exactly `degree` words.
    public func inverse(_ values: inout [UInt64]) throws {
        guard values.count == degree else {
            throw NTTError.invalidArgument("an NTT of degree \(degree) needs \(degree) words, got \(values.count)")
        }
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            inverse(base)
        }
    }
}

/// The butterfly loops, free functions over raw pointers so they specialize and inline into callers.
@usableFromInline
enum NTTKernels {
    /// Harvey's forward butterfly: (x, y) ← (x' + v, x' − v + 2q) with x' = x folded below 2q, v = w·y lazy.
    @inlinable @inline(__always)
    static func forwardButterfly(
        _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafeMutablePointer<UInt64>,
        w: UInt64, wq: UInt64, q: UInt64, twoQ: UInt64
    ) {
        let x0 = x.pointee
        let u = x0.subtractingIfExceeds(twoQ)
        let y0 = y.pointee
        let v = y0 &* w &- y0.multipliedFullWidth(by: wq).high &* q
        assert(u < twoQ && v < twoQ)
        x.pointee = u &+ v
        y.pointee = u &- v &+ twoQ
    }

    /// Folds a word from `[0, 4q)` into `[0, q)`.
    @inlinable @inline(__always)
    static func reduceFromFourQ(_ x: UInt64, q: UInt64, twoQ: UInt64) -> UInt64 {
        x.subtractingIfExceeds(twoQ).subtractingIfExceeds(q)
    }

    /// The forward transform: stages m = 1, 2, …, N/2 with gap N/(2m), root of block i at table pair m + i.
    @inlinable
    static func forward(
        _ a: UnsafeMutablePointer<UInt64>, logN: Int, q: UInt64, roots: UnsafePointer<UInt64>, reduce: Bool
    ) {
        let n = 1 << logN
        let twoQ = q &* 2
        var m = 1
        var gap = n >> 1
        // Wide stages: long contiguous runs under one root, unrolled by four.
        while gap >= 4 {
            for i in 0..<m {
                let w = roots[2 &* (m &+ i)]
                let wq = roots[2 &* (m &+ i) &+ 1]
                var x = a + 2 &* i &* gap
                var y = x + gap
                var j = 0
                while j < gap {
                    forwardButterfly(x, y, w: w, wq: wq, q: q, twoQ: twoQ)
                    forwardButterfly(x + 1, y + 1, w: w, wq: wq, q: q, twoQ: twoQ)
                    forwardButterfly(x + 2, y + 2, w: w, wq: wq, q: q, twoQ: twoQ)
                    forwardButterfly(x + 3, y + 3, w: w, wq: wq, q: q, twoQ: twoQ)
                    x += 4
                    y += 4
                    j += 4
                }
            }
            m <<= 1
            gap >>= 1
        }
        if gap == 2 {
            for i in 0..<m {
                let w = roots[2 &* (m &+ i)]
                let wq = roots[2 &* (m &+ i) &+ 1]
                let x = a + 4 &* i
                forwardButterfly(x, x + 2, w: w, wq: wq, q: q, twoQ: twoQ)
                forwardButterfly(x + 1, x + 3, w: w, wq: wq, q: q, twoQ: twoQ)
            }
            m <<= 1
            gap >>= 1
        }
        if gap == 1 {
            // Last stage: one butterfly per root; the reducing variant folds both outputs here.
            for i in 0..<m {
                let w = roots[2 &* (m &+ i)]
                let wq = roots[2 &* (m &+ i) &+ 1]
                let x = a + 2 &* i
                forwardButterfly(x, x + 1, w: w, wq: wq, q: q, twoQ: twoQ)
                if reduce {
                    x[0] = reduceFromFourQ(x[0], q: q, twoQ: twoQ)
                    x[1] = reduceFromFourQ(x[1], q: q, twoQ: twoQ)
                }
            }
        }
    }

    /// Gentleman–Sande butterfly: (x, y) ← (u + v folded below 2q, w·(u − v + 2q) lazy).
    @inlinable @inline(__always)
    static func inverseButterfly(
        _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafeMutablePointer<UInt64>,
        w: UInt64, wq: UInt64, q: UInt64, twoQ: UInt64
    ) {
        let u = x.pointee
        let v = y.pointee
        assert(u < twoQ && v < twoQ)
        let s = u &+ v
        x.pointee = s.subtractingIfExceeds(twoQ)
        let d = u &- v &+ twoQ
        y.pointee = d &* w &- d.multipliedFullWidth(by: wq).high &* q
    }

    /// The inverse transform: stages with gap 1, 2, …, N/4 read the inverse table in order from pair 1; the
    /// last stage (gap N/2) multiplies by N^-1, through the pre-scaled root on the difference side.
    @inlinable
    static func inverse(
        _ a: UnsafeMutablePointer<UInt64>, logN: Int, q: UInt64, roots: UnsafePointer<UInt64>,
        inverseDegree: ShoupOperand, lastRootScaled: ShoupOperand, reduce: Bool
    ) {
        let n = 1 << logN
        let twoQ = q &* 2
        var gap = 1
        var m = n >> 1
        var rootIndex = 1
        if m > 1 {
            // gap 1
            for i in 0..<m {
                let x = a + 2 &* i
                inverseButterfly(x, x + 1, w: roots[2 &* rootIndex], wq: roots[2 &* rootIndex &+ 1], q: q, twoQ: twoQ)
                rootIndex += 1
            }
            m >>= 1
            gap <<= 1
        }
        if m > 1 {
            // gap 2
            for i in 0..<m {
                let w = roots[2 &* rootIndex]
                let wq = roots[2 &* rootIndex &+ 1]
                let x = a + 4 &* i
                inverseButterfly(x, x + 2, w: w, wq: wq, q: q, twoQ: twoQ)
                inverseButterfly(x + 1, x + 3, w: w, wq: wq, q: q, twoQ: twoQ)
                rootIndex += 1
            }
            m >>= 1
            gap <<= 1
        }
        while m > 1 {
            for i in 0..<m {
                let w = roots[2 &* rootIndex]
                let wq = roots[2 &* rootIndex &+ 1]
                var x = a + 2 &* i &* gap
                var y = x + gap
                var j = 0
                while j < gap {
                    inverseButterfly(x, y, w: w, wq: wq, q: q, twoQ: twoQ)
                    inverseButterfly(x + 1, y + 1, w: w, wq: wq, q: q, twoQ: twoQ)
                    inverseButterfly(x + 2, y + 2, w: w, wq: wq, q: q, twoQ: twoQ)
                    inverseButterfly(x + 3, y + 3, w: w, wq: wq, q: q, twoQ: twoQ)
                    x += 4
                    y += 4
                    j += 4
                }
                rootIndex += 1
            }
            m >>= 1
            gap <<= 1
        }
        // Last stage, gap N/2: x ← (u + v)·N^-1, y ← (u − v)·(w·N^-1).
        let half = n >> 1
        let nInv = inverseDegree.operand
        let nInvQ = inverseDegree.quotient
        let wS = lastRootScaled.operand
        let wSQ = lastRootScaled.quotient
        for j in 0..<half {
            let u = a[j]
            let v = a[j &+ half]
            assert(u < twoQ && v < twoQ)
            var s = u &+ v
            s = s.subtractingIfExceeds(twoQ)
            let d = u &- v &+ twoQ
            var x = s &* nInv &- s.multipliedFullWidth(by: nInvQ).high &* q
            var y = d &* wS &- d.multipliedFullWidth(by: wSQ).high &* q
            if reduce {
                x = x.subtractingIfExceeds(q)
                y = y.subtractingIfExceeds(q)
            }
            a[j] = x
            a[j &+ half] = y
        }
    }
}
