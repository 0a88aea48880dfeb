import CJPEG
import Foundation

/// JPEG decoding through the system libjpeg-turbo (`CJPEG`, Debian `libjpeg62-turbo-dev`).
///
/// libjpeg is the decoder PIL uses, with the same defaults (integer DCT, fancy upsampling), so decoded pixels
/// match what torchvision's `ImageFolder` saw. Greyscale JPEGs are expanded to RGB, like PIL's `convert("RGB")`.
public enum JPEG {
    /// Decodes a JPEG held in memory to RGB.
    ///
    /// - Throws: ``DataFileError`` naming `file` with libjpeg's message for a foreign, corrupt or truncated file.
    public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
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
                    input.baseAddress, UInt(input.count), &output, &width, &height, text.baseAddress, text.count)
            }
        }
        defer { free(output) }
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
