/// The report after every selection (spec §5, `closing_test`), three evaluations.
///
/// It holds A_o, A_s, A_r with per-label accuracy, the point, and the labels where the deployed model does worse
/// than the thief's.
public struct ClosingTest: Sendable, Codable {
    /// The selection tested.
    public var selection: SelectedNeurons
    /// A_o counts.
    public var original: EvaluationResult
    /// A_s counts.
    public var separate: EvaluationResult
    /// A_r counts.
    public var remove: EvaluationResult
    /// The point against `base`.
    public var point: Double
    /// Labels whose separate accuracy is below their remove accuracy.
    public var labelsWhereSeparateBelowRemove: [Int]

    /// The three rounded accuracies.
    public var accuracies: SelectionAccuracies {
        SelectionAccuracies(
            original: original.roundedAccuracy, separate: separate.roundedAccuracy, remove: remove.roundedAccuracy)
    }

    /// Runs the three evaluations.
    ///
    /// - Parameters:
    ///   - selection: the selection to report on.
    ///   - evaluator: the model and evaluation images.
    ///   - base: A_base in percent.
    /// - Throws: ``NNError/invalidSelection(_:)``.
    public init(selection: SelectedNeurons, evaluator: some SelectionEvaluator, base: Double) throws {
        self.selection = selection
        original = try evaluator.evaluate(selection, mode: nil)
        separate = try evaluator.evaluate(selection, mode: .separate)
        remove = try evaluator.evaluate(selection, mode: .remove)
        point = SelectionScore.point(
            separate: separate.roundedAccuracy, remove: remove.roundedAccuracy, base: base)
        let separateByLabel = separate.labelAccuracy
        let removeByLabel = remove.labelAccuracy
        labelsWhereSeparateBelowRemove = separateByLabel.indices.filter { label in
            guard let s = separateByLabel[label], let r = removeByLabel[label] else { return false }
            return s < r
        }
    }
}
