/// Accuracy of a set of predictions: overall top-k and per label.
public struct EvaluationResult: Sendable, Equatable, Codable {
    /// Images scored.
    public var samples: Int
    /// Images whose label is among the top-k logits.
    public var correct: Int
    /// The k of top-k.
    public var topK: Int
    /// Per label: images with that label.
    public var labelTotals: [Int]
    /// Per label: those counted correct.
    public var labelCorrect: [Int]

    /// Accuracy in percent (unrounded).
    public var accuracy: Double { samples == 0 ? 0 : 100 * Double(correct) / Double(samples) }

    /// Accuracy in percent rounded to 2 decimals, as the original reports it.
    public var roundedAccuracy: Double { (accuracy * 100).rounded() / 100 }

    /// Per-label accuracy in percent (`nil` for labels without images).
    public var labelAccuracy: [Double?] {
        zip(labelTotals, labelCorrect).map { $0.0 == 0 ? nil : 100 * Double($0.1) / Double($0.0) }
    }
}

/// Scoring of logits against labels.
public enum Evaluation {
    /// Counts images whose label is among the `topK` largest logits (ties resolved against the label).
    /// - Parameters:
    ///   - logits: `[N, classes]`.
    ///   - labels: `N` labels in `0..<classes`.
    ///   - topK: 1 for top-1, 5 for TinyImageNet.
    /// - Returns: overall and per-label counts.
    public static func score(logits: Tensor, labels: [Int], topK: Int = 1) -> EvaluationResult {
        let n = logits.shape[0], k = logits.shape[1]
        precondition(labels.count == n, "score: \(labels.count) labels for \(n) rows")
        var totals = [Int](repeating: 0, count: k), right = [Int](repeating: 0, count: k)
        var correct = 0
        for r in 0..<n {
            let label = labels[r]
            let target = logits.data[r * k + label]
            var above = 0
            for j in 0..<k where j != label {
                let v = logits.data[r * k + j]
                if v > target || (v == target && j < label) { above += 1 }
            }
            totals[label] += 1
            if above < topK {
                correct += 1
                right[label] += 1
            }
        }
        return EvaluationResult(samples: n, correct: correct, topK: topK, labelTotals: totals, labelCorrect: right)
    }

    /// The arg-max class of each row (first on ties).
    /// - Parameter logits: `[N, classes]`.
    /// - Returns: `N` class indices.
    public static func predictions(_ logits: Tensor) -> [Int] {
        let n = logits.shape[0], k = logits.shape[1]
        return (0..<n).map { r in
            var best = 0
            for j in 1..<max(1, k) where logits.data[r * k + j] > logits.data[r * k + best] { best = j }
            return best
        }
    }
}

extension Model {
    /// Evaluation-mode accuracy of this model (with its current filter masks) on labelled images.
    /// - Parameters:
    ///   - images: `[N, C, H, W]`.
    ///   - labels: `N` labels.
    /// - Returns: top-k counts with the architecture's k.
    /// - Throws: ``NNError/datasetMismatch(_:)`` if the images or labels do not fit the model.
    public func evaluate(images: Tensor, labels: [Int]) throws -> EvaluationResult {
        try validateInput(images)
        try validateLabels(labels, count: images.shape[0])
        return Evaluation.score(logits: logits(images), labels: labels, topK: architecture.topK)
    }

    /// Checks label count and range.
    /// - Parameters:
    ///   - labels: the labels.
    ///   - count: the number of images they belong to.
    /// - Throws: ``NNError/datasetMismatch(_:)``.
    public func validateLabels(_ labels: [Int], count: Int) throws {
        guard labels.count == count else {
            throw NNError.datasetMismatch("\(labels.count) labels for \(count) images")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= architecture.classes }) {
            throw NNError.datasetMismatch("label \(bad) outside 0..<\(architecture.classes)")
        }
    }
}
