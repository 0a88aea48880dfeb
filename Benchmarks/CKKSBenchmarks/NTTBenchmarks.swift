import NTT

/// Forward and inverse negacyclic NTT, one limb and a whole two-polynomial ciphertext (per-limb time reported),
/// matching `Benchmarks/seal_ntt.py` (SEAL's `Evaluator.transform_to_ntt` / `transform_from_ntt`).
enum NTTBenchmarks: BenchmarkGroup {
    /// The parameter sets: N and the bit sizes given to `CoeffModulus.create` (the data level drops the last).
    static let parameterSets: [(degree: Int, bitSizes: [Int])] = [
        (4096, [36, 36, 37]),
        (8192, [60, 40, 40, 60]),
        (16384, [60, 40, 40, 40, 40, 40, 40, 60]),
        (32768, [60, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 60]),
    ]

    static func benchmarks(quick: Bool) -> [Benchmark] {
        let sets = quick ? Array(parameterSets.prefix(1)) : parameterSets
        var result: [Benchmark] = []
        for (degree, bitSizes) in sets {
            let dataLevel = bitSizes.count - 1
            let logQ = bitSizes.prefix(dataLevel).reduce(0, +)
            let prefix = "n=\(degree) / log(q)=\(logQ) / NTT"
            result.append(Benchmark("\(prefix) / forward one limb") { try oneLimb(degree, bitSizes, forward: true) })
            result.append(Benchmark("\(prefix) / inverse one limb") { try oneLimb(degree, bitSizes, forward: false) })
            result.append(
                Benchmark("\(prefix) / forward ciphertext", units: 2 * dataLevel) {
                    try ciphertext(degree, bitSizes, forward: true)
                })
            result.append(
                Benchmark("\(prefix) / inverse ciphertext", units: 2 * dataLevel) {
                    try ciphertext(degree, bitSizes, forward: false)
                })
        }
        return result
    }

    /// One limb under the first data prime, transformed in place again and again (values stay in range).
    static func oneLimb(_ degree: Int, _ bitSizes: [Int], forward: Bool) throws -> () -> Void {
        let modulus = try CoeffModulus.create(degree: degree, bitSizes: bitSizes)[0]
        let tables = try NTTTables(degree: degree, modulus: modulus)
        var rng = SystemRandomNumberGenerator()
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: degree)
        for i in 0..<degree { buffer[i] = UInt64.random(in: 0..<modulus.value, using: &rng) }
        return {
            if forward { tables.forward(buffer) } else { tables.inverse(buffer) }
            blackHole(buffer)
        }
    }

    /// A size-2 ciphertext at the first data level (2·(k−1) limbs), as SEAL's evaluator transforms it.
    static func ciphertext(_ degree: Int, _ bitSizes: [Int], forward: Bool) throws -> () -> Void {
        let moduli = Array(try CoeffModulus.create(degree: degree, bitSizes: bitSizes).dropLast())
        let tables = try moduli.map { try NTTTables(degree: degree, modulus: $0) }
        var rng = SystemRandomNumberGenerator()
        var words: [UInt64] = []
        for _ in 0..<2 {
            for q in moduli { words += (0..<degree).map { _ in UInt64.random(in: 0..<q.value, using: &rng) } }
        }
        var polys = [
            try RNSPoly(coefficients: Array(words[..<(words.count / 2)]), degree: degree, isNTTForm: !forward),
            try RNSPoly(coefficients: Array(words[(words.count / 2)...]), degree: degree, isNTTForm: !forward),
        ]
        // One checked transform here, so the loop's unchecked `try?` cannot hide a mismatch of shapes.
        var probe = polys[0]
        if forward { try probe.forwardNTT(tables: tables) } else { try probe.inverseNTT(tables: tables) }
        return {
            for p in 0..<2 {
                if forward {
                    _ = try? polys[p].forwardNTT(tables: tables)
                    polys[p].isNTTForm = false
                } else {
                    _ = try? polys[p].inverseNTT(tables: tables)
                    polys[p].isNTTForm = true
                }
            }
            blackHole(polys)
        }
    }
}
