import ArgumentParser
import Foundation
import NN

extension Dataset: ExpressibleByArgument {
    /// Parses a data set's name case-insensitively: `mnist`, `EMNIST`, `cifar-10`, `TinyImageNet`.
    public init?(argument: String) {
        self.init(name: argument)
    }
}

extension Dataset.Subset: ExpressibleByArgument {}

extension HiddenActivation: ExpressibleByArgument {}
