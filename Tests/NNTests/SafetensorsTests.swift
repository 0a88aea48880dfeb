import Foundation
import Testing

@testable import NN

@Suite struct SafetensorsTests {
    /// `safetensors.numpy.save(…, metadata={"format": "pt"})` (safetensors 0.8.0) of conv1.weight (2×1×2×2,
    /// values k/8 − 0.25), conv1.bias [1.5, −2] and fc1.weight [[3.25]], all float32.
    static let referenceF32 = """
        6AAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJjb252MS5iaWFzIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsy\
        XSwiZGF0YV9vZmZzZXRzIjpbMCw4XX0sImNvbnYxLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwxLDIsMl0sImRhdGFf\
        b2Zmc2V0cyI6WzgsNDBdfSwiZmMxLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMSwxXSwiZGF0YV9vZmZzZXRzIjpbNDAs\
        NDRdfX0gAADAPwAAAMAAAIC+AAAAvgAAAAAAAAA+AACAPgAAwD4AAAA/AAAgPwAAUEA=
        """

    /// The same writer on a.f16 [1, −0.5, 65504, 6e-8], b.f64 [[0.1, 2.5]], bn.num_batches_tracked = 937 (I64 scalar)
    /// and an empty z.f32 (shape [0]), with no metadata.
    ///
    /// Tensors are ordered I64, F64, F32, F16.
    static let referenceMixed = """
        AAEAAAAAAAB7ImJuLm51bV9iYXRjaGVzX3RyYWNrZWQiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzAs\
        OF19LCJiLmY2NCI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMSwyXSwiZGF0YV9vZmZzZXRzIjpbOCwyNF19LCJ6LmYzMiI6eyJkdHlw\
        ZSI6IkYzMiIsInNoYXBlIjpbMF0sImRhdGFfb2Zmc2V0cyI6WzI0LDI0XX0sImEuZjE2Ijp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOls0\
        XSwiZGF0YV9vZmZzZXRzIjpbMjQsMzJdfX0gICAgqQMAAAAAAACamZmZmZm5PwAAAAAAAARAADwAuP97AQA=
        """

    static func bytes(_ base64: String) throws -> [UInt8] {
        [UInt8](try #require(Data(base64Encoded: base64)))
    }

    static func header(_ json: String, data: [UInt8]) -> [UInt8] {
        let body = Array(json.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(body.count) >> (8 * $0)) } + body + data
    }

    @Test func writesReferenceBytes() throws {
        var file = Safetensors(metadata: ["format": "pt"])
        try file.setFloats("conv1.weight", (0..<8).map { Float($0) / 8 - 0.25 }, shape: [2, 1, 2, 2])
        try file.setFloats("conv1.bias", [1.5, -2], shape: [2])
        try file.setFloats("fc1.weight", [3.25], shape: [1, 1])
        let reference = try Self.bytes(Self.referenceF32)
        #expect(file.serialized() == reference)
        #expect(file.serialized().count == 284)
    }

