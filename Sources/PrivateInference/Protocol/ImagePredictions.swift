/// Per-image classes of an encrypted run next to its plaintext references, in image order: what accuracy and agreement
/// are computed from, kept so that runs over slices of a test set (`inference --shard`) combine into exactly the
/// figures of one run over the whole set.
public struct ImagePredictions: Sendable, Codable, Equatable {
    /// The true label of each image.
    public var labels: [Int]
    /// The plaintext model's predicted class (A_o).
    public var plain: [Int]
    /// The plaintext separate model's predicted class (A_s: what the encrypted pipeline computes).
    public var separate: [Int]
    /// The encrypted exchange's predicted class.
    public var encrypted: [Int]

    /// Predictions of a run; the four arrays hold one entry per image.
    public init(labels: [Int] = [], plain: [Int] = [], separate: [Int] = [], encrypted: [Int] = []) {
        self.labels = labels
        self.plain = plain
        self.separate = separate
        self.encrypted = encrypted
    }

    /// Images recorded.
    public var count: Int { labels.count }

    /// Whether the four arrays hold the same number of entries (a file that was edited or cut short does not).
    public var isConsistent: Bool {
        plain.count == count && separate.count == count && encrypted.count == count
    }

    /// Percentage of images whose plaintext prediction is the label.
    public var accuracyPlain: Double { percent(plain, labels) }
    /// Percentage of images whose separate-model prediction is the label.
    public var accuracySeparate: Double { percent(separate, labels) }
    /// Percentage of images whose encrypted prediction is the label.
    public var accuracyEncrypted: Double { percent(encrypted, labels) }
    /// Percentage of images whose encrypted prediction equals the separate model's.
    public var agreement: Double { percent(encrypted, separate) }

    /// These images followed by `other`'s (the next slice of the same test set).
    public func appending(_ other: ImagePredictions) -> ImagePredictions {
        ImagePredictions(
            labels: labels + other.labels, plain: plain + other.plain, separate: separate + other.separate,
            encrypted: encrypted + other.encrypted)
    }

    private func percent(_ a: [Int], _ b: [Int]) -> Double {
        100 * Double(zip(a, b).filter { $0 == $1 }.count) / Double(count)
    }
}
