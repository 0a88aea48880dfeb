import CKKS
import Testing

@Test func errorMessagesNameTheProblem() {
    #expect(CKKSError.invalidParameters("degree 1000 is not a power of two").description.contains("1000"))
}
