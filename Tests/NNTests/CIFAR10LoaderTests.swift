import Foundation
import Testing

@testable import NN

@Suite struct CIFAR10LoaderTests {
    static func record(label: UInt8, seed: Int) -> [UInt8] {
        [label] + Fixtures.pattern(seed, count: 3072)
    }

    @Test func loadsBatchesInOrder() throws {
        let folder = try TemporaryFolder()
        for b in 1...5 {
            try folder.write(
                Self.record(label: UInt8(b), seed: b) + Self.record(label: 0, seed: 10 + b),
                to: "cifar-10-batches-bin/data_batch_\(b).bin")
        }
        try folder.write(Self.record(label: 9, seed: 99), to: "cifar-10-batches-bin/test_batch.bin")
        try folder.write(Array("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".utf8), to: "cifar-10-batches-bin/batches.meta.txt")
        let train = try Dataset.cifar10.loadOfficial(train: true, root: folder.url)
        #expect(train.count == 10 && train.channels == 3 && train.height == 32)
        #expect(train.labels == [1, 0, 2, 0, 3, 0, 4, 0, 5, 0])
        #expect(train.labelNames.first == "a")
        // Records are already planar: the red plane is the first 1,024 image bytes.
        #expect(Array(train.image(2)) == Fixtures.pattern(2, count: 3072))
        let test = try Dataset.cifar10.loadOfficial(train: false, root: folder.url)
        #expect(test.labels == [9])
        // Normalize(0.5, 0.5): byte 0 → −1, byte 255 → 1.
        let floats = test.floats(at: 0..<1, normalization: .symmetric)
        let first = Fixtures.pattern(99, count: 1)[0]
        #expect(abs(floats[0] - (Float(first) / 255 - 0.5) / 0.5) < 1e-6)
    }

    @Test func partialRecordIsReported() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(Array(Self.record(label: 1, seed: 1).dropLast()), to: "test_batch.bin")
        let error = try #require(throws: DataFileError.self) { try CIFAR10Loader.load(files: [file]) }
        #expect(error.file == file.path)
        #expect(error.problem.contains("3072 bytes is not a whole number"))
    }

    @Test func badLabelIsReported() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(
            Self.record(label: 3, seed: 1) + Self.record(label: 200, seed: 2), to: "test_batch.bin")
        let error = try #require(throws: DataFileError.self) { try CIFAR10Loader.load(files: [file]) }
        #expect(error.problem == "record 1: label 200 outside 0..<10")
    }
}
