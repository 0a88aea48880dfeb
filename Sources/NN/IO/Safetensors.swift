import Foundation

/// Element types of the safetensors format, declared in the reference implementation's order.
///
/// The order matters: writers place tensors by descending dtype (this order), then by name, as the reference does.
public enum SafetensorsDType: String, CaseIterable, Sendable, Comparable {
    /// Boolean, one byte.
    case bool = "BOOL"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// 8-bit float, 5 exponent bits.
    case f8e5m2 = "F8_E5M2"
    /// 8-bit float, 4 exponent bits.
    case f8e4m3 = "F8_E4M3"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE half precision.
    case f16 = "F16"
    /// bfloat16 (the top half of a `Float`).
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE single precision (what this package writes).
    case f32 = "F32"
    /// IEEE double precision.
    case f64 = "F64"
    /// Signed 64-bit integer (PyTorch's `num_batches_tracked`).
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// Orders dtypes as the reference implementation's enum does.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// One tensor of a safetensors file: dtype, shape and its little-endian bytes.
public struct SafetensorsTensor: Equatable, Sendable {
    /// Element type.
    public var dtype: SafetensorsDType
    /// Dimensions, outermost first (PyTorch order; a scalar has `[]`).
    public var shape: [Int]
    /// The raw little-endian element bytes, `shape.product × dtype.byteSize` of them.
    public var bytes: [UInt8]

    /// Element count, the product of `shape` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Wraps raw bytes.
    ///
    /// - Precondition: `bytes.count` equals the element count times `dtype.byteSize`.
    public init(dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 } && bytes.count == shape.reduce(1, *) * dtype.byteSize)
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An `F32` tensor holding `values`.
    ///
    /// - Throws: ``NNError/shapeMismatch(_:)`` when `values.count` is not the product of `shape`.
    public init(floats values: [Float], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), values.count == shape.reduce(1, *) else {
            throw NNError.shapeMismatch("\(values.count) values for shape \(shape)")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern
            for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * k))) }
        }
        self.init(dtype: .f32, shape: shape, bytes: bytes)
    }

    /// The elements converted to `Float`.
    ///
    /// F32 is exact; F64 rounds to nearest; F16 and BF16 widen exactly; integers and BOOL convert by value.
    /// - Returns: `elementCount` values in storage (row-major) order.
    /// - Throws: ``NNError/shapeMismatch(_:)`` for the 8-bit float types, which this package does not convert.
    public func floats() throws -> [Float] {
        let n = elementCount
        func word(_ index: Int, _ size: Int) -> UInt64 {
            var value: UInt64 = 0
            for k in (0..<size).reversed() { value = value << 8 | UInt64(bytes[index * size + k]) }
            return value
        }
        switch dtype {
        case .f32: return (0..<n).map { Float(bitPattern: UInt32(word($0, 4))) }
        case .f64: return (0..<n).map { Float(Double(bitPattern: word($0, 8))) }
        case .f16: return (0..<n).map { Float(Float16(bitPattern: UInt16(word($0, 2)))) }
        case .bf16: return (0..<n).map { Float(bitPattern: UInt32(word($0, 2)) << 16) }
        case .bool, .u8, .u16, .u32, .u64:
            return (0..<n).map { Float(word($0, dtype.byteSize)) }
        case .i8: return (0..<n).map { Float(Int8(truncatingIfNeeded: word($0, 1))) }
        case .i16: return (0..<n).map { Float(Int16(truncatingIfNeeded: word($0, 2))) }
        case .i32: return (0..<n).map { Float(Int32(truncatingIfNeeded: word($0, 4))) }
        case .i64: return (0..<n).map { Float(Int64(bitPattern: word($0, 8))) }
        case .f8e5m2, .f8e4m3:
            throw NNError.shapeMismatch("\(dtype.rawValue) tensors cannot be converted to Float")
        }
    }
}

