import Foundation
import Hummingbird
import PrivateInference

/// A refusal the service sends as `{"error": {"code": …, "message": …}}` with its HTTP status: one line that
/// names what is wrong, never a token, a secret key or a path on the owner's machine.
struct APIError: Error, Sendable {
    /// The HTTP status code.
    var status: Int
    /// A stable machine-readable code (`unauthorized`, `forbidden`, `not_found`, `in_progress`,
    /// `already_decrypted`, `precondition_failed`, `too_large`, `expectation_failed`, `bad_request`, `internal`).
    var code: String
    /// The one-line message.
    var message: String

    static func unauthorized(_ message: String) -> APIError {
        APIError(status: 401, code: "unauthorized", message: message)
    }
    static func forbidden(_ message: String) -> APIError { APIError(status: 403, code: "forbidden", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: 404, code: "not_found", message: message) }
    static func tooLarge(_ message: String) -> APIError { APIError(status: 413, code: "too_large", message: message) }
    static func badRequest(_ message: String) -> APIError {
        APIError(status: 400, code: "bad_request", message: message)
    }
    /// The details go to the owner's log; the client learns only that the owner is at fault.
    static let `internal` = APIError(status: 500, code: "internal", message: "the owner's service failed; see its log")

    /// The user store's refusals: an unknown token is 401, everything else the user is not allowed is 403.
    init(_ refusal: UserStore.Refusal) {
        switch refusal {
        case .unknownToken: self = .unauthorized(refusal.description)
        default: self = .forbidden(refusal.description)
        }
    }

    /// A copy of a chunk the service will not answer (409): `in_progress` (send it again once the first copy is
    /// answered) or `already_decrypted` (make a new request).
    init(_ refusal: ServedChunks.Refusal) {
        switch refusal {
        case .inProgress: self.init(status: 409, code: "in_progress", message: refusal.description)
        case .alreadyDecrypted: self.init(status: 409, code: "already_decrypted", message: refusal.description)
        }
    }

    init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The JSON response.
    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: OwnerProtocol.errorBody(code: code, message: message))))
    }
}
