import Foundation

/// An object with SEAL's binary form: a ``SEALHeader`` followed by its members, as SEAL's `save` writes it.
///
/// The byte-level writing behind it is the package's own (it is not part of the public API), so only the types of
/// this module conform. Each of them states `serialized(version:comprMode:)` (and, if loadable,
/// `init(serialized:range:context:)`) as a one-line forward to the package's `SEALMembersWritable` helpers: Swift
/// requires the witness of a public requirement to be public, and a public default cannot be written in an
/// extension constrained to a package protocol.
/// - Note: SEAL: serializable.h, each class's `save`.
public protocol SEALSerializable: Sendable {
    /// The object's name in error messages ("ciphertext", "relinearization keys", ...).
    static var objectName: String { get }

    /// The object's bytes as SEAL's `save` writes them; with `.none`, byte-identical to SEAL's output for the
    /// same version.
    /// - Parameters:
    ///   - version: header version (SEAL 4.1 by default; 4.4 to match seal-python files).
    ///   - comprMode: compression of the whole member stream.
    /// - Returns: The serialized object.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` if the compressor fails.
    func serialized(version: SEALVersion, comprMode: ComprMode) throws -> [UInt8]
}

extension SEALSerializable {
    /// Writes ``serialized(version:comprMode:)`` to a file, atomically and durably: a crash leaves either the
    /// old file or the complete new one.
    /// - Parameters:
    ///   - path: the file to create or replace.
    ///   - version: header version.
    ///   - comprMode: compression.
    /// - Throws: ``CKKSError/fileError(path:reason:)`` naming the file.
    public func save(toFile path: String, version: SEALVersion = .defaultForWriting, comprMode: ComprMode = .none)
        throws
    {
        try AtomicFile.write([try serialized(version: version, comprMode: comprMode)], to: path)
    }
}

/// A ``SEALSerializable`` whose loading is checked against a ``CKKSContext``, as SEAL's `load(context, ...)`.
public protocol SEALLoadable: SEALSerializable {
    /// Loads an object from the SEAL bytes at `bytes[range]` (any compression, SEAL 3.4+ or 4.0–4.4 headers),
    /// without copying them out of a larger buffer such as a file holding many objects, and validates it.
    /// - Parameters:
    ///   - bytes: the buffer.
    ///   - range: where the serialized object lies, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem (a range that is short or outside the buffer reads as
    ///   truncated data).
    init(serialized bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws
}

extension SEALLoadable {
    /// Loads an object from SEAL bytes (any compression, SEAL 3.4+ or 4.0–4.4 headers) and validates it.
    /// - Parameters:
    ///   - bytes: the serialized object, nothing after it.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError`` naming the problem.
    public init(serialized bytes: [UInt8], context: CKKSContext) throws {
        try self.init(serialized: bytes, range: 0..<bytes.count, context: context)
    }

    /// Loads an object from a SEAL file.
    /// - Parameters:
    ///   - path: the file.
    ///   - context: the parameters it must belong to.
    /// - Throws: ``CKKSError/fileError(path:reason:)`` naming the file and the problem.
    public init(contentsOfFile path: String, context: CKKSContext) throws {
        let bytes = try SEALFile.read(path)
        do {
            try self.init(serialized: bytes, context: context)
        } catch let error as CKKSError {
            throw CKKSError.fileError(path: path, reason: error.description)
        }
    }
}

/// The member-level writing behind ``SEALSerializable``: kept to the package so that ``ByteWriter`` and the
/// nested-object helpers need not be public API.
package protocol SEALMembersWritable: SEALSerializable {
    /// Writes the members (everything after the header), with nested objects' headers at `version`.
    /// - Parameters:
    ///   - writer: the destination.
    ///   - version: the version written into nested headers.
    /// - Throws: ``CKKSError`` if a nested object cannot be written.
    func saveMembers(into writer: inout ByteWriter, version: SEALVersion) throws
}

extension SEALMembersWritable {
    /// What each conformer's public `serialized(version:comprMode:)` returns: the header, then the members
    /// compressed as asked.
    package func sealBytes(version: SEALVersion, comprMode: ComprMode) throws -> [UInt8] {
        try SEALSerialization.save(version: version, comprMode: comprMode) {
            try saveMembers(into: &$0, version: version)
        }
    }

