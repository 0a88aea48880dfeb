import Foundation
import TestSupport
import Testing

@testable import NN

@Suite struct PPMTests {
    @Test func roundTripWithComments() throws {
        let image = Fixtures.rgb(width: 5, height: 3, seed: 1)
        #expect(try PPM.decode(PPM.encode(image), file: "x") == image)
        let commented = Array("P6 # made by a test\n5\t3\n# maxval next\n255\n".utf8) + image.pixels
        #expect(try PPM.decode(commented, file: "x") == image)
    }

    @Test func sixteenBitAndSmallMaxvalAreRescaled() throws {
        let wide = Array("P6 1 1 65535\n".utf8) + [0xff, 0xff, 0x80, 0x00, 0x00, 0x00]
        #expect(try PPM.decode(wide, file: "x").pixels == [255, 128, 0])
        let small = Array("P6 1 1 15\n".utf8) + [15, 8, 0]
        #expect(try PPM.decode(small, file: "x").pixels == [255, 136, 0])
    }

    @Test func badFilesAreReported() {
        #expect(throws: DataFileError(file: "a.ppm", problem: "not a binary PPM image (expected magic P6)")) {
            try PPM.decode(Array("P3 1 1 255 0 0 0".utf8), file: "a.ppm")
        }
        #expect(throws: DataFileError(file: "b.ppm", problem: "malformed PPM header: missing height")) {
            try PPM.decode(Array("P6 4 x".utf8), file: "b.ppm")
        }
        #expect(throws: DataFileError(file: "c.ppm", problem: "truncated: 5 pixel bytes, 2×1 needs 6")) {
            try PPM.decode(Array("P6 2 1 255\n".utf8) + [1, 2, 3, 4, 5], file: "c.ppm")
        }
        #expect(throws: DataFileError(file: "d.ppm", problem: "PPM maxval 0 outside 1...65535")) {
            try PPM.decode(Array("P6 2 1 0\n".utf8), file: "d.ppm")
        }
    }
}

@Suite struct JPEGTests {
    @Test func decodesWhatLibjpegEncoded() throws {
        let image = Fixtures.smooth(width: 24, height: 16, seed: 2)
        let bytes = try JPEG.encode(image, quality: 95)
        let decoded = try JPEG.decode(bytes, file: "x.jpg")
        #expect(decoded.width == 24 && decoded.height == 16 && decoded.channels == 3)
        let meanError =
            zip(decoded.pixels, image.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) }
            / Double(image.pixels.count)
        #expect(meanError < 2)
    }

    @Test func truncatedJPEGIsReported() throws {
        let bytes = try JPEG.encode(Fixtures.rgb(width: 32, height: 32, seed: 3))
        let error = try #require(throws: DataFileError.self) {
            try JPEG.decode(Array(bytes.prefix(bytes.count / 2)), file: "cut.JPEG")
        }
        #expect(error.file == "cut.JPEG")
        #expect(error.problem.contains("Premature end of JPEG file"))
    }

    /// A decode that fails after the pixel buffer is allocated frees it (found by the `jpeg` fuzz harness,
    /// Fuzz/regressions/jpeg-leak-on-truncated-image.jpg: the buffer pointer was not volatile across longjmp).
    @Test func failedDecodeFreesItsPixelBuffer() throws {
        let (width, height) = (4096, 2048)
        let bytes = try JPEG.encode(
            RGBImage(width: width, height: height, pixels: [UInt8](repeating: 90, count: width * height * 3)))
        let cut = Array(bytes.prefix(bytes.count / 2))  // fails at the end of data, after about half the rows
        func residentBytes() -> Int {
            let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ")
            return (fields.flatMap { $0.count > 1 ? Int($0[1]) : nil } ?? 0) * 4096
        }
        let before = residentBytes()
        for _ in 0..<48 { #expect(throws: DataFileError.self) { try JPEG.decode(cut, file: "cut.JPEG") } }
        // 48 leaked buffers would hold about 48 × 12 MiB of written rows; freed ones are reused. The margin is wide
        // because other tests run in the same process at the same time.
        #expect(residentBytes() - before < 256 << 20)
    }

    /// A header claiming 65,000 × 65,000 pixels (libjpeg's own limit is 65,500 a side) is refused before anything is
    /// allocated for them (the `jpeg` fuzz harness found a 12 GiB RGB buffer going over its 2 GiB limit;
    /// Fuzz/regressions/jpeg-huge-dimensions.jpg).
    @Test func oversizedHeaderIsRefusedBeforeAllocation() throws {
        var bytes = try JPEG.encode(Fixtures.rgb(width: 16, height: 8, seed: 5))
        // SOF0 (FF C0): length(2) precision(1) height(2) width(2).
        let sof = try #require((0..<bytes.count - 1).first { bytes[$0] == 0xff && bytes[$0 + 1] == 0xc0 })
        for (i, byte) in [0xfd, 0xe8, 0xfd, 0xe8].enumerated() { bytes[sof + 5 + i] = UInt8(byte) }  // 65,000 twice
        let overLimit = "JPEG of 65000 x 65000 pixels is over the limit of 67108864 pixels"
        #expect(throws: DataFileError(file: "huge.JPEG", problem: overLimit)) {
            try JPEG.decode(bytes, file: "huge.JPEG")
        }
        let regression = RepositoryPaths.root.appendingPathComponent("Fuzz/regressions/jpeg-huge-dimensions.jpg")
        #expect(throws: DataFileError(file: "r.JPEG", problem: overLimit)) {
            try JPEG.decode([UInt8](try Data(contentsOf: regression)), file: "r.JPEG")
        }
        // The limit is inclusive and per call.
        let small = try JPEG.encode(Fixtures.rgb(width: 16, height: 8, seed: 5))
        #expect(try JPEG.decode(small, file: "s.JPEG", maxPixels: 128).width == 16)
        let overSmallLimit = "JPEG of 16 x 8 pixels is over the limit of 127 pixels"
        #expect(throws: DataFileError(file: "s.JPEG", problem: overSmallLimit)) {
            try JPEG.decode(small, file: "s.JPEG", maxPixels: 127)
        }
    }

    @Test func foreignAndCorruptFilesAreReported() throws {
        #expect(throws: DataFileError(file: "x.JPEG", problem: "not a JPEG image (no SOI marker FF D8)")) {
            try JPEG.decode(Array("P6 1 1 255\n".utf8), file: "x.JPEG")
        }
        var bytes = try JPEG.encode(Fixtures.rgb(width: 16, height: 16, seed: 4))
        for i in 2..<min(bytes.count, 200) { bytes[i] = 0x11 }
        let error = try #require(throws: DataFileError.self) { try JPEG.decode(bytes, file: "bad.JPEG") }
        #expect(error.problem.hasPrefix("corrupt JPEG"))
    }
}

