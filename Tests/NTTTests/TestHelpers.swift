import Foundation
import NTT
import TestSupport

/// SplitMix64: a tiny seeded generator so every random test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `vectors/ntt/primes.json`.
struct PrimeVectors: Decodable {
    struct Case: Decodable {
        let degree: Int
        let bitSizes: [Int]
        let primes: [UInt64]?
    }
    struct MaxBits: Decodable {
        let degree: Int
        let tc128: Int
        let tc192: Int
        let tc256: Int
    }
    let create: [Case]
    let maxBitCount: [MaxBits]

    static func load() throws -> PrimeVectors {
        try JSONDecoder().decode(PrimeVectors.self, from: RepositoryPaths.vector("ntt/primes.json"))
    }
}

/// `vectors/ntt/pairs.json` and its word files.
struct PairVectors: Decodable {
    struct Pair: Decodable {
        let name: String
        let degree: Int
        let primes: [UInt64]
        let size: Int
        let ntt: String
        let coeff: String
    }
    let pairs: [Pair]

    static func load() throws -> PairVectors {
        try JSONDecoder().decode(PairVectors.self, from: RepositoryPaths.vector("ntt/pairs.json"))
    }

    /// Reads a file of little-endian words.
    static func words(_ file: String) throws -> [UInt64] {
        let data = try RepositoryPaths.vector("ntt/" + file)
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map {
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))
            }
        }
    }
}

/// Schoolbook negacyclic product a·b mod (X^N + 1, q), the oracle for the NTT.
func naiveNegacyclicProduct(_ a: [UInt64], _ b: [UInt64], modulus: Modulus) -> [UInt64] {
    let n = a.count
    var result = [UInt64](repeating: 0, count: n)
    for i in 0..<n {
        for j in 0..<n {
            let p = modulus.multiplyMod(a[i], b[j])
            let k = i + j
            if k < n {
                result[k] = modulus.addMod(result[k], p)
            } else {
                result[k - n] = modulus.subMod(result[k - n], p)
            }
        }
    }
    return result
}

/// Random residues below q.
func randomResidues(_ count: Int, below q: UInt64, using rng: inout SplitMix64) -> [UInt64] {
    (0..<count).map { _ in UInt64.random(in: 0..<q, using: &rng) }
}
