import Foundation

/// A package's pixels-packing operands on the user's side: the layout (derived from the geometry, the selection and
/// the slots, as the owner derived it) and the evaluator, built from the package's files on first use and then
/// kept, so that an app which loads the package once pays for parsing the weights once, not per image.
final class PixelsPackage: @unchecked Sendable {
    let layout: PixelsLayout
    private let make: @Sendable () throws -> PixelsEvaluator
    private let lock = NSLock()
    private var made: PixelsEvaluator?

    /// The package's pixels part, read when first needed.
    /// - Parameters:
    ///   - layout: the package's pixels layout.
    ///   - make: reads, checks and parses the package's pixels files (conv1 lanes, outputs, Galois keys).
    init(layout: PixelsLayout, make: @escaping @Sendable () throws -> PixelsEvaluator) {
        self.layout = layout
        self.make = make
    }

    /// The evaluator (made on the first call; a failed attempt is tried again on the next).
    func evaluator() throws -> PixelsEvaluator {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        let evaluator = try make()
        made = evaluator
        return evaluator
    }
}
