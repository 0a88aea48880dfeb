import ArgumentParser
import Foundation
import NN

extension Dataset: ExpressibleByArgument {
    /// Parses `mnist`, `EMNIST`, `cifar-10`, ... case-insensitively.
    public init?(argument: String) {
        self.init(name: argument)
    }
}

extension Dataset.Subset: ExpressibleByArgument {}

extension HiddenActivation: ExpressibleByArgument {}

/// Output helpers of the NN commands.
enum ModelFiles {
    /// One JSON object on one line (sorted keys, so output is stable).
    static func jsonLine(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
