import Foundation

/// The three accuracies of spec §5 for one selection, and the "neuron point" that ranks selections.
public struct SelectionAccuracies: Hashable, Sendable, Codable {
    /// A_o: the plain model, in percent (`nil` when not measured).
    public var original: Double?
    /// A_s: the deployed model ("separate": plaintext filters cut off from encrypted inputs), in percent.
    public var separate: Double
    /// A_r: the thief's view ("remove": encrypted filters zeroed), in percent.
    public var remove: Double

    /// Creates a record.
    public init(original: Double? = nil, separate: Double, remove: Double) {
        self.original = original
        self.separate = separate
        self.remove = remove
    }

    /// The point for this selection against the baseline accuracy `base` (see
    /// ``SelectionScore/point(separate:remove:base:)``).
    public func point(base: Double) -> Double {
        SelectionScore.point(separate: separate, remove: remove, base: base)
    }
}

/// PrivDNN's selection score.
public enum SelectionScore {
    /// The logistic function 1 / (1 + e^(−x)).
    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// `σ((A_s − A_r)/5) − σ(A_base − A_s)`, in (−1, 1), higher is better.
    ///
    /// The first term rewards a large gap between what the user gets and what a thief gets; the second penalises
    /// A_s falling below the plain model's accuracy.
    /// - Parameters:
    ///   - separate: A_s in percent.
    ///   - remove: A_r in percent.
    ///   - base: A_base in percent (`--accuracy_base`).
    /// - Returns: the point.
    public static func point(separate: Double, remove: Double, base: Double) -> Double {
        sigmoid((separate - remove) / 5) - sigmoid(base - separate)
    }
}
