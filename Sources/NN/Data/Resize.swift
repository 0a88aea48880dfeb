/// Image resizing with PIL's bilinear filter, which is what torchvision's `Resize` applies to PIL images.
///
/// PIL resamples separably: a horizontal pass into an 8-bit intermediate image, then a vertical pass. Each output
/// pixel is a normalised triangle-filter average whose support widens by the scale factor when shrinking
/// (antialiasing). Weights are fixed-point with 22 fractional bits and results are rounded and clamped to bytes
/// after each pass, so the output matches PIL byte for byte.
enum Resize {
    private static let precisionBits = 32 - 8 - 2

    /// Resizes `image` to `width`×`height` with PIL's `Image.BILINEAR` filter.
    static func bilinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        if image.width == width && image.height == height { return image }
        var current = image
        if current.width != width {
            let taps = coefficients(inSize: current.width, outSize: width)
            current = horizontal(current, outWidth: width, taps: taps)
        }
        if current.height != height {
            let taps = coefficients(inSize: current.height, outSize: height)
            current = vertical(current, outHeight: height, taps: taps)
        }
        return current
    }

    /// Filter taps of one output coordinate: first input index and fixed-point weights.
    struct Taps {
        var start: Int
        var weights: [Int32]
    }

    static func coefficients(inSize: Int, outSize: Int) -> [Taps] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale  // the bilinear (triangle) filter has support 1
        var result: [Taps] = []
        result.reserveCapacity(outSize)
        for x in 0..<outSize {
            let center = (Double(x) + 0.5) * scale
            let lower = max(Int(center - support + 0.5), 0)
            let upper = min(Int(center + support + 0.5), inSize)
            var weights: [Double] = []
            var total = 0.0
            for i in lower..<upper {
                let t = abs((Double(i) - center + 0.5) / filterScale)
                let w = t < 1 ? 1 - t : 0
                weights.append(w)
                total += w
            }
            let fixed = weights.map { w -> Int32 in
                let normalised = total == 0 ? 0 : w / total
                let scaled = normalised * Double(1 << precisionBits)
                return Int32(scaled < 0 ? (-0.5 + scaled).rounded(.towardZero) : (0.5 + scaled).rounded(.towardZero))
            }
            result.append(Taps(start: lower, weights: fixed))
        }
        return result
    }

    private static func clip8(_ accumulator: Int64) -> UInt8 {
        let value = accumulator >> Int64(precisionBits)
        return UInt8(clamping: value)
    }

    private static func horizontal(_ image: RGBImage, outWidth: Int, taps: [Taps]) -> RGBImage {
        let c = image.channels
        var out = [UInt8](repeating: 0, count: outWidth * image.height * c)
        let half = Int64(1) << Int64(precisionBits - 1)
        for y in 0..<image.height {
            for x in 0..<outWidth {
                let tap = taps[x]
                for ch in 0..<c {
                    var sum = half
                    for (k, w) in tap.weights.enumerated() {
                        sum += Int64(image.pixels[(y * image.width + tap.start + k) * c + ch]) * Int64(w)
                    }
                    out[(y * outWidth + x) * c + ch] = clip8(sum)
                }
            }
        }
        return RGBImage(width: outWidth, height: image.height, channels: c, pixels: out)
    }

    private static func vertical(_ image: RGBImage, outHeight: Int, taps: [Taps]) -> RGBImage {
        let c = image.channels
        let rowSize = image.width * c
        var out = [UInt8](repeating: 0, count: outHeight * rowSize)
        let half = Int64(1) << Int64(precisionBits - 1)
        for y in 0..<outHeight {
            let tap = taps[y]
            for i in 0..<rowSize {
                var sum = half
                for (k, w) in tap.weights.enumerated() {
                    sum += Int64(image.pixels[(tap.start + k) * rowSize + i]) * Int64(w)
                }
                out[y * rowSize + i] = clip8(sum)
            }
        }
        return RGBImage(width: image.width, height: outHeight, channels: c, pixels: out)
    }
}
