/// The PRNG kinds SEAL records in seeded objects (`prng_type`).
/// - Note: SEAL: randomgen.h.
public enum PRNGType: UInt8, Sendable, CaseIterable {
    /// No known generator (`prng_type::unknown`); never expandable.
    case unknown = 0
    /// BLAKE2Xb keyed by the seed (SEAL's default).
    case blake2xb = 1
    /// SHAKE256 of the seed and a block counter.
    case shake256 = 2
}

/// A 64-byte PRNG seed: 8 words, used as their little-endian bytes (`prng_seed_type`).
public struct PRNGSeed: Sendable, Hashable {
    /// Number of 64-bit words in a seed.
    public static let wordCount = 8
    /// Number of bytes in a seed.
    public static let byteCount = 64

    /// The 8 seed words.
    public let words: [UInt64]

    /// A seed from 8 words.
    /// - Parameter words: exactly 8 words.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` for another count.
    public init(words: [UInt64]) throws {
        guard words.count == Self.wordCount else {
            throw CKKSError.invalidArgument("a PRNG seed has 8 words, not \(words.count)")
        }
        self.words = words
    }

    /// A fresh seed from the operating system's CSPRNG (`getrandom` on Linux, via
    /// `SystemRandomNumberGenerator`), as SEAL's `random_bytes` does for every new PRNG.
    public static func random() -> PRNGSeed {
        var system = SystemRandomNumberGenerator()
        return PRNGSeed(unchecked: (0..<wordCount).map { _ in system.next() })
    }

    /// A seed drawn as the next 64 bytes of `rng`: how SEAL's symmetric encryption takes the public seed of c1
    /// from its bootstrap PRNG (`encrypt_zero_symmetric`); the rest of that stream then feeds the noise.
    /// - Parameter rng: the bootstrap generator; advanced by 64 bytes.
    package init(drawingFrom rng: inout some UniformRandomGenerator) {
        self.init(unchecked: (0..<Self.wordCount).map { _ in rng.nextUInt64() })
    }

    init(unchecked words: [UInt64]) {
        assert(words.count == Self.wordCount)
        self.words = words
    }

    /// The 64 little-endian seed bytes.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.byteCount)
        for w in words { for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt64(b)))) } }
        return out
    }
}

/// What a seeded object stores to regenerate its uniform polynomial: the PRNG kind and its seed
/// (`UniformRandomGeneratorInfo`).
public struct UniformRandomGeneratorInfo: Sendable, Hashable {
    /// The PRNG kind.
    public var type: PRNGType
    /// The public seed.
    public var seed: PRNGSeed

    /// Pairs a PRNG kind with a seed.
    /// - Parameters:
    ///   - type: the PRNG kind.
    ///   - seed: the seed.
    public init(type: PRNGType, seed: PRNGSeed) {
        self.type = type
        self.seed = seed
    }

    /// A fresh generator that replays this stream from its start (`make_prng`).
    /// - Returns: A BLAKE2Xb or SHAKE256 generator.
    /// - Throws: ``CKKSError/invalidData(object:reason:)`` for `unknown`.
    package func makeGenerator() throws -> SEALPRNG {
        guard type != .unknown else {
            throw CKKSError.invalidData(object: "PRNG info", reason: "prng_type is unknown")
        }
        return SEALPRNG(type: type, seed: seed)
    }
}

/// A cryptographically secure stream of bytes, the source of every random value in the CKKS layer.
///
/// Requests consume one continuous byte stream: a 4-byte draw (``nextUInt32()``) takes the next four bytes as
/// a little-endian word, as SEAL's `RandomToStandardAdapter` does, and a bulk ``generate(into:)`` takes the
/// next `count` bytes. The samplers in ``RLWESampler`` rely on this exact consumption order.
/// - Note: SEAL: randomgen.h `UniformRandomGenerator`.
package protocol UniformRandomGenerator: RandomNumberGenerator {
    /// The kind and seed that recreate this stream from its start (`info()`).
    var info: UniformRandomGeneratorInfo { get }

    /// Fills `buffer` with the next `buffer.count` bytes of the stream.
    mutating func generate(into buffer: UnsafeMutableRawBufferPointer)
}

extension UniformRandomGenerator {
    /// The next 4 bytes as a little-endian `UInt32` (one draw of SEAL's `RandomToStandardAdapter`).
    @inlinable
    package mutating func nextUInt32() -> UInt32 {
        var value: UInt32 = 0
        withUnsafeMutableBytes(of: &value) { generate(into: $0) }
        return UInt32(littleEndian: value)
    }

    /// The next 8 bytes as a little-endian `UInt64`.
    @inlinable
    package mutating func nextUInt64() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { generate(into: $0) }
        return UInt64(littleEndian: value)
    }

    /// `RandomNumberGenerator` conformance: the next 8 bytes as a little-endian `UInt64`.
    @inlinable
    package mutating func next() -> UInt64 { nextUInt64() }

    /// The next `count` bytes of the stream.
    /// - Parameter count: how many bytes.
    /// - Returns: The bytes.
    package mutating func generate(byteCount count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { generate(into: $0) }
        return out
    }
}

