import Foundation
import Testing

@testable import NN

@Suite struct GTSRBLoaderTests {
    static let header = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"

    /// Two classes of the training layout and a flat test folder, with images of several sizes.
    static func makeTree(_ folder: TemporaryFolder) throws {
        for (classID, sizes) in [(0, [(40, 36), (32, 32)]), (42, [(29, 31)])] {
            let dir = String(format: "GTSRB/Final_Training/Images/%05d", classID)
            var csv = header + "\n"
            for (k, size) in sizes.enumerated() {
                let name = String(format: "%05d_%05d.ppm", k, 0)
                try folder.write(
                    PPM.encode(Fixtures.rgb(width: size.0, height: size.1, seed: classID + k)), to: "\(dir)/\(name)")
                csv += "\(name);\(size.0);\(size.1);5;5;\(size.0 - 6);\(size.1 - 6);\(classID)\n"
            }
            try folder.write(Array(csv.utf8), to: String(format: "\(dir)/GT-%05d.csv", classID))
        }
        var testCSV = header + "\r\n"
        for k in 0..<4 {
            let name = String(format: "%05d.ppm", k)
            try folder.write(
                PPM.encode(Fixtures.rgb(width: 30 + k, height: 33, seed: k)), to: "GTSRB/Final_Test/Images/\(name)")
            testCSV += "\(name);\(30 + k);33;5;6;\(24 + k);27;\(k * 10)\r\n"
        }
        try folder.write(Array(testCSV.utf8), to: "GTSRB/Final_Test/Images/GT-final_test.csv")
    }

    @Test func loadsTrainingAndTestLayouts() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder)
        let train = try Dataset.gtsrb.loadOfficial(train: true, root: folder.url)
        #expect(train.count == 3 && train.channels == 3 && train.height == 32 && train.width == 32)
        #expect(train.labels == [0, 0, 42] && train.classCount == 43)
        // The 32×32 image passes through unchanged, stored planar.
        let original = Fixtures.rgb(width: 32, height: 32, seed: 1)
        let plane = Array(train.image(1).prefix(1024))
        #expect(plane == stride(from: 0, to: original.pixels.count, by: 3).map { original.pixels[$0] })
        let test = try Dataset.gtsrb.loadOfficial(train: false, root: folder.url)
        #expect(test.labels == [0, 10, 20, 30])
        let split = try Dataset.gtsrb.load(.test, root: folder.url)
        #expect(split.count == 2)
    }

    @Test func cropsToTheRegionOfInterestWhenAsked() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder)
        let images = folder.url.appendingPathComponent("GTSRB/Final_Test/Images")
        let cropped = try GTSRBLoader.load(folder: images, size: 32, cropToROI: true)
        let plain = try GTSRBLoader.load(folder: images, size: 32)
        #expect(cropped.count == 4 && cropped.pixels != plain.pixels)
        // Image 0 is 30×33 with ROI (5,6)–(24,27) inclusive, i.e. 20×22 before resizing.
        let roi = Fixtures.rgb(width: 30, height: 33, seed: 0).cropped(x0: 5, y0: 6, x1: 25, y1: 28)
        var expected: [UInt8] = []
        Resize.bilinear(roi, width: 32, height: 32).appendPlanar(to: &expected)
        #expect(Array(cropped.image(0)) == expected)
    }

    @Test func badAnnotationsAreReported() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder)
        let csv = try folder.write(
            Array((Self.header + "\n00000.ppm;30;33;5;6;24;27;43\n").utf8),
            to: "GTSRB/Final_Test/Images/GT-final_test.csv")
        let error = try #require(throws: DataFileError.self) {
            try Dataset.gtsrb.loadOfficial(train: false, root: folder.url)
        }
        #expect(error.file == csv.path)
        #expect(error.problem == "line 2: ClassId '43' outside 0..<43")
        try folder.write(Array("Name;Class\nx;1\n".utf8), to: "GTSRB/Final_Test/Images/GT-final_test.csv")
        let headerError = try #require(throws: DataFileError.self) {
            try Dataset.gtsrb.loadOfficial(train: false, root: folder.url)
        }
        #expect(headerError.problem.contains("lacks Filename or ClassId"))
        try folder.write(
            Array((Self.header + "\n../x.ppm;1;1;0;0;0;0;1\n").utf8), to: "GTSRB/Final_Test/Images/GT-final_test.csv")
        let pathError = try #require(throws: DataFileError.self) {
            try Dataset.gtsrb.loadOfficial(train: false, root: folder.url)
        }
        #expect(pathError.problem.contains("bad file name"))
    }

    @Test func truncatedImageAndMissingFolderAreReported() throws {
        let folder = try TemporaryFolder()
        try Self.makeTree(folder)
        let image = try folder.write(Array("P6 30 33 255\n".utf8) + [1, 2, 3], to: "GTSRB/Final_Test/Images/00002.ppm")
        let error = try #require(throws: DataFileError.self) {
            try Dataset.gtsrb.loadOfficial(train: false, root: folder.url)
        }
        #expect(error.file == image.path && error.problem.hasPrefix("truncated"))
        let empty = try TemporaryFolder()
        let missing = try #require(throws: DataFileError.self) {
            try Dataset.gtsrb.loadOfficial(train: true, root: empty.url)
        }
        #expect(missing.problem.contains("Final_Training/Images"))
    }
}
