/// The SEAL version written into headers.
///
/// Files that SEAL 4.1 must read need `.v4_1` (SEAL 4.1 rejects every other 4.x minor); files byte-identical to
/// seal-python 4.4 need `.v4_4`.
/// - Note: SEAL: serialization.h `SEALVersion`, `IsCompatibleVersion`.
public enum SEALVersion: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SEAL 4.1 (`5E A1 10 04 01`).
    case v4_1
    /// SEAL 4.4, as the seal-python 4.4.0 wheel writes (`5E A1 10 04 04`).
    case v4_4

    /// The default for writing: 4.1, readable by SEAL 4.1 through 4.4.
    public static let defaultForWriting = SEALVersion.v4_1

    /// The major version byte.
    public var major: UInt8 { 4 }
    /// The minor version byte.
    public var minor: UInt8 {
        switch self {
        case .v4_1: 1
        case .v4_4: 4
        }
    }

    /// "4.1" or "4.4".
    public var description: String { "\(major).\(minor)" }
}

/// SEAL's compression modes (`compr_mode_type`).
public enum ComprMode: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Members follow the header as they are.
    case none = 0
    /// Members are one zlib (RFC 1950) stream.
    case zlib = 1
    /// Members are one zstd frame.
    case zstd = 2

    /// "none", "zlib" or "zstd".
    public var description: String {
        switch self {
        case .none: "none"
        case .zlib: "zlib"
        case .zstd: "zstd"
        }
    }
}

/// The 16-byte header in front of every SEAL object, nested ones included.
///
/// Layout (little-endian): magic `0xA15E` (2), header size 16 (1), version major (1), minor (1), compression
/// mode (1), reserved (2), total object size including the header (8). SEAL 3.4 used another layout — magic
/// (2), zero (1), compression (1), u32 size, u64 reserved — which `parse(_:)` upgrades to version 3.4 as
/// `Serialization::LoadHeader` does.
/// - Note: SEAL: serialization.h `SEALHeader`, serialization.cpp `LoadHeader`, `IsValidHeader`.
public struct SEALHeader: Sendable, Hashable {
    /// SEAL's magic number.
    public static let magic: UInt16 = 0xA15E
    /// Bytes in a header.
    public static let byteCount = 16

    /// Major version of the writer.
    public var versionMajor: UInt8
    /// Minor version of the writer.
    public var versionMinor: UInt8
    /// How the members are compressed.
    public var comprMode: ComprMode
    /// Total byte size of the object, header included (after compression).
    public var size: UInt64

    /// A header as SEAL writes it.
    /// - Parameters:
    ///   - version: the version bytes.
    ///   - comprMode: the compression mode.
    ///   - size: the object's total size including the 16 header bytes.
    public init(version: SEALVersion, comprMode: ComprMode, size: UInt64) {
        versionMajor = version.major
        versionMinor = version.minor
        self.comprMode = comprMode
        self.size = size
    }

    /// A header with raw version bytes (for reading older files and for tests).
    /// - Parameters:
    ///   - versionMajor: major version.
    ///   - versionMinor: minor version.
    ///   - comprMode: the compression mode.
    ///   - size: the object's total size including the 16 header bytes.
    public init(versionMajor: UInt8, versionMinor: UInt8, comprMode: ComprMode, size: UInt64) {
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.comprMode = comprMode
        self.size = size
    }

    /// Whether this reader can load objects of this version: 3.4 and later 3.x, and 4.0 through 4.4.
    public static func isSupported(major: UInt8, minor: UInt8) -> Bool {
        (major == 3 && minor >= 4) || (major == 4 && minor <= 4)
    }

    /// The 16 header bytes.
    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.byteCount)
        writer.write(Self.magic)
        writer.write(UInt8(Self.byteCount))
        writer.write(versionMajor)
        writer.write(versionMinor)
        writer.write(comprMode.rawValue)
        writer.write(UInt16(0))
        writer.write(size)
        return writer.bytes
    }

    /// Reads and validates a header (current or SEAL 3.4 layout) from `reader`.
    /// - Parameter reader: positioned at the header; advanced past it.
    /// - Returns: The header.
    /// - Throws: ``CKKSError/truncated(object:needed:available:)``, ``CKKSError/wrongMagic(found:)``,
    ///   ``CKKSError/unsupportedVersion(major:minor:)``, ``CKKSError/unsupportedCompression(_:)``, or
    ///   ``CKKSError/invalidData(object:reason:)`` for a bad header size field.
    package static func parse(_ reader: inout ByteReader) throws -> SEALHeader {
        try reader.require(byteCount)
        let magic = try reader.readUInt16()
        guard magic == Self.magic else { throw CKKSError.wrongMagic(found: magic) }
        let headerSize = try reader.readUInt8()
        let major = try reader.readUInt8()
        let minor = try reader.readUInt8()
        let mode = try reader.readUInt8()
        let reserved = try reader.readUInt16()
        let size = try reader.readUInt64()
        if headerSize == byteCount {
            guard isSupported(major: major, minor: minor) else {
                throw CKKSError.unsupportedVersion(major: major, minor: minor)
            }
            guard let comprMode = ComprMode(rawValue: mode) else { throw CKKSError.unsupportedCompression(mode) }
            return SEALHeader(versionMajor: major, versionMinor: minor, comprMode: comprMode, size: size)
        }
        // SEAL 3.4 layout: byte 2 is zero, byte 3 the compression mode, bytes 4..7 a u32 size.
        if headerSize == 0 {
            guard let comprMode = ComprMode(rawValue: major) else { throw CKKSError.unsupportedCompression(major) }
            let legacySize = UInt64(minor) | UInt64(mode) << 8 | UInt64(reserved) << 16
            return SEALHeader(versionMajor: 3, versionMinor: 4, comprMode: comprMode, size: legacySize)
        }
        throw CKKSError.invalidData(object: reader.object, reason: "SEAL header size is \(headerSize), not 16")
    }
}
