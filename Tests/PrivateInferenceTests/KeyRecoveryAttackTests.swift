import CKKS
import Foundation
import NN
import NTT
import TestSupport
import Testing

@testable import PrivateInference

/// The two ways a user with decryption access can recover the owner's secret key, run against the real owner
/// (docs/security.md): the passive Li–Micciancio attack on honest requests, which flooding stops, and one
/// crafted ciphertext, which nothing the owner can check stops (a fresh key per package limits what it opens).
@Suite struct KeyRecoveryAttackTests {
    /// The secret key's coefficients, centered in {-1, 0, 1} (from its first NTT row).
    static func secretCoefficients(_ x: ActiveUserTests.Exchange) throws -> [Int] {
        let store = try OwnerKeyStore.load(x.keyDirectory)
        let n = x.pkg.context.degree
        var row = Array(store.secret.data.data[0..<n])
        try x.pkg.context.keyTables[0].inverse(&row)
        let q = x.pkg.context.keyModuli[0].value
        return row.map { $0 > q / 2 ? -Int(q - $0) : Int($0) }
    }

    /// Passive: from one honest request's ciphertexts (known to the user before masking, and the masks) and the owner's
    /// real-projected decryptions, s follows from a 2×2 linear system per pair of NTT slots {ζ, ζ⁻¹}: P(c₁·s)(ζ) =
    /// c₁(ζ)s(ζ) + c₁(ζ⁻¹)s(ζ⁻¹), two ciphertexts giving two equations.
    ///
    /// Without flooding it recovers the key exactly; with it the solution is noise.
    @Test func honestRequestsRevealTheKeyOnlyWithoutFlooding() throws {
        let x = try ActiveUserTests.Exchange()
        defer { try? FileManager.default.removeItem(at: x.dir) }
        let secret = try Self.secretCoefficients(x)
        let off = try Self.passiveAttack(x, flooding: false)
        #expect(off == secret)
        let on = try Self.passiveAttack(x, flooding: true)
        let ternary = on.filter { abs($0) <= 1 }.count
        #expect(on != secret)
        #expect(ternary < secret.count / 100)
    }

    /// Runs the owner on the honest request and solves for s modulo q_0; returns it centered.
    static func passiveAttack(_ x: ActiveUserTests.Exchange, flooding: Bool) throws -> [Int] {
        let response = x.dir.appendingPathComponent("resp-\(flooding)")
        _ = try OwnerRole.decrypt(keys: x.keys, request: x.request, response: response, flooding: flooding)
        let context = x.pkg.context
        let n = context.degree, kf = PipelineLevels.finalPrimes
        let q = context.keyModuli[0]
        let tables = context.keyTables[0]
        let request = WordCoding.words(try ExchangeFile.read(x.requestChunk, kind: .request).payload[...])
        let answers = WordCoding.words(
            try ExchangeFile.read(ChunkDirectory.url(response, 0), kind: .response).payload[...])
        /// Ciphertext i's (c₁ in NTT form, ŷ = NTT(answer − P(c₀ + r))) at prime 0.
        func equation(_ i: Int) throws -> (c1: [UInt64], y: [UInt64]) {
            // The request's own words (the user wrote them): c₀ (mask included) and c₁, NTT form, prime 0. The
            // owner's answer is P(c₀ + c₁·s), so answer − P(c₀) = P(c₁·s).
            var known = Array(request[(i * 2 * kf * n)..<((i * 2 * kf + 1) * n)])
            let c1 = Array(request[((i * 2 * kf + kf) * n)..<((i * 2 * kf + kf + 1) * n)])
            try tables.inverse(&known)
            RealProjection.apply(&known, moduli: [q], degree: n)
            var y = (0..<n).map { q.subMod(answers[i * kf * n + $0], known[$0]) }
            try tables.forward(&y)
            return (c1, y)
        }
        // Which NTT slot holds ζ⁻¹ for slot i: the NTT of X holds ζ itself.
        var monomial = [UInt64](repeating: 0, count: n)
        monomial[1] = 1
        try tables.forward(&monomial)
        let index = Dictionary(uniqueKeysWithValues: monomial.enumerated().map { ($1, $0) })
        let partner = monomial.map { index[q.inverse($0) ?? 0] ?? 0 }
        let (a, b) = (try equation(0), try equation(1))
        var s = [UInt64](repeating: 0, count: n)
        for i in 0..<n {
            let j = partner[i]
            let det = q.subMod(q.multiplyMod(a.c1[i], b.c1[j]), q.multiplyMod(a.c1[j], b.c1[i]))
            let numerator = q.subMod(q.multiplyMod(a.y[i], b.c1[j]), q.multiplyMod(a.c1[j], b.y[i]))
            s[i] = q.multiplyMod(numerator, q.inverse(det) ?? 0)
        }
        try tables.inverse(&s)
        return s.map { $0 > q.value / 2 ? -Int(q.value - $0) : Int($0) }
    }

