import Foundation
import NN

extension SelectionInputs {
    /// HRank's input (`--norm hrank`, spec §7.4): the average matrix rank of each filter's output maps in
    /// `layers`, over a seeded uniform sample of ``FeatureMapRanks/defaultImageCount`` images of the train split.
    ///
    /// - Parameters:
    ///   - model: the trained model.
    ///   - data: the data set whose train split is sampled, and its folder.
    ///   - layers: the layers to rank (1 and/or 2).
    ///   - seed: seeds the sample (`--seed`).
    /// - Returns: layer → one average per filter, and the number of images used.
    /// - Throws: ``ToolError`` naming the missing or bad data file, or the layer that cannot be ranked.
    static func featureMapRanks(
        model: Model, data: DataOptions, layers: [Int], seed: UInt64
    ) throws -> (ranks: [Int: [Double]], images: Int) {
        let dataset = data.dataset
        let train: LabeledImages
        do {
            train = try data.load(.train)
        } catch let error as DataFileError {
            throw ToolError(error.description)
        }
        let sample = train.subset(
            FeatureMapRanks.sample(FeatureMapRanks.defaultImageCount, of: train.count, seed: seed))
        var ranks: [Int: [Double]] = [:]
        do {
            for layer in layers {
                ranks[layer] = try FeatureMapRanks.averages(
                    model: model, layer: layer, images: sample, normalization: dataset.normalization)
            }
        } catch let error as NNError {
            throw ToolError("--norm hrank on the \(dataset.displayName) train split: \(error)")
        }
        return (ranks, sample.count)
    }
}

extension SelectCommand {
    /// With `--norm hrank`: the ranks of layers `1...layers` and their report section; `nil` for the weight
    /// criteria, which need no data.
    func hrankRanks(_ context: RunContext, layers: Int) throws -> (
        ranks: [Int: [Double]], summary: SelectionRunReport.HRankRanks
    )? {
        guard norm == .hrank else { return nil }
        let (ranks, images) = try SelectionInputs.featureMapRanks(
            model: context.model, data: data, layers: Array(1...max(1, layers)),
            seed: seed)
        let byName = Dictionary(uniqueKeysWithValues: ranks.map { (String($0.key), $0.value) })
        return (ranks, .init(images: images, seed: seed, average_ranks: byName))
    }
}

extension SelectionRunReport {
    /// HRank's evidence: per layer, each filter's average output-map rank over the sampled training images.
    struct HRankRanks: Encodable {
        /// Training images ranked (a seeded uniform sample of the train split).
        var images: Int
        var seed: UInt64
        /// Layer ("1", "2") → one average per filter, in filter order.
        var average_ranks: [String: [Double]]

        var text: String {
            let layers = average_ranks.keys.sorted().map { layer in
                "layer \(layer) ["
                    + (average_ranks[layer] ?? []).map { String(format: "%.3f", $0) }.joined(separator: ", ")
                    + "]"
            }
            return "HRank: average feature-map rank over \(images) training images (seed \(seed)): "
                + layers.joined(separator: "; ")
        }
    }
}