    /// Appends the object's uncompressed SEAL bytes (exactly `serialized(version:comprMode:)` with `.none`)
    /// to `writer`, written in place: a container of many objects needs no per-object byte array.
    /// - Parameters:
    ///   - writer: the destination.
    ///   - version: header version (4.1 by default).
    /// - Throws: ``CKKSError`` if a nested object cannot be written.
    package func append(to writer: inout ByteWriter, version: SEALVersion = .defaultForWriting) throws {
        try saveNested(into: &writer, version: version)
    }

    /// Appends this object, header included and uncompressed, as a nested object.
    func saveNested(into writer: inout ByteWriter, version: SEALVersion) throws {
        try SEALSerialization.saveObject(into: &writer, version: version) {
            try saveMembers(into: &$0, version: version)
        }
    }
}

/// The member-level loading behind ``SEALLoadable``, package-only like ``SEALMembersWritable``.
package protocol SEALMembersLoadable: SEALLoadable, SEALMembersWritable {
    /// Parses and validates the members; `header` carries the writer's version.
    /// - Parameters:
    ///   - reader: positioned at the members.
    ///   - header: the object's header.
    ///   - context: the parameters the object must belong to.
    /// - Returns: The object.
    /// - Throws: ``CKKSError`` naming what is wrong with the bytes.
    static func loadMembers(from reader: inout ByteReader, header: SEALHeader, context: CKKSContext) throws -> Self

    /// The most member bytes an object of this kind can have under `context`: how far a compressed object is
    /// inflated before it is refused.
    /// - Parameter context: the parameters.
    /// - Returns: a byte count.
    static func maxMemberByteCount(context: CKKSContext) -> Int
}

extension SEALMembersLoadable {
    /// What each conformer's public `init(serialized:range:context:)` does: header, decompression within
    /// ``maxMemberByteCount(context:)``, then ``loadMembers(from:header:context:)``.
    package static func sealLoad(_ bytes: [UInt8], range: Range<Int>, context: CKKSContext) throws -> Self {
        try SEALSerialization.load(
            bytes, range: range, object: Self.objectName, maxMemberBytes: Self.maxMemberByteCount(context: context)
        ) { reader, header in
            try Self.loadMembers(from: &reader, header: header, context: context)
        }
    }

    /// Reads one nested object (with its own header) from `reader`.
    static func loadNested(from reader: inout ByteReader, context: CKKSContext) throws -> Self {
        try SEALSerialization.loadObject(
            from: &reader, object: objectName, maxMemberBytes: Self.maxMemberByteCount(context: context)
        ) { body, header in
            try loadMembers(from: &body, header: header, context: context)
        }
    }
}

/// File reading with errors that name the file.
enum SEALFile {
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw CKKSError.fileError(path: path, reason: reason)
        }
        return [UInt8](data)
    }
}

/// Shared validity checks of loaded objects.
enum SEALValidation {
    static func parmsID(_ reader: inout ByteReader) throws -> ParmsID {
        ParmsID(unchecked: try reader.readWords(4))
    }

    /// The level `parmsID` names, or ``CKKSError/unknownParmsID(object:parmsID:)``; unless `allowKeyLevel`,
    /// the key level (when it differs from the first data level) is refused, as SEAL does for data objects.
    static func level(
        _ parmsID: ParmsID, context: CKKSContext, object: String, allowKeyLevel: Bool
    ) throws -> ContextData {
        guard let level = context.contextData(for: parmsID) else {
            throw CKKSError.unknownParmsID(object: object, parmsID: parmsID)
        }
        if !allowKeyLevel && context.usingKeySwitching && parmsID == context.keyParmsID {
            throw CKKSError.invalidData(object: object, reason: "parms_id is the key level, where only keys live")
        }
        return level
    }

    static func scale(_ scale: Double, object: String) throws {
        guard scale.isNormal, scale > 0 else {
            throw CKKSError.invalidData(object: object, reason: "scale \(scale) is not a positive normal number")
        }
    }

    /// Every word of each `degree`-word row must be below its prime (rows cycle through `moduli`).
    ///
    /// Positions, not values, are reported, so secret keys do not leak into messages.
    static func reduced(_ words: [UInt64], degree: Int, moduli: [UInt64], object: String) throws {
        guard degree > 0, !moduli.isEmpty else { return }
        try words.withUnsafeBufferPointer { buffer in
            var row = 0
            var start = 0
            while start < buffer.count {
                let q = moduli[row % moduli.count]
                for i in start..<min(start + degree, buffer.count) where buffer[i] >= q {
                    throw CKKSError.invalidData(
                        object: object, reason: "word \(i - start) of row \(row) is not reduced modulo \(q)")
                }
                row += 1
                start += degree
            }
        }
    }
}
