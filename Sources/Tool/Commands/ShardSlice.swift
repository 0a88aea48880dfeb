import Foundation

/// `--shard i/n`: this process runs the i-th of n contiguous slices of the work.
///
/// Used by `inference` and exhaustive `select`. The index counts from 0, as Kubernetes' `JOB_COMPLETION_INDEX` and a
/// Slurm `--array=0-(n-1)`'s `SLURM_ARRAY_TASK_ID` do, so that either can be passed as it is.
struct ShardSlice: Equatable {
    /// This slice, `0..<count`.
    var index: Int
    /// Number of slices.
    var count: Int

    /// The whole work: slice 0 of 1.
    static let whole = ShardSlice(index: 0, count: 1)

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n`; `nil` (no `--shard`) is the whole work.
    /// - Throws: ``ToolError`` naming `--shard` for text that is not `i/n` with 0 ≤ i < n.
    init(_ text: String?) throws {
        guard let text else {
            self = .whole
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else {
            throw ToolError("--shard: '\(text)' is not i/n with 0 ≤ i < n")
        }
        self.init(index: i, count: n)
    }

    /// This slice of `total` items: `total·i/n ..< total·(i+1)/n`, so the slices are contiguous, in order, cover every
    /// item once and differ in size by at most one.
    func range(of total: Int) -> Range<Int> { (total * index / count)..<(total * (index + 1) / count) }

    /// `i/n`.
    var text: String { "\(index)/\(count)" }
}
