import NTT
import Testing

@Test func powerOfTwoAndLog() {
    #expect(Word(4096).isPowerOfTwo)
    #expect(!Word(0).isPowerOfTwo)
    #expect(!Word(4095).isPowerOfTwo)
    #expect(Word(4096).log2 == 12)
    #expect(Word(1).log2 == 0)
}

@Test func bitReversalAndGuardedSubtraction() {
    #expect(Word(1).reversedBits(13) == 4096)
    #expect(Word(0b0011).reversedBits(4) == 0b1100)
    #expect(Word(6).reversedBits(0) == 0)
    #expect(Word(1).bitReversed == 1 << 63)
    for x in Word(0)..<64 { #expect(x.reversedBits(6).reversedBits(6) == x) }
    let q: Word = (1 << 61) - 1
    for x: Word in [0, 1, q - 1, q, q + 1, 2 * q - 1] {
        #expect(x.subtractingIfExceeds(q) == (x >= q ? x - q : x))
    }
    #expect(Word(4 * q - 1).subtractingIfExceeds(2 * q) == 2 * q - 1)
}
