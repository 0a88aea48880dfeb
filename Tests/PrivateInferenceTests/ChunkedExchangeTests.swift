import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The streamed engine and the chunked exchange: tiles of a plan cover every output once, a tile's ciphertexts are
/// exactly the whole plane's, a chunked exchange agrees with an unchunked one, and bad chunks are refused by name.
@Suite struct ChunkedExchangeTests {
    /// Every (filter, row) in exactly one tile, for the real networks' geometries and a range of budgets; the whole
    /// plane when it fits.
    @Test func tilesCoverEveryOutputOnce() throws {
        for architecture in [Architecture.lenet5MNIST, .alexNetGTSRB, .vgg16CIFAR10, .resNet18TinyImageNet] {
            let g = try StageGeometry(model: Model(architecture, seed: 1))
            for (conv1, conv2) in [(0, 3), (1, 1), (3, 7), (g.conv1Channels / 2, g.conv2Channels / 2)] {
                for budget in [1 << 20, 64 << 20, 1 << 30, 3 << 30, 1 << 40] {
                    let plan = TilePlan(
                        geometry: g, conv1Filters: conv1, conv2Filters: conv2, degree: 16384, budget: budget)
                    var seen = [Int](repeating: 0, count: conv2 * g.conv2Side)
                    for tile in plan.tiles {
                        for f in tile.filters { for y in tile.rows { seen[f * g.conv2Side + y] += 1 } }
                    }
                    #expect(seen.allSatisfy { $0 == 1 }, "\(architecture) \(conv1)/\(conv2) at \(budget)")
                    if budget == 1 << 40 { #expect(plan.isWhole) }
                }
            }
        }
        // CIFAR-10's VGG-16 at 50 % in the default budget: more than one tile, each within the budget.
        let vgg = try StageGeometry(model: Model(.vgg16CIFAR10, seed: 1))
        let plan = TilePlan(geometry: vgg, conv1Filters: 32, conv2Filters: 32, degree: 16384)
        #expect(plan.tiles.count > 1)
        #expect(plan.filterBlock * plan.bandRows * vgg.conv2Side * 4 * 3 * 16384 * 8 <= UserRole.defaultMemoryBudget)
        #expect(OutputTile.parse(OutputTile.describe(3..<17)) == 3..<17)
        for bad in ["", "3..<3", "5..<2", "-1..<2", "1...2", "a..<b", "1..<2..<3"] {
            #expect(OutputTile.parse(bad) == nil)
        }
    }

    /// Each tile's ciphertexts equal the whole plane's word for word (modular sums do not depend on their order),
    /// conv1 results included (ResNet-18), on every network at N = 1024.
    @Test(arguments: 0..<4)
    func tilesEqualTheWholePlane(index: Int) throws {
        let fixture = try EngineArchitectureTests.Fixture(index)
        let (architecture, selection, context, g, evaluator) = (
            EngineArchitectureTests.cases[index].0, fixture.selection, fixture.context, fixture.geometry,
            fixture.evaluator
        )
        let (pixels, count, activations) = (fixture.pixels, fixture.count, fixture.activations.data)
        let structure = fixture.structure
        let withResult = structure.readsConv1Result
        func run(_ tile: OutputTile, plainChannelGroup: Int = 1) throws -> (
            outputs: [[Ciphertext]], conv1: [Int: [Ciphertext]]
        ) {
            var times = PhaseTimes()
            var conv1: [Int: [Ciphertext]] = [:]
            var evaluator = evaluator
            evaluator.plainChannelGroup = plainChannelGroup
            let outputs = try evaluator.evaluate(
                pixels: pixels, count: count, tile: tile, times: &times,
                conv1Result: withResult ? { e, _, cts in conv1[e] = cts } : nil
            ) { _ in activations }
            return (outputs, conv1)
        }
        let filters = selection[2].count
        let whole = try run(OutputTile(filters: 0..<filters, rows: 0..<g.conv2Side))
        // The working set of a quarter of the rows: a few tiles (each recomputes its rows' squares).
        let tiles = TilePlan(
            geometry: g, conv1Filters: selection[1].count, conv2Filters: filters, degree: context.degree,
            budget: TilePlan.workingSet(
                g, conv1Filters: selection[1].count, filters: filters, rows: (g.conv2Side + 3) / 4,
                degree: context.degree, plainChannelGroup: 2))
        #expect(tiles.tiles.count > 1 && tiles.tiles.count <= 8)
        // Tiles take plaintext channels in groups (one lazy sum over several channels), the whole plane one by one.
        #expect(tiles.plainChannelGroup >= 2)
        var conv1Rows = 0
        for tile in tiles.tiles {
            let part = try run(tile, plainChannelGroup: tiles.plainChannelGroup)
            for (i, f) in tile.filters.enumerated() {
                let expected = Array(
                    whole.outputs[f][(tile.rows.lowerBound * g.conv2Side)..<(tile.rows.upperBound * g.conv2Side)])
                #expect(part.outputs[i].map(\.data) == expected.map(\.data), "\(architecture) tile \(tile) filter \(f)")
            }
            let rows = tile.conv1ResultRows(g)
            if withResult && !rows.isEmpty {
                conv1Rows += rows.count
                for (e, cts) in part.conv1 {
                    let all = try #require(whole.conv1[e])
                    #expect(
                        cts.map(\.data)
                            == all[(rows.lowerBound * g.conv1Side)..<(rows.upperBound * g.conv1Side)].map(\.data))
                }
            } else {
                #expect(part.conv1.isEmpty)
            }
        }
        if withResult { #expect(conv1Rows == g.conv1Side) }
    }

    /// ResNet-18 (conv1 results in the first block's chunks) and AlexNet through the whole exchange in many chunks:
    /// predictions equal the separate model's, as in one chunk.
    @Test(arguments: [3, 1])
    func chunkedExchangeAgreesWithTheSeparateModel(index: Int) throws {
        let (architecture, normalization, filters) = EngineArchitectureTests.cases[index]
        let selection = try SelectedNeurons(filters)
        // A quarter of the rows' working set: a few chunks.
        let g = try StageGeometry(model: Model(architecture, seed: 1))
        let budget = TilePlan.workingSet(
            g, conv1Filters: selection[1].count, filters: selection[2].count, rows: (g.conv2Side + 3) / 4, degree: 1024)
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = dir.appendingPathComponent("model.safetensors")
        try Data(EngineArchitectureTests.model(architecture, seed: 4).fileBytes()).write(to: modelURL)
        let dataset = try #require(Dataset.allCases.first { $0.architecture == architecture })
        let report = try ExchangeRun.run(
            modelURL: modelURL, selection: selection, images: dataset.synthetic(count: 3, seed: 2),
            parameters: try EngineArchitectureTests.context().parameters, security: .none, normalization: normalization,
            memoryBudget: budget, packing: .batch)
        print("\(architecture.rawValue) chunked: \(report.chunks) chunks, agreement \(report.agreement) %")
        #expect(report.chunks > 1)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
    }

    /// The standalone roles on a chunked request (LeNet-5 at the small ring, a budget of a few outputs): the owner
    /// and the user refuse a missing, repeated, reordered, foreign or tampered chunk by name, and finish the honest
    /// one with the unchunked request's predictions.
    @Test func badChunksAreRefused() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys"), package = dir.appendingPathComponent("pkg")
        _ = try OwnerRole.package(
            modelURL: try EncryptedProtocolTests.modelFile(dir), selection: SelectedNeurons([1: [1], 2: [4, 9]]),
            out: package, preset: .auto, keys: keys, parameters: try EncryptedProtocolTests.smallParameters(),
            security: .none)
        let images = try EncryptedPipelineTests.images(3)
        func path(_ name: String) -> URL { dir.appendingPathComponent(name) }
        let budget = 3 * 4 * 4 * 3 * 1024 * 8  // three outputs' running sums and a little more: a few chunks
        _ = try UserRole.infer(
            package: package, pixels: images.pixels, count: 3, out: path("req"), memoryBudget: budget)
        _ = try UserRole.infer(
            package: package, pixels: images.pixels, count: 3, out: path("other"), memoryBudget: budget)
        _ = try UserRole.infer(package: package, pixels: images.pixels, count: 3, out: path("whole"))
        let chunks = try ChunkDirectory.list(path("req")).count
        #expect(chunks > 2)
        #expect(try ChunkDirectory.list(path("whole")).count == 1)
        _ = try OwnerRole.decrypt(keys: keys, request: path("req"), response: path("resp"))
        _ = try OwnerRole.decrypt(keys: keys, request: path("whole"), response: path("whole-resp"))
        let chunked = try UserRole.finish(package: package, request: path("req"), response: path("resp")).logits
        let unchunked = try UserRole.finish(package: package, request: path("whole"), response: path("whole-resp"))
            .logits
        #expect(chunked.shape == unchunked.shape)
        let classes = chunked.shape[1]
        func argmax(_ t: Tensor, _ i: Int) -> Int {
            (0..<classes).max { t.data[i * classes + $0] < t.data[i * classes + $1] } ?? 0
        }
        for i in 0..<3 { #expect(argmax(chunked, i) == argmax(unchunked, i)) }
        for i in chunked.data.indices { #expect(abs(chunked.data[i] - unchunked.data[i]) < 1e-2) }

        /// A copy of request directory `source` changed by `edit`.
        func variant(_ name: String, of source: String = "req", _ edit: (URL) throws -> Void) throws -> URL {
            let copy = path(name)
            try FileManager.default.copyItem(at: path(source), to: copy)
            try edit(copy)
            return copy
        }
        func chunk(_ dir: URL, _ i: Int) -> URL { ChunkDirectory.url(dir, i) }
        let fm = FileManager.default
        let missing = try variant("missing") { try fm.removeItem(at: chunk($0, 1)) }
        let repeated = try variant("repeated") {
            try fm.removeItem(at: chunk($0, 1))
            try fm.copyItem(at: chunk($0, 0), to: chunk($0, 1))
        }
        let reordered = try variant("reordered") {
            try fm.moveItem(at: chunk($0, 0), to: $0.appendingPathComponent("x"))
            try fm.moveItem(at: chunk($0, 1), to: chunk($0, 0))
            try fm.moveItem(at: $0.appendingPathComponent("x"), to: chunk($0, 1))
        }
        let foreign = try variant("foreign") {
            try fm.removeItem(at: chunk($0, 1))
            try fm.copyItem(at: chunk(path("other"), 1), to: chunk($0, 1))
        }
        let tampered = try variant("tampered") {
            var bytes = try Data(contentsOf: chunk($0, 1))
            bytes[bytes.count - 3] ^= 1
            try bytes.write(to: chunk($0, 1))
        }
        let stray = try variant("stray") { try Data("x".utf8).write(to: $0.appendingPathComponent("notes.txt")) }
        let cases: [(URL, InferenceError)] = [
            (missing, .badFile(path: chunk(missing, 1).path, reason: "chunk 1 is missing")),
            (
                repeated,
                .mismatch(path: chunk(repeated, 1).path, reason: "holds chunk 0, not 1 (repeated or reordered chunk)")
            ),
            (
                reordered,
                .mismatch(path: chunk(reordered, 0).path, reason: "holds chunk 1, not 0 (repeated or reordered chunk)")
            ),
            (foreign, .mismatch(path: chunk(foreign, 1).path, reason: "belongs to another request (foreign chunk)")),
            (tampered, .badFile(path: chunk(tampered, 1).path, reason: "content hash mismatch (corrupted file)")),
            (stray, .badFile(path: stray.appendingPathComponent("notes.txt").path, reason: "is not a chunk file")),
        ]
        let before = try DecryptionBudget.reserve(
            0, dir: OwnerKeyring.keysDirectory(keys).appendingPathComponent(try UserRole.load(package).manifest.keyID),
            keyID: try UserRole.load(package).manifest.keyID, flooding: try UserRole.load(package).manifest.flooding)
        for (request, error) in cases {
            #expect(throws: error, "\(request.lastPathComponent)") {
                try OwnerRole.decrypt(keys: keys, request: request, response: path("r-" + request.lastPathComponent))
            }
        }
        // Chunks before the bad one were decrypted (and counted); nothing after it.
        let after = try DecryptionBudget.reserve(
            0, dir: OwnerKeyring.keysDirectory(keys).appendingPathComponent(try UserRole.load(package).manifest.keyID),
            keyID: try UserRole.load(package).manifest.keyID, flooding: try UserRole.load(package).manifest.flooding)
        #expect(after - before <= 3 * 2 * 4)

        // The user side: a response missing a chunk, answering another request, or reordered.
        let respMissing = try variant("resp-missing", of: "resp") { try fm.removeItem(at: chunk($0, chunks - 1)) }
        #expect(
            throws: InferenceError.mismatch(
                path: respMissing.path, reason: "holds \(chunks - 1) chunks, the request \(chunks)")
        ) { try UserRole.finish(package: package, request: path("req"), response: respMissing) }
        _ = try OwnerRole.decrypt(keys: keys, request: path("other"), response: path("other-resp"))
        #expect(
            throws: InferenceError.mismatch(
                path: chunk(path("other-resp"), 0).path, reason: "belongs to another request (foreign chunk)")
        ) { try UserRole.finish(package: package, request: path("req"), response: path("other-resp")) }
        let respSwapped = try variant("resp-swapped", of: "resp") {
            try fm.moveItem(at: chunk($0, 0), to: $0.appendingPathComponent("x"))
            try fm.moveItem(at: chunk($0, 1), to: chunk($0, 0))
            try fm.moveItem(at: $0.appendingPathComponent("x"), to: chunk($0, 1))
        }
        #expect(
            throws: InferenceError.mismatch(
                path: chunk(respSwapped, 0).path, reason: "holds chunk 1, not 0 (repeated or reordered chunk)")
        ) { try UserRole.finish(package: package, request: path("req"), response: respSwapped) }
    }
}
