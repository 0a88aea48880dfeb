import CZlib
import CZstd

/// zlib and zstd framing of SEAL object members (`util/ztools.cpp`).
///
/// Compressed bytes depend on the library version and level, so only decompression must match SEAL; the
/// compressors use SEAL's settings (zlib `Z_DEFAULT_COMPRESSION`, zstd level 3) for files SEAL can read.
enum SEALCompression {
    /// The largest inflated member stream accepted, a guard against decompression bombs. SEAL's largest objects
    /// (every Galois key at N = 32768 with a 881-bit modulus, about 3.5 GiB) stay below it.
    static let maxInflatedByteCount = 1 << 34

    static func compress(_ input: [UInt8], mode: ComprMode) throws -> [UInt8] {
        switch mode {
        case .none: return input
        case .zlib: return try deflate(input)
        case .zstd: return try zstdCompress(input)
        }
    }

    static func decompress(_ input: ArraySlice<UInt8>, mode: ComprMode, object: String) throws -> [UInt8] {
        switch mode {
        case .none: return Array(input)
        case .zlib: return try inflate(input, object: object)
        case .zstd: return try zstdDecompress(input, object: object)
        }
    }

    private static func deflate(_ input: [UInt8]) throws -> [UInt8] {
        var bound = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(bound))
        let status = input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                compress2(dst.baseAddress, &bound, src.baseAddress, uLong(src.count), Z_DEFAULT_COMPRESSION)
            }
        }
        guard status == Z_OK else { throw CKKSError.invalidArgument("zlib compression failed (\(status))") }
        output.removeSubrange(Int(bound)...)
        return output
    }

    private static func inflate(_ input: ArraySlice<UInt8>, object: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CKKSError.invalidData(object: object, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status = Z_OK
        try input.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = uInt(src.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw CKKSError.invalidData(object: object, reason: "zlib data is corrupt (inflate \(status))")
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
                guard output.count <= maxInflatedByteCount else {
                    throw CKKSError.invalidData(object: object, reason: "zlib data inflates beyond 16 GiB")
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw CKKSError.invalidData(object: object, reason: "zlib stream ends early")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    private static func zstdCompress(_ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3)
            }
        }
        guard ZSTD_isError(written) == 0 else { throw CKKSError.invalidArgument("zstd compression failed") }
        output.removeSubrange(written...)
        return output
    }

    private static func zstdDecompress(_ input: ArraySlice<UInt8>, object: String) throws -> [UInt8] {
        guard let context = ZSTD_createDStream() else {
            throw CKKSError.invalidData(object: object, reason: "zstd could not start decompressing")
        }
        defer { ZSTD_freeDStream(context) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var finished = false
        try input.withUnsafeBytes { src in
            var inBuffer = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            while !finished {
                let (hint, produced) = chunk.withUnsafeMutableBytes { dst in
                    var outBuffer = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                    let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return (hint, outBuffer.pos)
                }
                guard ZSTD_isError(hint) == 0 else {
                    let name = String(cString: ZSTD_getErrorName(hint))
                    throw CKKSError.invalidData(object: object, reason: "zstd data is corrupt (\(name))")
                }
                output += chunk[0..<produced]
                guard output.count <= maxInflatedByteCount else {
                    throw CKKSError.invalidData(object: object, reason: "zstd data inflates beyond 16 GiB")
                }
                finished = hint == 0
                if !finished && inBuffer.pos == inBuffer.size && produced < chunk.count {
                    throw CKKSError.invalidData(object: object, reason: "zstd frame ends early")
                }
            }
        }
        return output
    }
}
