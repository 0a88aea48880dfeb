import CZlib

/// gzip decompression through the system zlib (`CZlib`).
enum Gzip {
    /// True when `bytes` starts with the gzip magic `1f 8b`.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a whole gzip stream (several concatenated members are allowed, as `gunzip` allows).
    ///
    /// - Throws: ``DataFileError`` naming `file` when the stream is corrupt or ends early.
    static func decompress(_ input: [UInt8], file: String) throws -> [UInt8] {
        var output: [UInt8] = []
        // The gzip trailer stores the last member's size mod 2^32; use it as a capacity hint only.
        if input.count >= 4 {
            let n = input.count
            let hint = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            output.reserveCapacity(min(hint, 1 << 30))
        }
        var stream = z_stream()
        // 16 + MAX_WBITS selects the gzip wrapper (inflateInit2 is a macro, so call the underlying function).
        var status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw DataFileError(file: file, problem: "zlib initialisation failed") }
        defer { inflateEnd(&stream) }

        let chunkSize = 1 << 18
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuffer in
            guard let inBase = inBuffer.baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: inBase)
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(chunkSize)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    if produced == 0 && stream.avail_in == 0 {
                        throw DataFileError(file: file, problem: "truncated gzip stream")
                    }
                case Z_STREAM_END:
                    consumed = inBuffer.count - Int(stream.avail_in)
                    // Skip trailing zero padding; another member starts with the magic bytes again.
                    let rest = inBuffer[consumed...]
                    guard rest.count >= 2, rest[consumed] == 0x1f, rest[consumed + 1] == 0x8b else { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataFileError(file: file, problem: "zlib reset failed")
                    }
                case Z_BUF_ERROR:
                    throw DataFileError(file: file, problem: "truncated gzip stream")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw DataFileError(file: file, problem: "corrupt gzip data (\(message))")
                }
            }
        }
        return output
    }
}

extension Gzip {
    /// Compresses `input` as one gzip member (level 6), for fixtures and for writing `.gz` outputs.
    package static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(
            &stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw DataFileError(file: "<memory>", problem: "zlib initialisation failed") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return deflate(&stream, Z_FINISH) == Z_STREAM_END ? outBuffer.count - Int(stream.avail_out) : -1
            }
        }
        guard produced >= 0 else { throw DataFileError(file: "<memory>", problem: "gzip compression failed") }
        return Array(output[0..<produced])
    }
}
