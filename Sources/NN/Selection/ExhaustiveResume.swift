import Foundation

/// Resuming a share of the exhaustive enumeration from its ``ExhaustiveLog``: where to start again, and the logged
/// rows that belong to the share.
///
/// A share is a range of global row indices (one `--shard` of the enumeration of some categories); a log written by
/// another enumeration (other categories, another share, another data set) would resume at the wrong row, so every
/// logged row is checked against the share first.
public struct ExhaustiveResume: Sendable {
    /// The categories enumerated, in order; row indices run across them.
    public var categories: [ExhaustiveGrid.Category]
    /// The rows of the enumeration this run scores.
    public var rows: Range<Int>

    /// A logged row that does not belong to the share being resumed.
    public struct ForeignRow: Error, Sendable {
        /// The offending row.
        public var row: ExhaustiveSearch.Row
    }

    /// Describes the share `rows` of the enumeration of `categories`.
    public init(categories: [ExhaustiveGrid.Category], rows: Range<Int>) {
        self.categories = categories
        self.rows = rows
    }

    /// The category holding enumeration row `index` (categories in order, rows numbered across them), or `nil` past
    /// the last.
    public func category(ofRow index: Int) -> ExhaustiveGrid.Category? {
        var start = 0
        for category in categories {
            if index >= start && index < start + category.combinations { return category }
            start += category.combinations
        }
        return nil
    }

    /// Whether `row` can be a row of this share: its index within ``rows`` and its selection of its category's sizes.
    public func belongs(_ row: ExhaustiveSearch.Row) -> Bool {
        guard rows.contains(row.index), let category = category(ofRow: row.index) else { return false }
        return category.contains(row.selection)
    }

    /// The first row still to score: after the log's last row, and at least ``rows``' lower bound (the start for a
    /// missing or empty log).
    ///
    /// - Parameter log: the share's log; a missing file is an empty log.
    /// - Returns: the index of the first row to score.
    /// - Throws: ``DataFileError`` for a log that cannot be read, ``ForeignRow`` for the first logged row that is not
    ///   of this share.
    public func resumeIndex(log: URL) throws -> Int {
        let existing = FileManager.default.fileExists(atPath: log.path) ? try ExhaustiveLog.read(log) : []
        if let foreign = existing.first(where: { !belongs($0) }) { throw ForeignRow(row: foreign) }
        return max(rows.lowerBound, (existing.map(\.index).max() ?? -1) + 1)
    }

    /// The logged rows of this share, in file order (rows outside ``rows`` are left out).
    ///
    /// - Throws: ``DataFileError`` for a log that cannot be read.
    public func loggedRows(log: URL) throws -> [ExhaustiveSearch.Row] {
        try ExhaustiveLog.read(log).filter { rows.contains($0.index) }
    }
}

extension ExhaustiveGrid.Category {
    /// Whether `selection` has this category's sizes: ``layer1Count`` filters of layer 1 and ``layer2Count`` of
    /// layer 2.
    public func contains(_ selection: SelectedNeurons) -> Bool {
        selection[1].count == layer1Count && selection[2].count == layer2Count
    }
}
