import HTTPTypes
import Hummingbird
import HummingbirdCore
import PrivateInference

/// HTTP/1.1 as Hummingbird serves it, plus `Expect: 100-continue` (RFC 9110 §10.1.1), which Hummingbird 2 and NIO
/// leave to the application.
///
/// A client that asks first (curl and URLSession do for large uploads) gets `100 Continue` once the service would
/// take the upload, or its final refusal (401, 403, 413) before sending a byte of a chunk that would be thrown
/// away. Any other expectation is 417.
enum ExpectContinue {
    /// The server: `admit` gives the early refusal of a request that expects `100-continue`, or nil to go on.
    static func http1(admit: @escaping @Sendable (Request) async -> Response?) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            HTTP1Channel(responder: { request, writer, channel in
                switch OwnerProtocol.expectation(request.headers[.expect]) {
                case .none:
                    try await responder(request, writer, channel)
                case .unsupported:
                    let refusal = APIError(
                        status: 417, code: "expectation_failed", message: "the only expectation served is 100-continue")
                    try await refuseEarly(refusal.response, writer: writer) {
                        channel.close(mode: .input, promise: nil)
                    }
                case .continueFirst:
                    if let refusal = await admit(request) {
                        try await refuseEarly(refusal, writer: writer) { channel.close(mode: .input, promise: nil) }
                        return
                    }
                    try await writer.writeInformationalHead(HTTPResponse(status: .continue))
                    try await responder(request, writer, channel)
                }
            })
        }
    }

    /// Sends a final answer before the body was read and closes the connection after it: the client sends no
    /// body now, and the connection cannot carry another request while the server waits for one (RFC 9110
    /// §10.1.1 asks the server to say which it does; `Connection: close` says so).
    /// - Parameters:
    ///   - response: the refusal to send.
    ///   - writer: the connection's response writer, consumed by the answer.
    ///   - closeInput: shuts the connection's input.
    /// - Throws: the writer's error when the response cannot be written (the client went away).
    private static func refuseEarly(
        _ response: Response, writer: consuming ResponseWriter, closeInput: @Sendable () -> Void
    ) async throws {
        var response = response
        response.headers[.connection] = "close"
        try await writer.write(response: response.head, body: response.body)
        // Ends the request stream Hummingbird would otherwise drain (waiting for a body that never comes); it then
        // flushes what was written and closes the connection.
        closeInput()
    }
}