/// A safetensors file: named tensors plus string metadata, read and written as the reference implementation does.
///
/// Layout: an 8-byte little-endian header length N; N bytes of JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data region), plus an optional
/// `"__metadata__"` string map; then the data region, tensors back to back with no gaps. Writers order tensors by
/// descending dtype then name, emit compact JSON in that order (metadata first) and pad the header with spaces to a
/// multiple of 8 bytes, so files written here are byte-identical to `safetensors.torch.save_file`'s. (Metadata keys
/// are written sorted; the reference keeps them in a hash map, so only one-key metadata such as PyTorch's has a
/// fixed order there.)
/// Names are PyTorch state-dict keys such as `conv1.weight`.
public struct Safetensors: Equatable, Sendable {
    /// The tensors by name.
    public var tensors: [String: SafetensorsTensor]
    /// The `__metadata__` map (empty when absent; PyTorch writes `{"format": "pt"}`).
    public var metadata: [String: String]

    /// The reference implementation's limit on the header size.
    public static let maximumHeaderSize = 100_000_000

    /// Creates a file in memory.
    public init(tensors: [String: SafetensorsTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and validates a file.
    ///
    /// - Throws: ``DataFileError`` naming the file for every violation of the format (see ``init(bytes:file:)``).
    public init(contentsOf url: URL) throws {
        try self.init(bytes: try FileBytes.read(url), file: url.path)
    }

    /// Parses and validates a file held in memory.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - file: its name, for error messages.
    /// - Throws: ``DataFileError`` for a file shorter than 8 bytes, a header length past the end of the file or
    ///   above ``maximumHeaderSize``, a header that is not a JSON object, an unknown dtype, a malformed entry,
    ///   data offsets that overlap, leave gaps, disagree with shape × dtype or run past the data region, and
    ///   unused bytes after the last tensor.
    public init(bytes: [UInt8], file: String) throws {
        func fail(_ problem: String) -> DataFileError { DataFileError(file: file, problem: problem) }
        var cursor = ByteCursor(bytes, file: file)
        let headerLength = try cursor.readUInt64LittleEndian("the 8-byte header length")
        guard headerLength <= UInt64(Self.maximumHeaderSize) else {
            throw fail("header length \(headerLength) exceeds the \(Self.maximumHeaderSize)-byte limit")
        }
        guard Int(headerLength) <= cursor.remaining else {
            throw fail("header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let headerBytes = try cursor.take(Int(headerLength), "header")
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("header does not start with '{'") }
        let header: SafetensorsHeader
        do {
            header = try JSONDecoder().decode(SafetensorsHeader.self, from: Data(headerBytes))
        } catch let error as SafetensorsHeader.EntryError {
            throw fail(error.problem)
        } catch {
            throw fail("header is not valid JSON of the safetensors shape")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = bytes.count - dataStart
        let metadata = header.metadata
        var infos: [(name: String, dtype: SafetensorsDType, shape: [Int], begin: Int, end: Int)] = []
        for (name, info) in header.tensors {
            guard let dtype = SafetensorsDType(rawValue: info.dtype) else {
                throw fail("tensor '\(name)': unknown dtype '\(info.dtype)'")
            }
            guard info.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)': shape is not a list of non-negative integers")
            }
            let offsets = info.dataOffsets
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail("tensor '\(name)': data_offsets is not [begin, end] with 0 ≤ begin ≤ end")
            }
            infos.append((name, dtype, info.shape, offsets[0], offsets[1]))
        }

        // Tensors must tile the data region exactly: sorted by offsets, each starting where the previous ended.
        infos.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        var tensors: [String: SafetensorsTensor] = [:]
        for info in infos {
            guard info.end <= dataLength else {
                throw fail(
                    "tensor '\(info.name)': data_offsets [\(info.begin), \(info.end)] outside the "
                        + "\(dataLength)-byte data region")
            }
            guard info.begin >= position else {
                throw fail(
                    "tensor '\(info.name)': data_offsets [\(info.begin), \(info.end)] overlap the previous tensor")
            }
            guard info.begin == position else {
                throw fail("tensor '\(info.name)': \(info.begin - position) unused bytes before its data")
            }
            var count = 1
            for d in info.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor '\(info.name)': shape \(info.shape) overflows") }
                count = product
            }
            let (size, overflow) = count.multipliedReportingOverflow(by: info.dtype.byteSize)
            guard !overflow, size == info.end - info.begin else {
                throw fail(
                    "tensor '\(info.name)': \(info.end - info.begin) data bytes, shape \(info.shape) of "
                        + "\(info.dtype.rawValue) needs \(overflow ? "more" : String(size))")
            }
            let slice = bytes[(dataStart + info.begin)..<(dataStart + info.end)]
            tensors[info.name] = SafetensorsTensor(dtype: info.dtype, shape: info.shape, bytes: Array(slice))
            position = info.end
        }
        guard position == dataLength else {
            throw fail("\(dataLength - position) unused bytes after the last tensor")
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// The file bytes, exactly as the reference implementation lays them out.
    public func serialized() -> [UInt8] {
        let order = tensors.keys.sorted { lhs, rhs in
            let (left, right) = (tensors[lhs]?.dtype ?? .f32, tensors[rhs]?.dtype ?? .f32)
            if left != right { return left > right }
            return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
        }
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let body = keys.map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(body.joined(separator: ","))}")
        }
        var offset = 0
        for name in order {
            guard let tensor = tensors[name] else { continue }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\(Self.jsonString(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}")
            offset += tensor.bytes.count
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * k))) }
        out += headerBytes
        for name in order { out += tensors[name]?.bytes ?? [] }
        return out
    }

    /// Writes ``serialized()`` to `url` atomically.
    ///
    /// - Throws: ``DataFileError`` if the file cannot be written.
    public func write(to url: URL) throws {
        try FileBytes.write(serialized(), to: url)
    }

    /// The tensor `name` converted to `Float`, checked against an expected shape.
    ///
    /// - Parameters:
    ///   - name: a state-dict key such as `conv1.weight`.
    ///   - shape: the shape the caller needs, or `nil` to accept any.
    ///   - file: the file name for error messages.
    /// - Returns: the values in row-major order.
    /// - Throws: ``DataFileError`` when the tensor is missing, has another shape or an unconvertible dtype.
    public func floats(_ name: String, shape: [Int]? = nil, file: String) throws -> [Float] {
        guard let tensor = tensors[name] else { throw DataFileError(file: file, problem: "no tensor '\(name)'") }
        if let shape, shape != tensor.shape {
            throw DataFileError(file: file, problem: "tensor '\(name)' has shape \(tensor.shape), expected \(shape)")
        }
        do {
            return try tensor.floats()
        } catch {
            throw DataFileError(
                file: file, problem: "tensor '\(name)': \(tensor.dtype.rawValue) is not convertible to Float")
        }
    }

    /// Stores `values` as an `F32` tensor `name`.
    ///
    /// - Throws: ``NNError/shapeMismatch(_:)`` when `values.count` is not the product of `shape`.
    public mutating func setFloats(_ name: String, _ values: [Float], shape: [Int]) throws {
        tensors[name] = try SafetensorsTensor(floats: values, shape: shape)
    }

    /// A JSON string literal with serde_json's escaping (quotes, backslash, control characters).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The decoded JSON header: `__metadata__` and one entry per tensor.
struct SafetensorsHeader: Decodable {
    struct TensorInfo: Decodable {
        var dtype: String
        var shape: [Int]
        var dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype
            case shape
            case dataOffsets = "data_offsets"
        }
    }

    /// A malformed entry, reported with its name.
    struct EntryError: Error {
        var problem: String
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var metadata: [String: String] = [:]
    var tensors: [String: TensorInfo] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw EntryError(problem: "__metadata__ is not an object of strings: a value is not a string")
                }
                continue
            }
            do {
                tensors[key.stringValue] = try container.decode(TensorInfo.self, forKey: key)
            } catch DecodingError.keyNotFound(let missing, _) {
                throw EntryError(problem: "tensor '\(key.stringValue)': missing \(missing.stringValue)")
            } catch DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context) {
                let field = context.codingPath.dropFirst().first?.stringValue ?? "entry"
                throw EntryError(
                    problem:
                        "tensor '\(key.stringValue)': \(field) is malformed (shape and data_offsets are integer lists)")
            }
        }
    }
}
