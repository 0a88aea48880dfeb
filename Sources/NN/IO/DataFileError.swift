/// A bad input file: which file, and what is wrong with it, in one line.
///
/// Every loader in `Data/` and `IO/` throws this for truncated, corrupt or foreign files, so a command-line
/// user sees `<path>: <problem>` and never a crash.
public struct DataFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or folder) that could not be used, as given by the caller.
    public var file: String
    /// What is wrong with it, for example "truncated: 7,840 of 47,040,016 bytes".
    public var problem: String

    /// Creates an error for `file` with a one-line `problem`.
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    /// `<file>: <problem>`.
    public var description: String { "\(file): \(problem)" }
}
