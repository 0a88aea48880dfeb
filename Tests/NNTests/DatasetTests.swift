import Foundation
import TestSupport
import Testing

@testable import NN

@Suite struct DatasetTests {
    static let mnistRoot = RepositoryPaths.data.appendingPathComponent("mnist")

    @Test func realMNISTLoads() throws {
        let train = try Dataset.mnist.loadOfficial(train: true, root: Self.mnistRoot)
        let test = try Dataset.mnist.loadOfficial(train: false, root: Self.mnistRoot)
        #expect(train.count == 60_000 && test.count == 10_000)
        #expect(train.channels == 1 && train.height == 28 && train.width == 28 && train.classCount == 10)
        #expect(Array(train.labels.prefix(10)) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        #expect(Array(test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        var trainCounts = [Int](repeating: 0, count: 10)
        for label in train.labels { trainCounts[Int(label)] += 1 }
        #expect(trainCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        // Pixel sums computed independently with numpy over the decompressed files.
        #expect(test.pixels.reduce(0) { $0 + Int($1) } == 264_923_200)
        #expect(train.image(0).reduce(0) { $0 + Int($1) } == 27_525)
    }

    @Test func realMNISTSplitsLikeTorchRandomSplit() throws {
        let validate = try Dataset.mnist.load(.validate, root: Self.mnistRoot)
        let test = try Dataset.mnist.load(.test, root: Self.mnistRoot)
        #expect(validate.count == 5000 && test.count == 5000)
        // Expected values from a C++ std::mt19937(0) run of PyTorch's randperm loop over the real labels.
        var counts = [Int](repeating: 0, count: 10)
        for label in test.labels { counts[Int(label)] += 1 }
        #expect(counts == [513, 568, 534, 472, 489, 460, 465, 488, 489, 522])
        #expect(Array(test.labels.prefix(10)) == [3, 6, 9, 3, 7, 7, 8, 0, 2, 5])
        let (images, labels) = try Dataset.mnist.tensors(.test, root: Self.mnistRoot)
        #expect(images.shape == [5000, 1, 28, 28] && labels == test.intLabels)
        #expect(images.data.allSatisfy { $0 >= 0 && $0 <= 1 } && images.data.contains(1))
    }

    @Test func architectures() {
        #expect(Dataset.allCases.map(\.architecture.rawValue) == Dataset.allCases.map(\.rawValue))
        #expect(Dataset.emnist.architecture.classes == Dataset.emnist.outputCount)
    }

    @Test func namesAndFacts() {
        #expect(Dataset(name: "MNIST") == .mnist)
        #expect(Dataset(name: "TinyImageNet") == .tinyimagenet)
        #expect(Dataset(name: "cifar-10") == .cifar10)
        #expect(Dataset(name: "imagenet") == nil)
        #expect(Dataset.emnist.outputCount == 27)
        #expect(Dataset.tinyimagenet.topK == 5)
        #expect(Dataset.gtsrb.defaultRoot.path.hasSuffix("data/gtsrb"))
        #expect(Dataset.cifar10.displayName == "CIFAR10")
    }

    @Test func missingDataNamesTheFile() throws {
        let folder = try TemporaryFolder()
        let error = try #require(throws: DataFileError.self) {
            try Dataset.mnist.loadOfficial(train: true, root: folder.url)
        }
        #expect(error.file.hasSuffix("train-images-idx3-ubyte"))
        #expect(error.problem.contains("no such file"))
    }

    @Test func emnistLettersLayout() throws {
        let folder = try TemporaryFolder()
        let images = (0..<4).flatMap { Fixtures.pattern($0, count: 28 * 28) }
        try folder.write(
            try Gzip.compress(Fixtures.idx(dimensions: [4, 28, 28], data: images)),
            to: "raw/emnist-letters-test-images-idx3-ubyte.gz")
        try folder.write(
            Fixtures.idx(dimensions: [4], data: [1, 26, 5, 3]), to: "raw/emnist-letters-test-labels-idx1-ubyte")
        let set = try Dataset.emnist.loadOfficial(train: false, root: folder.url)
        #expect(set.classCount == 27 && set.labelNames[1] == "a" && set.labelNames[26] == "z")
        #expect(set.labels == [1, 26, 5, 3])
        let validate = try Dataset.emnist.load(.validate, root: folder.url)
        let test = try Dataset.emnist.load(.test, root: folder.url)
        #expect(validate.count == 2 && test.count == 2)
        #expect(Set(validate.labels + test.labels) == Set(set.labels))
    }
}
