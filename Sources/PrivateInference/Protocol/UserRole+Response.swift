import Foundation
import NN

/// Reading the owner's response on the user's side: every chunk checked against its request, then decoded.
extension UserRole {
    /// Unmasks and decodes a response to a request of `pkg` and completes the network: logits `[B, classes]`.
    static func finish(_ pkg: LoadedPackage, request: URL, response: URL) throws -> Tensor {
        try decode(pkg, request: request, response: response).finish()
    }

    /// Checks and decodes every chunk of a response (``ResponseAssembler``).
    static func decode(_ pkg: LoadedPackage, request: URL, response: URL) throws -> ResponseAssembler {
        let requests = try ChunkDirectory.list(request)
        let privateDir = ChunkDirectory.privateDirectory(request)
        let privates = try ChunkDirectory.list(privateDir), responses = try ChunkDirectory.list(response)
        guard privates.count == requests.count else {
            throw InferenceError.mismatch(
                path: privateDir.path, reason: "holds \(privates.count) chunks, the request \(requests.count)")
        }
        guard responses.count == requests.count else {
            throw InferenceError.mismatch(
                path: response.path, reason: "holds \(responses.count) chunks, the request \(requests.count)")
        }
        var assembler = try ResponseAssembler(pkg, privateDirectory: privateDir)
        for i in requests.indices {
            try assembler.add(request: requests[i], privateChunk: privates[i], response: responses[i], position: i)
        }
        return assembler
    }
}
