/// How a selection changes the plaintext forward pass (spec §5).
public enum FilterMaskMode: String, Sendable, CaseIterable, Codable {
    /// A_s, the deployed model: plaintext conv2 filters lose their inputs from selected conv1 filters
    /// (`W₂[o, i] = 0` for unselected `o` and selected `i`); selected conv2 filters keep every input.
    case separate
    /// A_r, the thief's view: selected filters' outputs (after the bias) are zeroed.
    case remove
}
