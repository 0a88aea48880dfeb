import Foundation
import NTT
import TestSupport
import Testing

@testable import CKKS

/// The words of a SEAL plaintext file saved uncompressed (header 16, parms_id 32, count 8, scale 8, DynArray 24).
func plaintextWords(_ data: Data) -> (scale: Double, words: [UInt64]) {
    let bytes = [UInt8](data)
    func u64(_ offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
    let count = Int(u64(48))
    let scale = Double(bitPattern: u64(56))
    return (scale, (0..<count).map { u64(88 + 8 * $0) })
}

/// The inputs of vectors/seal-4.1.2-seeded/README.md step 7.
func sealSeededInputs() -> (v1: [Complex64], v2: [Complex64]) {
    let v1 = (0..<4096).map { i in Complex64(0.001 * Double(i) - 1.5, 0.5 - 0.0003 * Double(i)) }
    let v2 = (0..<4096).map { i in Complex64(sin(0.01 * Double(i)), cos(0.02 * Double(i))) }
    return (v1, v2)
}
