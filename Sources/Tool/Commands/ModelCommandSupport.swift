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
