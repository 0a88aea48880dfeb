import CJPEG
import Foundation

/// JPEG decoding through the system libjpeg-turbo (`CJPEG`, Debian `libjpeg62-turbo-dev`).
///
/// libjpeg is the decoder PIL uses, with the same defaults (integer DCT, fancy upsampling), so decoded pixels
/// match what torchvision's `ImageFolder` saw. Greyscale JPEGs are expanded to RGB, like PIL's `convert("RGB")`.
public enum JPEG {
    /// The largest image ``decode(_:file:maxPixels:)`` accepts by default: 64 Mpx, 192 MiB of RGB.
    ///
    /// Data sets hold far smaller pictures (TinyImageNet 64 x 64, GTSRB up to a few hundred pixels a side); the limit
    /// is there because a JPEG header states its size, and a corrupt or hostile file can claim gigapixels.
    public static let defaultMaxPixels = 1 << 26

    /// Decodes a JPEG held in memory to RGB.
    ///
    /// - Parameters:
    ///   - bytes: the whole JPEG file.
    ///   - file: the file's name, for error messages.
    ///   - maxPixels: images with more pixels (width × height, as the header states them) are refused
    ///     before their buffers are allocated.
    /// - Returns: the image as 8-bit RGB, row by row.
    /// - Throws: ``DataFileError`` naming `file` with libjpeg's message for a foreign, corrupt, truncated or
    ///   oversized file.
    public static func decode(_ bytes: [UInt8], file: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        guard bytes.count >= 3, bytes[0] == 0xff, bytes[1] == 0xd8 else {
            throw DataFileError(file: file, problem: "not a JPEG image (no SOI marker FF D8)")
        }
        var message = [CChar](repeating: 0, count: 256)
        var output: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                privdnn_jpeg_decode_rgb(
                    input.baseAddress, UInt(input.count), UInt64(max(0, maxPixels)), &output, &width, &height,
                    text.baseAddress, text.count)
            }
        }
        defer { free(output) }
        if status == 2 {
            throw DataFileError(
                file: file, problem: "JPEG of \(width) x \(height) pixels is over the limit of \(maxPixels) pixels")
        }
        guard status == 0, let output, width > 0, height > 0 else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataFileError(file: file, problem: "corrupt JPEG (\(reason.isEmpty ? "decoder error" : reason))")
        }
        let count = Int(width) * Int(height) * 3
        let pixels = Array(UnsafeBufferPointer(start: output, count: count))
        return RGBImage(width: Int(width), height: Int(height), channels: 3, pixels: pixels)
    }

    /// Encodes an RGB image as a baseline JPEG (used by tests to build TinyImageNet fixtures).
    ///
    /// - Throws: ``DataFileError`` (file `"<memory>"`) if libjpeg rejects the image.
    package static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        var message = [CChar](repeating: 0, count: 256)
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                privdnn_jpeg_encode_rgb(
                    input.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &output, &size,
                    text.baseAddress, text.count)
            }
        }
        defer { free(output) }
        guard status == 0, let output else {
            throw DataFileError(file: "<memory>", problem: "JPEG encoding failed")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
