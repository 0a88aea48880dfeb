import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// The inputs of vectors/seal-4.1.2-seeded/README.md step 7.
func sealSeededInputs() -> (v1: [Complex64], v2: [Complex64]) {
    let v1 = (0..<4096).map { i in Complex64(0.001 * Double(i) - 1.5, 0.5 - 0.0003 * Double(i)) }
    let v2 = (0..<4096).map { i in Complex64(sin(0.01 * Double(i)), cos(0.02 * Double(i))) }
    return (v1, v2)
}

@Suite struct EncoderTests {
    @Test(arguments: [(1024, [27]), (2048, [30, 24]), (4096, [40, 30, 39]), (8192, [60, 40, 40, 60])])
    func encodeDecodeRoundTrip(degree: Int, bits: [Int]) throws {
        let context = try CKKSContext(
            EncryptionParameters(polyModulusDegree: degree, bitSizes: bits), securityLevel: .none)
        let encoder = CKKSEncoder(context: context)
        let scale = 0x1p20
        let values = (0..<encoder.slotCount).map { Complex64(sin(Double($0)), cos(0.5 * Double($0))) }
        let decoded = try encoder.decodeComplex(encoder.encode(values, scale: scale))
        let worst =
            zip(decoded, values).map { max(($0.real - $1.real).magnitude, ($0.imaginary - $1.imaginary).magnitude) }
            .max() ?? 1
        // Rounding to integers at scale 2^20 costs at most about N/2^20 per slot.
        #expect(worst < Double(degree) / scale)
        // The constant path puts the same value in every slot.
        let constant = try encoder.decode(encoder.encode(-0.75, scale: scale))
        #expect(constant.allSatisfy { abs($0 + 0.75) < 1e-5 })
        #expect(try encoder.decode(encoder.encode(0.0, scale: scale)).allSatisfy { $0 == 0 })
    }

    @Test func integerMagnitudeEqualsTheGenericConversion() {
        var generator = SystemRandomNumberGenerator()
        var samples: [Double] = [0x1p53, -0x1p53, 0x1p127.nextDown, -0x1p126, 0x1p64, 0x1p64 + 0x1p12 * 3]
        for _ in 0..<2000 {
            let value = Double.random(in: 0x1p53..<0x1p127, using: &generator).rounded()
            samples.append(Bool.random(using: &generator) ? value : -value)
        }
        for c in samples { #expect(EncoderFFT.integerMagnitude(c) == UInt128(c.magnitude), "\(c)") }
    }

    @Test func encodingAtALowerLevelEqualsDroppingRows() throws {
        let context = try CKKSContext(
            EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 30, 40]), securityLevel: .none)
        let encoder = CKKSEncoder(context: context)
        let evaluator = Evaluator(context: context)
        let values = (0..<100).map { Complex64(Double($0) / 7, -Double($0) / 3) }
        let first = try encoder.encode(values, scale: 0x1p30)
        let last = try encoder.encode(values, scale: 0x1p30, parmsID: context.lastParmsID)
        #expect(try evaluator.modSwitchToNext(evaluator.modSwitchToNext(first)) == last)
        #expect(throws: CKKSError.self) { try encoder.encode(values, scale: 0x1p30, parmsID: ParmsID.zero) }
    }

    @Test func rootsFollowTheEightfoldSymmetry() {
        let roots = ComplexRoots(degreeOfRoots: 64)
        for j in 0..<64 {
            let angle = 2 * Double.pi * Double(j) / 64
            #expect(abs(roots.root(j).real - cos(angle)) < 1e-15 && abs(roots.root(j).imaginary - sin(angle)) < 1e-15)
        }
        #expect(roots.root(64 + 5) == roots.root(5))
    }

    @Test func badInputsThrowNamedErrors() throws {
        let context = try CKKSContext(EncryptionParameters(polyModulusDegree: 4096, bitSizes: [40, 30, 39]))
        let encoder = CKKSEncoder(context: context)
        #expect(throws: CKKSError.invalidArgument("2049 values do not fit in 2048 slots")) {
            try encoder.encode([Double](repeating: 1, count: 2049), scale: 0x1p30)
        }
        #expect(throws: CKKSError.invalidArgument("value 1 is not finite")) {
            try encoder.encode([1, .nan], scale: 0x1p30)
        }
        #expect(throws: CKKSError.scaleOutOfBounds(0x1p70)) { try encoder.encode([1.0], scale: 0x1p70) }
        #expect(throws: CKKSError.scaleOutOfBounds(-1)) { try encoder.encode([1.0], scale: -1) }
        #expect(throws: CKKSError.self) { try encoder.encode([1e30], scale: 0x1p40) }
        // Overflowing the FFT to infinity or NaN is "too large", not a crash.
        #expect(throws: CKKSError.self) { try encoder.encode([1e300, -1e300], scale: 0x1p40) }
        #expect(throws: CKKSError.self) { try encoder.encode(Complex64(1e308, 1e308), scale: 0x1p40) }
        #expect(throws: CKKSError.self) { try encoder.encode(1e300, scale: 0x1p40) }
        #expect(throws: CKKSError.self) { try encoder.encode(1e30, scale: 0x1p40) }
        #expect(throws: CKKSError.self) { try encoder.encode(Double.infinity, scale: 0x1p40) }
        var plain = try encoder.encode([1.0], scale: 0x1p30)
        plain.data.removeLast()
        #expect(throws: CKKSError.self) { try encoder.decode(plain) }
    }
}
