import NTT
import Testing

@Test func powerOfTwoAndLog() {
    #expect(Word(4096).isPowerOfTwo)
    #expect(!Word(0).isPowerOfTwo)
    #expect(!Word(4095).isPowerOfTwo)
    #expect(Word(4096).log2 == 12)
    #expect(Word(1).log2 == 0)
}
