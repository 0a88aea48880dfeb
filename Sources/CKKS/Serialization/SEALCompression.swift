import CZlib
import CZstd

/// zlib and zstd framing of SEAL object members (`util/ztools.cpp`).
///
/// Compressed bytes depend on the library version and level, so only decompression must match SEAL; the
/// compressors use SEAL's settings (zlib `Z_DEFAULT_COMPRESSION`, zstd level 3) for files SEAL can read.
enum SEALCompression {
    static func compress(_ input: [UInt8], mode: ComprMode) throws -> [UInt8] {
        switch mode {
        case .none: return input
        case .zlib: return try deflate(input)
        case .zstd: return try zstdCompress(input)
        }
    }

    /// Inflates one compressed member stream, which must end exactly where `input` ends.
    /// - Parameters:
    ///   - input: the compressed bytes after the header.
    ///   - mode: the compression mode.
    ///   - object: what is being read, for error messages.
    ///   - limit: the most member bytes this object can have; inflating stops as soon as it is passed.
    /// - Returns: the member bytes.
    /// - Throws: ``CKKSError/invalidData(object:reason:)`` for corrupt or truncated data, more than `limit`
    ///   inflated bytes, or bytes after the end of the compressed stream.
    static func decompress(_ input: ArraySlice<UInt8>, mode: ComprMode, object: String, limit: Int) throws
        -> [UInt8]
    {
        try decompress(input, mode: mode, object: object, limit: limit, prefix: false)
    }

    /// The first `count` inflated member bytes (fewer if the stream is shorter), inflating no more than that: to
    /// read the fields that size the rest.
    /// - Throws: ``CKKSError/invalidData(object:reason:)`` for corrupt data.
    static func inflatedPrefix(_ input: ArraySlice<UInt8>, mode: ComprMode, object: String, count: Int) throws
        -> [UInt8]
    {
        try decompress(input, mode: mode, object: object, limit: count, prefix: true)
    }

    /// Inflates at most `limit` bytes: with `prefix`, returns them when more remain; otherwise more is an error,
    /// and so are bytes after the compressed stream's end.
    private static func decompress(
        _ input: ArraySlice<UInt8>, mode: ComprMode, object: String, limit: Int, prefix: Bool
    ) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(min(max(limit, 0), 1 << 20) + 1)
        // Every chunk is appended, then the limit checked: at most one chunk (64 KiB or zstd's 128 KiB) past it.
        func append(_ chunk: UnsafeRawBufferPointer) throws -> Bool {
            guard output.count + chunk.count > limit else {
                output.append(contentsOf: chunk)
                return true
            }
            if prefix {
                output.append(contentsOf: chunk.prefix(max(0, limit - output.count)))
                return false
            }
            throw CKKSError.invalidData(
                object: object,
                reason: "\(mode) data inflates beyond \(limit) bytes, more than the \(object) can hold")
        }
        switch mode {
        case .none:
            try input.withUnsafeBytes { _ = try append($0) }
        case .zlib:
            try inflate(input, object: object, prefix: prefix, append)
        case .zstd:
            try zstdDecompress(input, object: object, prefix: prefix, append)
        }
        return output
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

    /// Feeds inflated chunks to `sink` until the stream ends or `sink` returns false.
    private static func inflate(
        _ input: ArraySlice<UInt8>, object: String, prefix: Bool, _ sink: (UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CKKSError.invalidData(object: object, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
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
                let produced = chunk.count - Int(stream.avail_out)
                guard try chunk.withUnsafeBytes({ try sink(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }) else {
                    return
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw CKKSError.invalidData(object: object, reason: "zlib stream ends early")
                }
            } while status != Z_STREAM_END
            guard prefix || stream.avail_in == 0 else {
                throw CKKSError.invalidData(
                    object: object, reason: "\(stream.avail_in) bytes follow the end of the zlib stream")
            }
        }
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

    /// Feeds decompressed chunks to `sink` until the frame ends or `sink` returns false.
    private static func zstdDecompress(
        _ input: ArraySlice<UInt8>, object: String, prefix: Bool, _ sink: (UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        guard let context = ZSTD_createDStream() else {
            throw CKKSError.invalidData(object: object, reason: "zstd could not start decompressing")
        }
        defer { ZSTD_freeDStream(context) }
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
                guard try chunk.withUnsafeBytes({ try sink(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }) else {
                    return
                }
                finished = hint == 0
                if !finished && inBuffer.pos == inBuffer.size && produced < chunk.count {
                    throw CKKSError.invalidData(object: object, reason: "zstd frame ends early")
                }
            }
            guard prefix || inBuffer.pos == inBuffer.size else {
                throw CKKSError.invalidData(
                    object: object, reason: "\(inBuffer.size - inBuffer.pos) bytes follow the end of the zstd frame")
            }
        }
    }
}
