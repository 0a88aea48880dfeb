import Foundation

/// Softmax cross-entropy on logits, averaged over the batch (PyTorch `nn.CrossEntropyLoss()`).
public enum CrossEntropy {
    /// The mean loss and its gradient with respect to the logits.
    /// - Parameters:
    ///   - logits: `[N, classes]`.
    ///   - labels: `N` class indices in `0..<classes`.
    /// - Returns: the mean loss (accumulated in `Double`) and dLoss/dLogits, `[N, classes]`.
    public static func lossAndGradient(logits: Tensor, labels: [Int]) -> (loss: Double, gradient: Tensor) {
        let n = logits.shape[0], k = logits.shape[1]
        precondition(labels.count == n, "cross-entropy: \(labels.count) labels for \(n) rows")
        var grad = Tensor(shape: logits.shape)
        var total = 0.0
        let invN = 1 / Float(n)
        for r in 0..<n {
            let row = r * k
            var maxValue = -Float.infinity
            for j in 0..<k { maxValue = max(maxValue, logits.data[row + j]) }
            var sum: Float = 0
            for j in 0..<k {
                let e = Foundation.exp(logits.data[row + j] - maxValue)
                grad.data[row + j] = e
                sum += e
            }
            let label = labels[r]
            precondition(label >= 0 && label < k, "cross-entropy: label \(label) outside 0..<\(k)")
            total += Double(Foundation.log(sum) + maxValue - logits.data[row + label])
            let inv = 1 / sum
            for j in 0..<k { grad.data[row + j] *= inv * invN }
            grad.data[row + label] -= invN
        }
        return (total / Double(n), grad)
    }
}
