import Testing

@testable import NN

@Suite struct DatasetSplitTests {
    @Test func mersenneTwisterKnownAnswers() {
        var zero = MersenneTwister(seed: 0)
        #expect(zero.next() == 2_357_136_044)
        // The C++ standard requires the 10,000th output of the default-seeded (5489) engine to be 4123659995.
        var standard = MersenneTwister(seed: 5489)
        for _ in 0..<9999 { _ = standard.next() }
        #expect(standard.next() == 4_123_659_995)
    }

    @Test func permutationMatchesReference() {
        // Reference: PyTorch's randperm loop run with C++ std::mt19937(0).
        #expect(Array(DatasetSplit.torchRandomPermutation(10, seed: 0).prefix(5)) == [4, 1, 7, 5, 3])
        let split = DatasetSplit(count: 10_000)
        #expect(Array(split.validateIndices.prefix(8)) == [6044, 2890, 9399, 1917, 4919, 1729, 429, 7532])
        #expect(Array(split.testIndices.prefix(8)) == [2229, 870, 1247, 9758, 1949, 4107, 8759, 9070])
        #expect(split.testIndices.last == 2663)
        let emnist = DatasetSplit(count: 20_800)
        #expect(Array(emnist.validateIndices.prefix(4)) == [17644, 13861, 16719, 12031])
        #expect(emnist.testIndices.last == 11120)
        let gtsrb = DatasetSplit(count: 12_630)
        #expect(gtsrb.validateIndices.count == 6315 && gtsrb.testIndices.count == 6315)
        #expect(Array(gtsrb.testIndices.prefix(4)) == [3835, 8025, 624, 12326])
    }

    @Test func halvesPartitionTheSet() {
        let split = DatasetSplit(count: 1001)
        #expect(split.validateIndices.count == 500 && split.testIndices.count == 501)
        #expect((split.validateIndices + split.testIndices).sorted() == Array(0..<1001))
    }
}

@Suite struct LabeledImagesTests {
    @Test func validationAndSubset() throws {
        let set = try LabeledImages(
            count: 3, channels: 1, height: 1, width: 2, pixels: [0, 255, 10, 20, 30, 40], labels: [1, 0, 1],
            labelNames: ["a", "b"])
        let picked = set.subset([2, 0])
        #expect(picked.pixels == [30, 40, 0, 255] && picked.labels == [1, 1])
        #expect(set.floats(at: 0..<1) == [0, 1])
        #expect(throws: NNError.self) {
            try LabeledImages(count: 1, channels: 1, height: 1, width: 2, pixels: [0], labels: [0], labelNames: ["a"])
        }
        #expect(throws: NNError.self) {
            try LabeledImages(count: 1, channels: 1, height: 1, width: 1, pixels: [0], labels: [3], labelNames: ["a"])
        }
    }
}
