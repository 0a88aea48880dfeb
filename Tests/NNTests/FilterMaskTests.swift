import NN
import Testing

/// The "separate" and "remove" rules of spec §5 against direct weight edits.
@Suite struct FilterMaskTests {
    func images(_ count: Int) -> Tensor {
        var g = Xoshiro256(seed: 77)
        return Tensor(shape: [count, 1, 28, 28], data: (0..<(count * 784)).map { _ in g.nextUnitFloat() })
    }

    func close(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && zip(a.data, b.data).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }
    }

    @Test func removeZeroesSelectedFilterOutputs() throws {
        let model = Model(.lenet5MNIST, seed: 4)
        let x = images(8)
        let selection = try SelectedNeurons([1: [0, 4], 2: [3, 7, 15]])
        try model.applyMask(selection, mode: .remove)
        let masked = model.logits(x)

        let edited = Model(.lenet5MNIST, seed: 4)
        for (layer, filters) in selection.layers {
            let conv = layer == 1 ? edited.conv1 : edited.conv2
            let per = conv.inChannels * conv.kernelSize * conv.kernelSize
            for f in filters {
                for t in 0..<per { conv.weight.value.data[f * per + t] = 0 }
                conv.bias?.value.data[f] = 0
            }
        }
        #expect(close(masked, edited.logits(x)))
        model.clearMasks()
        #expect(model.logits(x) == Model(.lenet5MNIST, seed: 4).logits(x))
    }

    @Test func separateCutsPlaintextFiltersFromEncryptedInputs() throws {
        let model = Model(.lenet5MNIST, seed: 5)
        let x = images(8)
        try model.applyMask(SelectedNeurons([1: [2], 2: [0, 9]]), mode: .separate)
        let masked = model.logits(x)

        let edited = Model(.lenet5MNIST, seed: 5)
        for o in 0..<16 where o != 0 && o != 9 {
            for t in 0..<25 { edited.conv2.weight.value.data[(o * 6 + 2) * 25 + t] = 0 }
        }
        #expect(close(masked, edited.logits(x)))
        #expect(!close(masked, Model(.lenet5MNIST, seed: 5).logits(x)))

        // Only one selected layer: nothing to separate.
        try model.applyMask(SelectedNeurons([1: [2]]), mode: .separate)
        #expect(model.logits(x) == Model(.lenet5MNIST, seed: 5).logits(x))
    }

    @Test(arguments: FilterMaskMode.allCases)
    func cachedConv1OutputsGiveTheSameLogits(_ mode: FilterMaskMode) throws {
        let model = Model(.lenet5EMNIST, seed: 6)
        let x = images(12)
        let cache = model.conv1Outputs(x)
        for selection in try [SelectedNeurons([1: [1], 2: [4]]), SelectedNeurons([1: [0, 9], 2: [1, 2, 19]])] {
            try model.applyMask(selection, mode: mode)
            #expect(close(model.logits(fromConv1: cache), model.logits(x)))
        }
    }

    @Test func invalidSelectionsThrow() {
        let model = Model(.lenet5MNIST)
        #expect(throws: NNError.self) { try model.applyMask(SelectedNeurons([3: [0]]), mode: .remove) }
        #expect(throws: NNError.self) { try model.applyMask(SelectedNeurons([1: [6]]), mode: .separate) }
        #expect(throws: NNError.self) { try model.applyMask(SelectedNeurons([2: [-1]]), mode: .remove) }
    }
}