@Suite struct ResizeTests {
    /// The pattern the PIL reference values below were computed from.
    static func referenceImage(width: Int, height: Int, formula: (Int, Int, Int) -> Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { for c in 0..<3 { pixels.append(UInt8(formula(x, y, c) % 256)) } }
        }
        return RGBImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    @Test func matchesPILBilinear() {
        // Expected values: PIL 11 `Image.frombytes("RGB", …).resize(size, Image.BILINEAR)` on the same pattern.
        let image = Self.referenceImage(width: 45, height: 37) { x, y, c in (x * 7 + y * 13 + c * 50 + (x * y) % 17) * 3
        }
        let down = Resize.bilinear(image, width: 32, height: 32)
        #expect(Array(down.pixels.prefix(12)) == [14, 164, 58, 41, 191, 85, 72, 184, 116, 103, 208, 147])
        #expect(down.pixels.reduce(0) { $0 + Int($1) } == 392_536)
        let up = Resize.bilinear(image, width: 50, height: 60)
        #expect(Array(up.pixels.prefix(12)) == [0, 150, 44, 18, 168, 62, 37, 187, 81, 56, 206, 100])
        #expect(up.pixels.reduce(0) { $0 + Int($1) } == 1_150_647)
        let small = Self.referenceImage(width: 20, height: 15) { x, y, c in (x * 11 + y * 5 + c * 30) * 5 }
        #expect(Resize.bilinear(small, width: 32, height: 32).pixels.reduce(0) { $0 + Int($1) } == 390_166)
    }

    @Test func sameSizeIsIdentityAndCropClamps() {
        let image = Fixtures.rgb(width: 6, height: 4, seed: 5)
        #expect(Resize.bilinear(image, width: 6, height: 4) == image)
        let crop = image.cropped(x0: 4, y0: 1, x1: 10, y1: 3)
        #expect(crop.width == 2 && crop.height == 2)
        #expect(Array(crop.pixels.prefix(3)) == Array(image.pixels[((1 * 6 + 4) * 3)..<((1 * 6 + 4) * 3 + 3)]))
    }
}
