/// What the selection algorithms need from a model: layer widths, filter weights, and masked accuracies.
///
/// ``ModelSelectionEvaluator`` implements it on a real ``Model``; tests implement it analytically. Every call of
/// ``evaluate(_:mode:)`` is one "evaluation" in the spec's cost formulas (one pass over the evaluation images).
public protocol SelectionEvaluator: AnyObject {
    /// Filters per selectable layer: `layerSizes[0]` is conv1's.
    var layerSizes: [Int] { get }
    /// Evaluations run so far.
    var evaluationCount: Int { get }

    /// Scores the model with `selection` applied as `mode`, or unmasked when `mode` is `nil` (A_o).
    ///
    /// - Returns: overall and per-label counts.
    /// - Throws: ``NNError/invalidSelection(_:)`` for a selection the model cannot apply.
    func evaluate(_ selection: SelectedNeurons, mode: FilterMaskMode?) throws -> EvaluationResult

    /// The weights of each filter of `layer` (1-based), flattened (`in × k × k` values per filter).
    func filterWeights(layer: Int) -> [[Float]]
}

extension SelectionEvaluator {
    /// A_s, A_r (and A_o if asked) for `selection`, rounded to two decimals as the original reports them.
    ///
    /// - Throws: ``NNError/invalidSelection(_:)``.
    public func accuracies(_ selection: SelectedNeurons, includingOriginal: Bool = false) throws
        -> SelectionAccuracies
    {
        let original = includingOriginal ? try evaluate(selection, mode: nil).roundedAccuracy : nil
        return SelectionAccuracies(
            original: original,
            separate: try evaluate(selection, mode: .separate).roundedAccuracy,
            remove: try evaluate(selection, mode: .remove).roundedAccuracy)
    }
}

/// A ``SelectionEvaluator`` over a ``Model`` and a fixed set of labelled images.
///
/// By default conv1's raw outputs are computed once and each evaluation runs the masked network from there, which
/// is exact because neither mask changes conv1's unmasked output. The cache holds N × C₁ × H₁ × W₁ floats
/// (about 2.2 GB for the GTSRB test half); pass `cacheConv1: false` to recompute conv1 instead. Not thread-safe
/// (the model holds the masks).
public final class ModelSelectionEvaluator: SelectionEvaluator {
    /// The model; its masks are cleared after every evaluation.
    public let model: Model
    private let labels: [Int]
    private let input: Tensor
    private let inputIsConv1Output: Bool
    /// Evaluations run so far.
    public private(set) var evaluationCount = 0

    /// Prepares evaluation of `model` on `images`.
    ///
    /// - Parameters:
    ///   - model: a trained model.
    ///   - images: `[N, C, H, W]` evaluation images (the validate or test half).
    ///   - labels: their labels.
    ///   - cacheConv1: keep conv1's outputs between evaluations (faster, more memory).
    /// - Throws: ``NNError/datasetMismatch(_:)`` when the images or labels do not fit the model.
    public init(model: Model, images: Tensor, labels: [Int], cacheConv1: Bool = true) throws {
        try model.validateInput(images)
        try model.validateLabels(labels, count: images.shape[0])
        self.model = model
        self.labels = labels
        model.clearMasks()
        input = cacheConv1 ? model.conv1Outputs(images) : images
        inputIsConv1Output = cacheConv1
    }

    /// `[conv1 filters, conv2 filters]`.
    public var layerSizes: [Int] { [model.conv1.outChannels, model.conv2.outChannels] }

    /// Runs one masked evaluation pass.
    ///
    /// - Returns: top-k counts with the architecture's k.
    /// - Throws: ``NNError/invalidSelection(_:)`` for layers other than 1 and 2 or filters out of range.
    public func evaluate(_ selection: SelectedNeurons, mode: FilterMaskMode?) throws -> EvaluationResult {
        if let mode {
            try model.applyMask(selection, mode: mode)
        } else {
            model.clearMasks()
        }
        defer { model.clearMasks() }
        evaluationCount += 1
        let logits = inputIsConv1Output ? model.logits(fromConv1: input) : model.logits(input)
        return Evaluation.score(logits: logits, labels: labels, topK: model.architecture.topK)
    }

    /// Each filter's weights of conv1 (`layer` 1) or conv2 (`layer` 2), flattened.
    public func filterWeights(layer: Int) -> [[Float]] {
        let conv = layer == 1 ? model.conv1 : model.conv2
        let per = conv.weight.value.count / conv.outChannels
        return (0..<conv.outChannels).map { Array(conv.weight.value.data[($0 * per)..<(($0 + 1) * per)]) }
    }
}
