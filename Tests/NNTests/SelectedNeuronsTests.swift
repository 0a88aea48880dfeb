import Foundation
import Testing

@testable import NN

@Suite struct SelectedNeuronsTests {
    @Test func jsonShapeMatchesPrivDNN() throws {
        let selection = try SelectedNeurons([2: [11, 8], 1: [4]])
        #expect(selection.jsonString == "{\"1\": [4], \"2\": [8, 11]}")
        #expect(selection[2] == [8, 11] && selection[3] == [] && selection.count == 3)
        let decoded = try JSONDecoder().decode(SelectedNeurons.self, from: Data("{\"2\": [11, 8], \"1\": [4]}".utf8))
        #expect(decoded == selection)
        let encoded = try JSONEncoder().encode(selection)
        #expect(try JSONDecoder().decode(SelectedNeurons.self, from: encoded) == selection)
        // The original's empty templates load too.
        let empty = try JSONDecoder().decode(SelectedNeurons.self, from: Data("{\"1\": [], \"2\": []}".utf8))
        #expect(empty.count == 0 && empty.layerNumbers == [1, 2] && empty.selectedLayers == [])
    }

    /// `pruning` (`--share` of the inference and demo commands): a valid selection of the strongest filters.
    @Test func pruningShareTakesTheStrongestFilters() throws {
        let model = Model(.lenet5MNIST, seed: 4)
        let selection = SelectedNeurons.pruning(model, percent: 25)
        #expect(selection.layerNumbers == [1, 2] && selection[1].count == 2 && selection[2].count == 4)
        #expect(selection == (try SelectedNeurons(selection.layers)))
        try selection.validate(layerSizes: [6, 16])
        let weights = model.conv1.weight.value.data, size = weights.count / 6
        let norms = (0..<6).map { f in weights[(f * size)..<((f + 1) * size)].reduce(0) { $0 + $1 * $1 } }
        let chosen = selection[1].map { norms[$0] }, others = (0..<6).filter { !selection[1].contains($0) }
        #expect(chosen.min() ?? 0 >= others.map { norms[$0] }.max() ?? 0)
    }

    @Test func fileRoundTripAndErrors() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("selected_neurons.json")
        let selection = try SelectedNeurons([1: [4, 5], 2: [8, 11, 1, 6, 3, 2]])
        try selection.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\"1\": [4, 5], \"2\": [1, 2, 3, 6, 8, 11]}\n")
        #expect(try SelectedNeurons(contentsOf: url) == selection)
        let bad = try folder.write(Array("{\"one\": [1]}".utf8), to: "bad.json")
        let error = try #require(throws: DataFileError.self) { try SelectedNeurons(contentsOf: bad) }
        #expect(error.file == bad.path && error.problem.contains("not a selection file"))
        let repeated = try folder.write(Array("{\"1\": [3, 3]}".utf8), to: "twice.json")
        let repeatError = try #require(throws: DataFileError.self) { try SelectedNeurons(contentsOf: repeated) }
        #expect(repeatError.problem.contains("filter 3 listed twice"))
    }

    @Test func validationAgainstLayerSizes() throws {
        let sizes = [6, 16]
        try SelectedNeurons([1: [0, 5], 2: [15]]).validate(layerSizes: sizes)
        #expect(throws: NNError.invalidSelection("selection layer 1: filter 6 outside 0..<6")) {
            try SelectedNeurons([1: [6]]).validate(layerSizes: sizes)
        }
        #expect(throws: NNError.invalidSelection("selection layer 3: the model has 2 selectable layers")) {
            try SelectedNeurons([3: [0]]).validate(layerSizes: sizes)
        }
        #expect(throws: NNError.self) { try SelectedNeurons([0: [1]]) }
        #expect(throws: NNError.self) { try SelectedNeurons([1: [-1]]) }
        #expect(try SelectedNeurons([1: [4]]).adding([2], toLayer: 2) == SelectedNeurons([1: [4], 2: [2]]))
    }

    @Test func countsPerLayer() throws {
        // GTSRB 5%: conv1 96 → 4, conv2 256 → 12 (spec §7.3 table); CIFAR-10 50%: 32 and 32.
        #expect(try SelectionCount.percent(5).counts(layerSizes: [96, 256]) == [4, 12])
        #expect(try SelectionCount.percent(50).counts(layerSizes: [64, 64]) == [32, 32])
        #expect(try SelectionCount.percent(1).counts(layerSizes: [6, 16]) == [1, 1])
        #expect(try SelectionCount.adding(first: 1, add: 0).counts(layerSizes: [6, 16]) == [1, 1])
        #expect(try SelectionCount.multiplying(first: 2, factor: 3).counts(layerSizes: [6, 16]) == [2, 6])
        #expect(throws: NNError.self) { try SelectionCount.adding(first: 4, add: 3).counts(layerSizes: [6, 6]) }
        #expect(throws: NNError.self) { try SelectionCount.percent(120).counts(layerSizes: [6]) }
    }

    @Test func exhaustiveGridSizes() {
        let mnist = ExhaustiveGrid.mnist.categories.map { [$0.layer1Count, $0.layer2Count, $0.combinations] }
        #expect(
            mnist == [
                [1, 1, 96], [1, 2, 720], [1, 3, 3360], [1, 4, 10920], [1, 5, 26208], [1, 6, 48048],
                [2, 2, 1800], [2, 3, 8400], [2, 4, 27300], [2, 5, 65520], [2, 6, 120120],
            ])
        #expect(ExhaustiveGrid.mnist.totalCount == 312_492)
        let emnist = ExhaustiveGrid.emnist.categories.map(\.combinations)
        #expect(emnist == [200, 1900, 11400, 48450, 8550, 51300, 218025])
        #expect(ExhaustiveGrid.emnist.totalCount == 339_825)
    }

    @Test func exhaustiveEnumerationYieldsEveryCombinationOnce() throws {
        var seen = Set<SelectedNeurons>()
        var total = 0
        for selection in ExhaustiveGrid.mnist.selections() {
            total += 1
            if selection[1].count == 2 && selection[2].count == 3 { seen.insert(selection) }
        }
        #expect(total == 312_492)
        #expect(seen.count == 8400)
        let first = ExhaustiveGrid.mnist.selections().first { _ in true }
        #expect(first == (try SelectedNeurons([1: [0], 2: [0]])))
        #expect(Array(Combinations(n: 4, k: 2)) == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(Array(Combinations(n: 3, k: 0)) == [[]] && Array(Combinations(n: 2, k: 3)).isEmpty)
    }
}
