/// One decoded 8-bit image, interleaved (HWC), as image files store it.
///
/// Loaders decode files into this, resize it, then write it planar (CHW) into ``LabeledImages``.
public struct RGBImage: Equatable, Sendable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Channels per pixel (3 for RGB).
    public var channels: Int
    /// Pixels, row-major HWC: row `y`, column `x`, channel `c` is at `(y·W + x)·C + c`.
    public var pixels: [UInt8]

    /// Creates an image from interleaved pixels.
    ///
    /// - Precondition: `pixels.count == width * height * channels`.
    public init(width: Int, height: Int, channels: Int = 3, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel count does not match the image size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The sub-image with corners `(x0, y0)` inclusive and `(x1, y1)` exclusive, clamped to the image.
    public func cropped(x0: Int, y0: Int, x1: Int, y1: Int) -> RGBImage {
        let left = max(0, min(x0, width))
        let top = max(0, min(y0, height))
        let right = max(left, min(x1, width))
        let bottom = max(top, min(y1, height))
        var out = [UInt8]()
        out.reserveCapacity((right - left) * (bottom - top) * channels)
        for y in top..<bottom {
            let start = (y * width + left) * channels
            out.append(contentsOf: pixels[start..<(start + (right - left) * channels)])
        }
        return RGBImage(width: right - left, height: bottom - top, channels: channels, pixels: out)
    }

    /// Appends this image to `planes` in planar CHW order.
    func appendPlanar(to planes: inout [UInt8]) {
        for c in 0..<channels {
            for i in 0..<(width * height) { planes.append(pixels[i * channels + c]) }
        }
    }
}
