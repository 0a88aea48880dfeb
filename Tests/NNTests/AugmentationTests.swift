import Testing

@testable import NN

@Suite struct AugmentationTests {
    @Test func lumaMatchesPIL() {
        // PIL 11 Image.new("RGB", (1, 1), rgb).convert("L") values.
        let cases: [((UInt8, UInt8, UInt8), UInt8)] = [
            ((255, 0, 0), 76), ((0, 255, 0), 150), ((0, 0, 255), 29), ((12, 200, 77), 130), ((255, 255, 255), 255),
            ((128, 64, 32), 79),
        ]
        for ((r, g, b), expected) in cases {
            #expect(Augmentation.luma(red: r, green: g, blue: b) == expected)
        }
    }

    @Test func flipAndGrayscale() throws {
        // Two 3×1×3 RGB images.
        let pixels: [UInt8] = [1, 2, 3, 10, 20, 30, 100, 110, 120] + [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let images = try LabeledImages(
            count: 2, channels: 3, height: 1, width: 3, pixels: pixels, labels: [0, 1], labelNames: ["a", "b"])
        var generator = Xoshiro256(seed: 1)
        let flipped = Augmentation(horizontalFlip: 1).apply(to: images, using: &generator)
        #expect(flipped.pixels == [3, 2, 1, 30, 20, 10, 120, 110, 100] + [0, 0, 255, 0, 255, 0, 255, 0, 0])
        let grey = Augmentation(grayscale: 1).apply(to: images, using: &generator)
        #expect(Array(grey.image(1)) == [76, 150, 29, 76, 150, 29, 76, 150, 29])
        #expect(Augmentation.none.apply(to: images, using: &generator) == images)
        // About half the images of a larger set are flipped, and the same seed gives the same copy.
        let many = try LabeledImages(
            count: 1000, channels: 1, height: 1, width: 2,
            pixels: Array(repeating: [0, 1], count: 1000).flatMap { $0 },
            labels: Array(repeating: 0, count: 1000), labelNames: ["x"])
        var a = Xoshiro256(seed: 9)
        var b = Xoshiro256(seed: 9)
        let first = Augmentation.training(.cifar10).apply(to: many, using: &a)
        #expect(first == Augmentation.training(.gtsrb).apply(to: many, using: &b))
        let flips = (0..<1000).filter { first.pixels[2 * $0] == 1 }.count
        #expect(flips > 430 && flips < 570)
        #expect(Augmentation.training(.mnist) == .none)
    }
}
