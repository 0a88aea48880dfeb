import Foundation
import Testing

@testable import NN

@Suite struct TinyImageNetLoaderTests {
    static let classes = ["n01443537", "n01629819", "n01641577"]

    static func makeTree(_ folder: TemporaryFolder, official: Bool = false) throws {
        for (c, wnid) in classes.enumerated() {
            for k in 0..<2 {
                let jpeg = try JPEG.encode(Fixtures.smooth(width: 64, height: 64, seed: c * 2 + k), quality: 92)
                try folder.write(jpeg, to: "tiny-imagenet-200/train/\(wnid)/images/\(wnid)_\(k).JPEG")
            }
        }
        if official {
            var annotations = ""
            for k in 0..<4 {
                try folder.write(
                    try JPEG.encode(Fixtures.rgb(width: 64, height: 64, seed: 10 + k)),
                    to: "tiny-imagenet-200/val/images/val_\(k).JPEG")
                annotations += "val_\(k).JPEG\t\(classes[k % 3])\t0\t0\t63\t63\n"
            }
            try folder.write(Array(annotations.utf8), to: "tiny-imagenet-200/val/val_annotations.txt")
        } else {
            for split in ["validate", "test"] {
                for (c, wnid) in classes.enumerated().reversed() where c != 1 {
                    try folder.write(
                        try JPEG.encode(Fixtures.rgb(width: 64, height: 64, seed: 20 + c)),
                        to: "tiny-imagenet-200/\(split)/\(wnid)/\(split)_\(c).jpeg")
                }
            }
        }
    }

    @Test func imageFolderLayout() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder)
        let train = try Dataset.tinyimagenet.load(.train, root: folder.url)
        #expect(train.count == 6 && train.channels == 3 && train.height == 64 && train.width == 64)
        #expect(train.labelNames == Self.classes && train.labels == [0, 0, 1, 1, 2, 2])
        // Labels index the training classes even when a split lacks one of them.
        let test = try Dataset.tinyimagenet.load(.test, root: folder.url)
        #expect(test.labels == [0, 2] && test.classCount == 3)
        // Decoded pixels are close to what was encoded (JPEG is lossy).
        let original = Fixtures.smooth(width: 64, height: 64, seed: 3)
        let red = stride(from: 0, to: original.pixels.count, by: 3).map { Int(original.pixels[$0]) }
        let decodedRed = train.image(3).prefix(64 * 64).map { Int($0) }
        let meanError = Double(zip(red, decodedRed).reduce(0) { $0 + abs($1.0 - $1.1) }) / Double(red.count)
        #expect(meanError < 2)
    }

    @Test func officialValidationLayoutIsSplit() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder, official: true)
        let all = try Dataset.tinyimagenet.loadOfficial(train: false, root: folder.url)
        #expect(all.labels == [0, 1, 2, 0])
        let validate = try Dataset.tinyimagenet.load(.validate, root: folder.url)
        let test = try Dataset.tinyimagenet.load(.test, root: folder.url)
        #expect(validate.count == 2 && test.count == 2)
    }

    @Test func badFilesAreReported() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder)
        let bad = try folder.write(
            Array("not a jpeg".utf8), to: "tiny-imagenet-200/test/n01443537/broken.JPEG")
        let error = try #require(throws: DataFileError.self) { try Dataset.tinyimagenet.load(.test, root: folder.url) }
        #expect(error.file == bad.path && error.problem.contains("not a JPEG"))
        try folder.write(
            try JPEG.encode(Fixtures.rgb(width: 8, height: 8, seed: 0)),
            to: "tiny-imagenet-200/validate/n99999999/x.JPEG")
        let unknown = try #require(throws: DataFileError.self) {
            try Dataset.tinyimagenet.load(.validate, root: folder.url)
        }
        #expect(unknown.problem.contains("class 'n99999999' is not among the 3 known classes"))
        let empty = try TemporaryFolder()
        let missing = try #require(throws: DataFileError.self) {
            try Dataset.tinyimagenet.load(.train, root: empty.url)
        }
        #expect(missing.problem.contains("no train/ folder"))
    }
}
