import CKKS
import NTT
import Testing

/// parms_id of every level for SEAL's CKKS example parameters (compat doc §1.5, verified against SEAL 4.1.2).
@Test func parmsIDMatchesSEAL() throws {
    let parms = try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [60, 40, 40, 60])
    #expect(
        parms.coeffModulus.map(\.value) == [0xfff_ffff_fffe_8001, 0xff_fff4_c001, 0xff_fffd_c001, 0xfff_ffff_ffff_c001])
    #expect(parms.parmsID.description == "cfda86153fdda8e2 bab3261f59a402ac ae8fe2601f0b6e53 ddc508ab0e037ff5")
    let context = try CKKSContext(parms)
    #expect(context.keyParmsID == parms.parmsID)
    #expect(
        context.firstParmsID.description == "12a009457dbf8b0f 6364d5f3d4c92b3c 96a841ccd88e440c 1255677018089458")
    let second = try #require(context.firstContextData.nextParmsID)
    #expect(second.words[0] == 0xdc26_4f69_5a81_d156)
}

@Test func parametersRejectBadShapes() {
    #expect(throws: CKKSError.self) { try EncryptionParameters(polyModulusDegree: 1000, bitSizes: [40]) }
    #expect(throws: CKKSError.self) { try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [61]) }
    #expect(throws: CKKSError.self) { try EncryptionParameters(polyModulusDegree: 4096, bitSizes: []) }
    #expect(throws: CKKSError.self) { try EncryptionParameters(polyModulusDegree: 262_144, bitSizes: [40]) }
    // No 15-bit prime is 1 mod 2^14 (16385 = 5 * 29 * 113 is the only candidate).
    #expect(throws: CKKSError.self) { try EncryptionParameters(polyModulusDegree: 8192, bitSizes: [15]) }
}
