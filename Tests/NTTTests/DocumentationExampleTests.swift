import NTT
import Testing

/// The example on the NTT module's DocC landing page (Sources/NTT/NTT.docc/NTT.md), run as written through the
/// public API, so the page cannot drift from what the code does.
@Test func landingPageExampleSquaresX() throws {
    let q = try CoeffModulus.create(degree: 4096, bitSizes: [40])[0]
    let tables = try NTTTables(degree: 4096, modulus: q)

    var a = [UInt64](repeating: 0, count: 4096)
    a[1] = 1
    var b = a
    try tables.forward(&a)
    try tables.forward(&b)
    for i in 0..<4096 { a[i] = q.multiplyMod(a[i], b[i]) }
    try tables.inverse(&a)

    #expect(q.bitCount == 40 && q.value % 8192 == 1)
    var expected = [UInt64](repeating: 0, count: 4096)
    expected[2] = 1
    #expect(a == expected)
}
