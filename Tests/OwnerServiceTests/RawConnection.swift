import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to a loopback port, for what no HTTP client does on purpose: stopping mid-upload,
/// waiting for `100 Continue`, sending a chunked body of a chosen size, reading a HEAD answer byte for byte.
final class RawConnection: @unchecked Sendable {
    private var descriptor: Int32
    /// Bytes read past the last head returned.
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port`; reads give up after 60 s, so that a server that never answers fails the test
    /// instead of hanging it.
    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    /// Sends all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw POSIXError(.EPIPE) }
            offset += sent
        }
    }

    /// Sends `text` (a request head, say).
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads more bytes into `pending`; false at the end of the stream, on an error or after the timeout.
    private func fill() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var got: Int
        // A signal (the tests that run privdnn processes get SIGCHLD) interrupts recv with EINTR: read again
        // instead of taking it for the end of the stream.
        repeat {
            got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        } while got < 0 && errno == EINTR
        guard got > 0 else { return false }
        pending += buffer[0..<got]
        return true
    }

    /// Reads up to the end of the next response head (a blank line), or 64 KiB, and returns it; what follows it
    /// stays for the next read.
    func receiveHead() -> String {
        let end = Array("\r\n\r\n".utf8)
        while true {
            if let at = pending.firstRange(of: end) {
                let head = Array(pending[..<at.upperBound])
                pending.removeSubrange(..<at.upperBound)
                return String(decoding: head, as: UTF8.self)
            }
            guard pending.count < 1 << 16, fill() else {
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
        }
    }

    /// Whether the server closes the connection (reads reach the end of the stream) within the read timeout;
    /// whatever it sends before is read and dropped.
    func closedByPeer() -> Bool {
        pending.removeAll()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if got == 0 { return true }
            if got < 0 && errno == EINTR { continue }
            if got < 0 { return errno == ECONNRESET }
        }
    }

    /// Closes the connection (the server sees the body end early).
    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}