/// SEAL's buffered PRNG: a 4096-byte buffer refilled from `block(seed, counter)` with a counter that starts at
/// 0 and grows by one per refill.
///
/// The concrete kind is BLAKE2Xb or SHAKE256 (``PRNGType``).
///
/// A value type: a copy replays the same stream, which tests use deliberately; fresh randomness comes from a
/// fresh seed (``UniformRandomGeneratorFactory/create()``).
/// - Note: SEAL: randomgen.cpp `UniformRandomGenerator::generate`, `Blake2xbPRNG`, `Shake256PRNG`.
package struct SEALPRNG: UniformRandomGenerator, Sendable {
    /// Bytes produced per refill (`buffer_size_`).
    package static let blockByteCount = 4096

    /// The kind and seed of this stream.
    package let info: UniformRandomGeneratorInfo
    private var buffer: [UInt8]
    private var head: Int
    private var counter: UInt64 = 0
    private let seedBytes: [UInt8]

    /// A generator of the given kind and seed, positioned at the start of its stream.
    /// - Parameters:
    ///   - type: `.blake2xb` or `.shake256` (`.unknown` behaves as `.blake2xb`; use
    ///     ``UniformRandomGeneratorInfo/makeGenerator()`` to reject it).
    ///   - seed: the 64-byte seed.
    package init(type: PRNGType, seed: PRNGSeed) {
        info = UniformRandomGeneratorInfo(type: type == .unknown ? .blake2xb : type, seed: seed)
        seedBytes = seed.bytes
        buffer = [UInt8](repeating: 0, count: Self.blockByteCount)
        head = Self.blockByteCount  // empty: the first request refills
    }

    /// A generator seeded once from the operating system's CSPRNG; all further output is computed in user space.
    /// - Parameter type: the PRNG kind (BLAKE2Xb by default, as SEAL).
    package init(type: PRNGType = .blake2xb) {
        self.init(type: type, seed: .random())
    }

    /// Fills `destination` with the next bytes of the stream.
    package mutating func generate(into destination: UnsafeMutableRawBufferPointer) {
        var written = 0
        while written < destination.count {
            if head == Self.blockByteCount {
                refill()
                head = 0
            }
            let take = min(destination.count - written, Self.blockByteCount - head)
            let from = head
            buffer.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(rebasing: destination[written..<written + take]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: src[from..<from + take]))
            }
            head += take
            written += take
        }
    }

    private mutating func refill() {
        var message = [UInt8](repeating: 0, count: 8)
        for b in 0..<8 { message[b] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(b))) }
        switch info.type {
        case .shake256:
            buffer = SHAKE256.hash(seedBytes + message, outputByteCount: Self.blockByteCount)
        case .blake2xb, .unknown:
            let block = counter
            seedBytes.withUnsafeBytes { seed in
                buffer.withUnsafeMutableBytes { out in
                    guard let base = out.baseAddress else { return }
                    Blake2xbBlock.fill(base, seed: seed, counter: block)
                }
            }
        }
        counter &+= 1
    }
}

/// Makes PRNGs the way SEAL's `UniformRandomGeneratorFactory` does: each `create()` draws a fresh seed from
/// the OS, unless the factory holds a fixed default seed, in which case every `create()` restarts that seed's
/// stream (how SEAL's fixed-seed test outputs were made).
/// - Note: SEAL: randomgen.h `UniformRandomGeneratorFactory`, `Blake2xbPRNGFactory`, `Shake256PRNGFactory`.
public struct UniformRandomGeneratorFactory: Sendable {
    /// The PRNG kind this factory makes.
    public let type: PRNGType
    /// The fixed seed every `create()` uses, or `nil` for fresh OS randomness.
    public let defaultSeed: PRNGSeed?

    /// A factory.
    /// - Parameters:
    ///   - type: the PRNG kind (BLAKE2Xb by default, as SEAL's `DefaultFactory`).
    ///   - defaultSeed: a fixed seed for reproducible runs, or `nil`.
    public init(type: PRNGType = .blake2xb, defaultSeed: PRNGSeed? = nil) {
        self.type = type == .unknown ? .blake2xb : type
        self.defaultSeed = defaultSeed
    }

    /// SEAL's default: BLAKE2Xb seeded from the OS.
    public static let `default` = UniformRandomGeneratorFactory()

    /// A new generator (`create()`).
    /// - Returns: A generator at the start of its stream.
    package func create() -> SEALPRNG {
        SEALPRNG(type: type, seed: defaultSeed ?? .random())
    }

    /// A new generator with an explicit seed (`create(seed)`).
    /// - Parameter seed: the seed.
    /// - Returns: A generator at the start of that seed's stream.
    package func create(seed: PRNGSeed) -> SEALPRNG {
        SEALPRNG(type: type, seed: seed)
    }
}
