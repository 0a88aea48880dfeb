#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The m-th complex roots of unity, bit-exact with SEAL's table.
///
/// SEAL stores only the first eighth, `roots[i] = polar(1, (2π·i)/m)` for `i = 0…m/8`, computed with the host
/// libm's `cos`/`sin`, and derives every other root by the eight-fold symmetry. glibc (since 2.28) rounds a few of
/// these values 1 ulp away from the correctly rounded result; SEAL on Linux inherits exactly those values, and so
/// do we by calling the same glibc functions. (On Darwin the platform libm may differ in the last bit; encodes
/// then differ from Linux-built SEAL in rare coefficients.)
/// - Note: SEAL: util/croots.cpp
package struct ComplexRoots: Sendable {
    /// The order m of the roots (a power of two, at least 8).
    package let degreeOfRoots: Int
    @usableFromInline let roots: [Complex64]

    /// Builds the first eighth of the table of m-th roots of unity.
    /// - Parameter degreeOfRoots: m, a power of two ≥ 8 (callers validate it).
    package init(degreeOfRoots: Int) {
        assert(degreeOfRoots >= 8 && degreeOfRoots & (degreeOfRoots - 1) == 0)
        self.degreeOfRoots = degreeOfRoots
        // SEAL: 2 * PI_ * static_cast<double>(i) / static_cast<double>(m), evaluated left to right.
        let twoPi = 2 * Double.pi
        let m = Double(degreeOfRoots)
        roots = (0...(degreeOfRoots / 8)).map { i in
            let theta = twoPi * Double(i) / m
            return Complex64(cos(theta), sin(theta))
        }
    }

    /// The root `e^(2πi·index/m)`, using the eight-fold symmetry of the table exactly as SEAL does.
    /// - Parameter index: any non-negative integer; it is reduced modulo m.
    /// - Returns: the root as SEAL's `ComplexRoots::get_root` returns it.
    package func root(_ index: Int) -> Complex64 {
        let m = degreeOfRoots
        let index = index & (m - 1)
        if index <= m / 8 { return roots[index] }
        if index <= m / 4 {
            let mirrored = roots[m / 4 - index]
            return Complex64(mirrored.imaginary, mirrored.real)
        }
        if index <= m / 2 { return -root(m / 2 - index).conjugate }
        if index <= 3 * m / 4 { return -root(index - m / 2) }
        return root(m - index).conjugate
    }
}
