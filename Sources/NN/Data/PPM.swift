import Foundation

/// Reader for binary PPM (`P6`) images, the format of GTSRB.
///
/// Header: `P6`, width, height, maxval as ASCII decimals separated by whitespace (with `#` comments allowed),
/// one whitespace byte, then width × height RGB triples (one byte each when maxval < 256, big-endian pairs otherwise).
public enum PPM {
    /// Decodes a P6 file held in memory.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - file: the path, for error messages.
    /// - Returns: the image as 8-bit RGB.
    /// - Throws: ``DataFileError`` for a foreign magic number, a malformed header or missing pixel bytes.
    public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") else {
            throw DataFileError(file: file, problem: "not a binary PPM image (expected magic P6)")
        }
        var position = 2
        func number(_ what: String) throws -> Int {
            // Skip whitespace and comments.
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 0x0a { position += 1 }
                } else if byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d {
                    position += 1
                } else {
                    break
                }
            }
            var value = 0
            var digits = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39, digits < 9 {
                value = value * 10 + Int(bytes[position] - 0x30)
                position += 1
                digits += 1
            }
            guard digits > 0 else {
                throw DataFileError(file: file, problem: "malformed PPM header: missing \(what)")
            }
            return value
        }
        let width = try number("width")
        let height = try number("height")
        let maxValue = try number("maxval")
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw DataFileError(file: file, problem: "unsupported PPM size \(width)×\(height)")
        }
        guard maxValue > 0, maxValue < 65536 else {
            throw DataFileError(file: file, problem: "PPM maxval \(maxValue) outside 1...65535")
        }
        guard position < bytes.count,
            [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position])
        else {
            throw DataFileError(file: file, problem: "malformed PPM header: no whitespace before the pixels")
        }
        position += 1
        let bytesPerSample = maxValue < 256 ? 1 : 2
        let needed = width * height * 3 * bytesPerSample
        guard bytes.count - position >= needed else {
            throw DataFileError(
                file: file,
                problem: "truncated: \(bytes.count - position) pixel bytes, \(width)×\(height) needs \(needed)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<pixels.count {
            let sample: Int
            if bytesPerSample == 1 {
                sample = Int(bytes[position + i])
            } else {
                sample = Int(bytes[position + 2 * i]) << 8 | Int(bytes[position + 2 * i + 1])
            }
            // Rescale to 0...255 with rounding when maxval is not 255 (as netpbm and PIL do).
            pixels[i] = maxValue == 255 ? UInt8(sample) : UInt8(min(255, (sample * 255 + maxValue / 2) / maxValue))
        }
        return RGBImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Encodes an RGB image as P6 with maxval 255 (used to write fixtures and previews).
    public static func encode(_ image: RGBImage) -> [UInt8] {
        precondition(image.channels == 3, "PPM stores RGB images")
        return Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}