    @Test func readsReferenceFiles() throws {
        let file = try Safetensors(bytes: try Self.bytes(Self.referenceF32), file: "ref.safetensors")
        #expect(file.metadata == ["format": "pt"])
        #expect(
            try file.floats("conv1.weight", shape: [2, 1, 2, 2], file: "ref") == (0..<8).map { Float($0) / 8 - 0.25 })
        #expect(try file.floats("conv1.bias", file: "ref") == [1.5, -2])
        let mixed = try Safetensors(bytes: try Self.bytes(Self.referenceMixed), file: "mixed.safetensors")
        #expect(try mixed.floats("a.f16", file: "m") == [1, -0.5, 65504, Float(Float16(6e-8))])
        #expect(try mixed.floats("b.f64", shape: [1, 2], file: "m") == [Float(0.1), 2.5])
        #expect(try mixed.floats("bn.num_batches_tracked", shape: [], file: "m") == [937])
        #expect(try mixed.floats("z.f32", file: "m") == [])
        // Re-serialising what was read reproduces the reference bytes, dtype ordering included.
        #expect(mixed.serialized() == (try Self.bytes(Self.referenceMixed)))
    }

    @Test func readsHandBuiltBF16AndRoundTripsThroughDisk() throws {
        // bfloat16 is the top half of a Float: 1.0 = 0x3f80, −2.5 = 0xc020.
        let bytes = Self.header(
            "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", data: [0x80, 0x3f, 0x20, 0xc0])
        let file = try Safetensors(bytes: bytes, file: "bf16")
        #expect(try file.floats("w", file: "bf16") == [1, -2.5])
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("model.safetensors")
        var model = Safetensors(metadata: ["format": "pt", "note": "quote \" and\ttab"])
        try model.setFloats("conv1.weight", (0..<150).map { Float($0) * 0.01 }, shape: [6, 1, 5, 5])
        try model.setFloats("fc3.bias", [Float.pi, -0.0, .infinity], shape: [3])
        try model.write(to: url)
        let back = try Safetensors(contentsOf: url)
        #expect(back == model)
        let raw = try Data(contentsOf: url)
        #expect(raw.count == model.serialized().count)
        #expect((8 + Int(raw[0])) % 8 == 0)  // header padded to 8-byte alignment
    }

    @Test func badFilesAreReported() throws {
        let tensor = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [([UInt8], String)] = [
            ([1, 0, 0], "truncated"),
            ([200, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8), "runs past the end of the file"),
            ([0, 0, 0, 0, 0, 0, 0, 0x10], "exceeds"),
            (Self.header("{\"w\":", data: []), "not valid JSON"),
            (Self.header("[1,2]   ", data: []), "does not start with '{'"),
            (
                Self.header("{\(tensor.replacingOccurrences(of: "F32", with: "F17"))}", data: eight),
                "unknown dtype 'F17'"
            ),
            (Self.header("{\(tensor)}", data: Array(eight.prefix(6))), "outside the 6-byte data region"),
            (Self.header("{\(tensor)}", data: eight + [0]), "1 unused bytes after the last tensor"),
            (
                Self.header(
                    "{\(tensor),\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                    data: eight + [0, 0, 0, 0]),
                "overlap"
            ),
            (
                Self.header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: eight),
                "4 unused bytes before its data"
            ),
            (Self.header("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: eight), "needs 12"),
            (
                Self.header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", data: eight),
                "begin ≤ end"
            ),
            (Self.header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", data: eight), "shape"),
            (Self.header("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", data: eight), "shape"),
            (Self.header("{\"__metadata__\":{\"a\":1}}", data: []), "not a string"),
        ]
        for (bytes, expected) in cases {
            let error = try #require(throws: DataFileError.self) {
                try Safetensors(bytes: bytes, file: "bad.safetensors")
            }
            #expect(error.file == "bad.safetensors")
            #expect(error.problem.contains(expected), "\(error.problem) lacks \(expected)")
        }
        let file = try Safetensors(bytes: Self.header("{\(tensor)}", data: eight), file: "ok")
        #expect(throws: DataFileError(file: "ok", problem: "tensor 'w' has shape [2], expected [1, 2]")) {
            try file.floats("w", shape: [1, 2], file: "ok")
        }
        #expect(throws: DataFileError(file: "ok", problem: "no tensor 'conv9.weight'")) {
            try file.floats("conv9.weight", file: "ok")
        }
    }
}

@Suite struct SafetensorsModelTests {
    @Test func modelStateDictRoundTrip() throws {
        let model = Model(.lenet5MNIST, seed: 3)
        let file = Safetensors(stateDict: model.stateDict())
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors["conv1.weight"]?.shape == [6, 1, 5, 5])
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("MNIST.safetensors")
        try file.write(to: url)
        let other = Model(.lenet5MNIST, seed: 4)
        #expect(other.stateDict().map(\.1) != model.stateDict().map(\.1))
        try other.load(try Safetensors(contentsOf: url).floatTensors(file: url.path))
        #expect(other.stateDict().map(\.1) == model.stateDict().map(\.1))
    }
}
