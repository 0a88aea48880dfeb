import Foundation
import Testing

@testable import NN

@Suite struct IDXLoaderTests {
    let images = (0..<3).flatMap { Fixtures.pattern($0, count: 4 * 5) }
    let labels: [UInt8] = [7, 0, 9]

    @Test func loadsRawAndGzippedFiles() throws {
        let folder = try TemporaryFolder()
        let imageBytes = Fixtures.idx(dimensions: [3, 4, 5], data: images)
        let labelBytes = Fixtures.idx(dimensions: [3], data: labels)
        let rawImages = try folder.write(imageBytes, to: "raw-images-idx3-ubyte")
        let rawLabels = try folder.write(labelBytes, to: "raw-labels-idx1-ubyte")
        let gzImages = try folder.write(try Gzip.compress(imageBytes), to: "gz-images-idx3-ubyte.gz")
        let gzLabels = try folder.write(try Gzip.compress(labelBytes), to: "gz-labels-idx1-ubyte.gz")
        let names = (0..<10).map { String($0) }
        let raw = try IDXLoader.load(images: rawImages, labels: rawLabels, labelNames: names)
        let zipped = try IDXLoader.load(images: gzImages, labels: gzLabels, labelNames: names)
        #expect(raw == zipped)
        #expect(raw.count == 3 && raw.channels == 1 && raw.height == 4 && raw.width == 5)
        #expect(raw.labels == [7, 0, 9])
        #expect(Array(raw.image(1)) == Fixtures.pattern(1, count: 20))
    }

    @Test func truncatedDataIsReported() throws {
        let folder = try TemporaryFolder()
        let bytes = Fixtures.idx(dimensions: [3, 4, 5], data: Array(images.dropLast(7)))
        let file = try folder.write(bytes, to: "short-images-idx3-ubyte")
        let error = try #require(throws: DataFileError.self) { try IDXLoader.read(file, rank: 3) }
        #expect(error.file == file.path)
        #expect(error.problem.contains("truncated"))
    }

    @Test func truncatedHeaderIsReported() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write([0, 0, 8, 3, 0, 0], to: "header-idx3-ubyte")
        let error = try #require(throws: DataFileError.self) { try IDXLoader.read(file, rank: 3) }
        #expect(error.problem.contains("truncated"))
    }

    @Test func truncatedGzipIsReported() throws {
        let folder = try TemporaryFolder()
        let zipped = try Gzip.compress(Fixtures.idx(dimensions: [3, 4, 5], data: images))
        let file = try folder.write(Array(zipped.prefix(zipped.count / 2)), to: "cut-idx3-ubyte.gz")
        let error = try #require(throws: DataFileError.self) { try IDXLoader.read(file, rank: 3) }
        #expect(error.file == file.path)
        #expect(error.problem.contains("gzip"))
    }

    @Test func corruptGzipIsReported() throws {
        let folder = try TemporaryFolder()
        var zipped = try Gzip.compress(Fixtures.idx(dimensions: [3, 4, 5], data: images))
        for i in 12..<zipped.count - 8 { zipped[i] ^= 0x5a }
        let file = try folder.write(zipped, to: "bad-idx3-ubyte.gz")
        let error = try #require(throws: DataFileError.self) { try IDXLoader.read(file, rank: 3) }
        #expect(error.problem.contains("gzip"))
    }

    @Test func foreignFileIsReported() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(Array("P6\n2 2\n255\n".utf8) + [UInt8](repeating: 1, count: 12), to: "x.ppm")
        let error = try #require(throws: DataFileError.self) { try IDXLoader.read(file, rank: 3) }
        #expect(error.problem.contains("not an IDX file"))
    }

    @Test func wrongRankTypeAndTrailingBytesAreReported() throws {
        let folder = try TemporaryFolder()
        let labelsAsImages = try folder.write(Fixtures.idx(dimensions: [3], data: labels), to: "l-idx1-ubyte")
        #expect(throws: DataFileError(file: labelsAsImages.path, problem: "IDX rank 1, expected 3")) {
            try IDXLoader.read(labelsAsImages, rank: 3)
        }
        let floats = try folder.write([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0], to: "f-idx1")
        let typeError = try #require(throws: DataFileError.self) { try IDXLoader.read(floats, rank: 1) }
        #expect(typeError.problem.contains("element type 0xd"))
        let long = try folder.write(Fixtures.idx(dimensions: [3], data: labels + [1]), to: "long-idx1")
        let longError = try #require(throws: DataFileError.self) { try IDXLoader.read(long, rank: 1) }
        #expect(longError.problem.contains("1 bytes after"))
    }

    @Test func mismatchedCountsAndBadLabelsAreReported() throws {
        let folder = try TemporaryFolder()
        let imageFile = try folder.write(Fixtures.idx(dimensions: [3, 4, 5], data: images), to: "i-idx3-ubyte")
        let twoLabels = try folder.write(Fixtures.idx(dimensions: [2], data: [1, 2]), to: "two-idx1-ubyte")
        let badLabels = try folder.write(Fixtures.idx(dimensions: [3], data: [1, 12, 2]), to: "bad-idx1-ubyte")
        let names = (0..<10).map { String($0) }
        let countError = try #require(throws: DataFileError.self) {
            try IDXLoader.load(images: imageFile, labels: twoLabels, labelNames: names)
        }
        #expect(countError.problem.contains("2 labels"))
        let labelError = try #require(throws: DataFileError.self) {
            try IDXLoader.load(images: imageFile, labels: badLabels, labelNames: names)
        }
        #expect(labelError.problem.contains("label 12 of item 1"))
    }

    @Test func missingFileIsReported() throws {
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("absent-idx3-ubyte")
        #expect(throws: DataFileError(file: file.path, problem: "no such file")) {
            try IDXLoader.read(file, rank: 3)
        }
    }
}

@Suite struct GzipTests {
    @Test func concatenatedMembersDecodeToTheConcatenation() throws {
        let first = Array("first member, ".utf8)
        let second = [UInt8](repeating: 7, count: 300_000)
        let joined = try Gzip.compress(first) + Gzip.compress(second)
        #expect(try Gzip.decompress(joined, file: "x.gz") == first + second)
        #expect(try Gzip.decompress(try Gzip.compress([]), file: "e.gz") == [])
    }
}