    /// Active: c = (0, T·(1 + 8X)) plus a fresh public-key encryption of zero, placed first among the honest
    /// ciphertexts of a valid request.
    ///
    /// It decrypts to T·(1 + 8X)·s + e; after flooding (σ ≪ T) and the real projection, rounding by T gives u_i = a_i −
    /// a_(N−i) with a = (1 + 8X)·s, whose base-8 digits are s_i − s_(N−i) and s_(i−1) − s_(N−i−1): differences that
    /// link every even and every odd coefficient, anchored by u_0 = 2(s_0 − 8·s_(N−1)). One decryption of the key's
    /// budget gives the whole key — the owner's checks pass, as no check on values can tell T·s from an honest result
    /// under the user's mask. Run at the small test ring and at both real presets (N = 16384, 128-bit security).
    @Test(arguments: [nil, ParameterPreset.auto, .privdnn])
    func oneCraftedCiphertextRecoversTheKey(preset: ParameterPreset?) throws {
        let x = try ActiveUserTests.Exchange(preset: preset)
        defer { try? FileManager.default.removeItem(at: x.dir) }
        let context = x.pkg.context
        let n = context.degree, kf = PipelineLevels.finalPrimes
        let moduli = context.moduli(kf)
        // T above the flooding noise the manifest announces (σ for the plan's result scale) by 2^8.
        let sigma = x.pkg.manifest.flooding.sigma(resultScale: x.pkg.plan.resultScale)
        let tBits = Int(log2(sigma).rounded(.up)) + 8
        #expect(Double(tBits) + 5 < moduli.reduce(0) { $0 + log2(Double($1.value)) } - 1)
        let encryptor = try Encryptor(context: context.ckks, publicKey: try x.pkg.publicKey())
        var crafted = try encryptor.encryptZero(parmsID: context.parmsIDs[kf])
        var words = crafted.data
        for (j, q) in moduli.enumerated() {
            let t = q.powMod(2, UInt64(tBits))
            var poly = [UInt64](repeating: 0, count: n)
            poly[0] = t
            poly[1] = q.multiplyMod(t, 8)
            try context.keyTables[j].forward(&poly)
            for i in 0..<n { words[(kf + j) * n + i] = q.addMod(words[(kf + j) * n + i], poly[i]) }
        }
        crafted.data = words
        let request = try x.forged("crafted", words: { $0.replaceSubrange(0..<(2 * kf * n), with: words) })
        let response = x.dir.appendingPathComponent("resp")
        let decryption = try OwnerRole.decrypt(keys: x.keys, request: request, response: response)
        #expect(decryption.used == 16)  // one honest-looking request of the key's t
        print(
            "crafted-ciphertext attack, \(preset.map(\.rawValue) ?? "test ring"): N = \(n), T = 2^\(tBits), σ = 2^\(log2(sigma)), t = \(decryption.limit)"
        )
        let answer = WordCoding.words(
            try ExchangeFile.read(ChunkDirectory.url(response, 0), kind: .response).payload[...])
        let recovered = try #require(Self.decodeCrafted(Array(answer[0..<(kf * n)]), moduli: moduli, tBits: tBits))
        #expect(recovered == (try Self.secretCoefficients(x)))
        // The recovered key decrypts the package's encrypted weights like the owner's own.
        let stolen = try Self.secretKey(recovered, context: context)
        let weight = try x.pkg.weights.part(2, 0, 0)[0]
        let owner = try OwnerKeyStore.load(x.keyDirectory).secret
        #expect(
            try Decryptor(context: context.ckks, secretKey: stolen).decrypt(weight)
                == Decryptor(context: context.ckks, secretKey: owner).decrypt(weight))
    }

    /// The attacker's decoding of the crafted ciphertext's answer (two primes, coefficient form).
    static func decodeCrafted(_ answer: [UInt64], moduli: [Modulus], tBits: Int) -> [Int]? {
        let n = answer.count / 2
        let (q0, q1) = (moduli[0], moduli[1])
        let big = UInt128(q0.value) * UInt128(q1.value)
        let inverse = q1.inverse(q1.reduce(q0.value)) ?? 0
        // CRT to (−Q/2, Q/2), then round by T.
        let u: [Int] = (0..<n).map { i in
            let (a, b) = (answer[i], answer[n + i])
            let k = q1.multiplyMod(q1.subMod(b, q1.reduce(a)), inverse)
            let value = UInt128(a) + UInt128(q0.value) * UInt128(k)
            let centered = value > big / 2 ? -Int128(big - value) : Int128(value)
            let t = Int128(1) << tBits
            return Int((centered + (centered >= 0 ? t / 2 : -t / 2)) / t)
        }
        // Base-8 digits with the low digit in [−2, 2].
        func split(_ v: Int) -> (Int, Int) {
            let low = ((v + 2) % 8 + 8) % 8 - 2
            return (low, (v - low) / 8)
        }
        var s = [Int?](repeating: nil, count: n)
        let (low0, high0) = split(u[0])  // 2·s_0 and −2·s_(N−1)
        s[0] = low0 / 2
        s[n - 1] = -high0 / 2
        // Edges: s_i − s_(N−i) = low(u_i), s_(i−1) − s_(N−i−1) = high(u_i), for 1 ≤ i ≤ N−1.
        var edges = [[(Int, Int)]](repeating: [], count: n)
        for i in 1..<n {
            let (low, high) = split(u[i])
            edges[i].append((n - i, -low))  // s_(N−i) = s_i − low
            edges[n - i].append((i, low))
            edges[i - 1].append((n - i - 1, -high))
            edges[n - i - 1].append((i - 1, high))
        }
        var queue = [0, n - 1]
        while let v = queue.popLast(), let value = s[v] {
            for (w, delta) in edges[v] where s[w] == nil {
                s[w] = value + delta
                queue.append(w)
            }
        }
        let result = s.compactMap { $0 }
        return result.count == n && result.allSatisfy({ abs($0) <= 1 }) ? result : nil
    }

    /// A SEAL secret key (NTT form at the key level) from ternary coefficients.
    static func secretKey(_ coefficients: [Int], context: HEContext) throws -> SecretKey {
        let n = context.degree
        var words: [UInt64] = []
        for (j, q) in context.keyModuli.enumerated() {
            var row = coefficients.map { $0 < 0 ? q.value - UInt64(-$0) : UInt64($0) }
            try context.keyTables[j].forward(&row)
            words += row
        }
        #expect(words.count == n * context.keyModuli.count)
        return SecretKey(data: Plaintext(parmsID: context.parameters.parmsID, scale: 1, data: words))
    }
}
