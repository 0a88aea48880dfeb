import CKKS
import Foundation
import NN
import OwnerService
import TestSupport
import Testing

@testable import PrivateInference

/// An owner whose certificate a private CA signed, served over HTTPS by the real service on loopback: a client
/// given that CA's PEM file runs the whole exchange; without it, or with another CA, the certificate is refused;
/// a missing or malformed CA file is refused when the client is made, naming the file.
@Suite struct PrivateCATests {
    /// The service over HTTPS with a certificate of a throwaway CA.
    static func start(_ f: ServiceFixture, _ certificates: TestCertificates) async throws -> RunningOwnerService {
        var configuration = OwnerServiceConfiguration(keys: f.keys, packages: f.packages, host: "127.0.0.1", port: 0)
        configuration.tls = (certificates.certificate, certificates.key)
        return try await OwnerService.start(configuration)
    }

    @Test(.enabled(if: TestCertificates.available)) func trustsTheGivenAuthorityOnly() async throws {
        let f = try ServiceFixture.get()
        let certificates = try TestCertificates(in: f.scratch())
        let service = try await Self.start(f, certificates)
        let url = try #require(URL(string: "https://127.0.0.1:\(service.port)"))
        // A package of its own (the committed model, its own key): the key's count is this test's alone, as other
        // suites compare the fixture's keys' counts before and after.
        let id = "ca-\(UUID().uuidString.prefix(8))"
        let model = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors")
        let selection = try SelectedNeurons([1: [0], 2: [15]])
        _ = try OwnerRole.package(
            modelURL: model, selection: selection, out: f.packages.appendingPathComponent(id), preset: .auto,
            keys: f.keys,
            parameters: try EncryptionParameters(polyModulusDegree: 4096, bitSizes: [60, 60, 60, 60, 60, 60]),
            security: .none)
        let (name, token) = try f.user()
        let client = try OwnerClient(owner: url, token: token, caFile: certificates.authority)
        #expect(try await blocking { client.healthy() })

        // The package and every chunk of a request: the separate model's predictions, each chunk counted once.
        let fetched = f.scratch().appendingPathComponent("pkg")
        _ = try await blocking { try client.fetchPackage(id: id, to: fetched) }
        let request = f.scratch().appendingPathComponent("request")
        _ = try UserRole.infer(
            package: fetched, pixels: f.pixels, count: f.count, out: request, memoryBudget: ServiceFixture.memoryBudget)
        let response = f.scratch().appendingPathComponent("response")
        try ChunkDirectory.prepare(response)
        let chunks = try f.chunks(request)
        var counted = 0
        for (i, chunk) in chunks.enumerated() {
            let answer = try await blocking {
                try client.decrypt(chunk: chunk, response: ChunkDirectory.url(response, i))
            }
            #expect(!answer.replayed && answer.decrypted > counted && answer.budget == UserStore.defaultBudget)
            counted = answer.decrypted
        }
        let logits = try UserRole.finish(package: fetched, request: request, response: response).logits
        let separate = try Model(contentsOf: model)
        try separate.applyMask(selection, mode: .separate)
        let images = Tensor(
            shape: [f.count, 1, 28, 28],
            data: try Dataset.mnist.load(.test, root: RepositoryPaths.data.appendingPathComponent("mnist"))
                .floats(at: 0..<f.count, normalization: Dataset.mnist.normalization))
        let expected = ServiceFixture.predictions(separate.network.forward(images, training: false))
        #expect(ServiceFixture.predictions(logits) == expected)
        #expect(try f.stored(name)?.decrypted == counted)
        #expect(try ServiceFixture.keyCount(keys: f.keys, package: fetched) == counted)
        // The service's headers come through libcurl: a copy of a chunk is its stored answer, not counted again.
        let copy = try await blocking {
            try client.decrypt(chunk: chunks[0], response: f.scratch().appendingPathComponent("copy"))
        }
        #expect(copy.replayed && copy.decrypted == counted)

        // Without the CA, or with another one, the certificate does not verify: nothing reaches the service.
        for untrusting in [
            OwnerClient(owner: url, token: token),
            try OwnerClient(owner: url, token: token, caFile: certificates.otherAuthority),
        ] {
            let refused = await refusal {
                try untrusting.fetchPackage(id: id, to: f.scratch().appendingPathComponent("p"))
            }
            #expect(refused?.code == OwnerServiceError.untrustedCertificate, "\(String(describing: refused))")
            #expect(refused?.description.contains("certificate") == true)
        }
        #expect(try f.stored(name)?.decrypted == counted)
        // The service's own refusals arrive as through URLSession: status, code, one line, never the token.
        let stranger = try OwnerClient(
            owner: url, token: "pdt_" + String(repeating: "0", count: 64), caFile: certificates.authority)
        let unauthorized = await refusal {
            try stranger.fetchPackage(id: id, to: f.scratch().appendingPathComponent("q"))
        }
        #expect(unauthorized?.status == 401 && unauthorized?.code == "unauthorized")
        await service.stop()
    }

    @Test(.enabled(if: TestCertificates.available)) func namesAMissingOrMalformedFile() throws {
        let f = try ServiceFixture.get()
        let dir = f.scratch()
        let certificates = try TestCertificates(in: dir)
        let pem = try String(contentsOf: certificates.authority, encoding: .utf8)
        var files: [(URL, String)] = [
            (dir.appendingPathComponent("missing.pem"), "no such CA file"),
            (dir, "cannot read the CA file"),
            (certificates.key, "holds a PRIVATE KEY block"),
        ]
        for (name, text, reason) in [
            ("empty.pem", "", "no BEGIN CERTIFICATE block"),
            ("cut.pem", String(pem.split(separator: "\n").dropLast().joined(separator: "\n")), "without its END line"),
            ("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "not base64 DER"),
        ] {
            try Data(text.utf8).write(to: dir.appendingPathComponent(name))
            files.append((dir.appendingPathComponent(name), reason))
        }
        let url = try #require(URL(string: "https://127.0.0.1:1"))
        for (file, reason) in files {
            do {
                _ = try OwnerClient(owner: url, token: "pdt_x", caFile: file)
                Issue.record("\(file.path) was taken as a CA file")
            } catch let error as InferenceError {
                #expect(error.description.hasPrefix(file.path + ": ") && error.description.contains(reason), "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
        // A real bundle of two certificates is taken.
        let bundle = dir.appendingPathComponent("bundle.pem")
        try Data((pem + (try String(contentsOf: certificates.otherAuthority, encoding: .utf8))).utf8).write(to: bundle)
        #expect(try CertificateAuthorityFile.check(bundle) == 2)
    }
}
