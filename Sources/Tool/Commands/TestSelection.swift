import ArgumentParser
import Foundation
import NN

/// `privdnn test --selection FILE`: the closing test of a stored selection (spec §6.2 `test 1`): A_o, A_s, A_r,
/// the score and per-label accuracies on the chosen half, instead of the plain accuracy table.
struct TestSelectionOptions: ParsableArguments {
    @Option(help: "A selection file ({\"1\": [..], \"2\": [..]}): report A_o, A_s, A_r and the score instead.")
    var selection: String?

    @Option(help: "With --selection: A_base of the score in percent (default: the data set's, 99.36 for MNIST).")
    var base: Double?

    /// Runs the closing test when `--selection` is given.
    ///
    /// - Parameter command: the `test` command (data set, model, half, data folder, `--json`).
    /// - Returns: whether it ran (and printed); `false` leaves `test` to its plain accuracy report.
    /// - Throws: ``ToolError`` naming the model, data or selection file.
    func runIfRequested(_ command: TestCommand) throws -> Bool {
        guard let selection else { return false }
        print(try report(command, selection: selection))
        return true
    }

    /// The closing test's text, or one JSON object (`accuracy_o`, `accuracy_s`, `accuracy_r`, `score`, …).
    func report(_ command: TestCommand, selection path: String) throws -> String {
        let dataset = command.data.dataset
        let model = try SelectionInputs.model(try command.trained.required(), dataset: dataset)
        let selected = try SelectionInputs.selection(
            path, layerSizes: [model.conv1.outChannels, model.conv2.outChannels])
        let evaluator = try SelectionInputs.evaluator(
            model: model, subset: command.split, data: command.data, limit: nil)
        let accuracyBase = base ?? dataset.accuracyBase
        let closing: ClosingTest
        do {
            closing = try ClosingTest(selection: selected, evaluator: evaluator, base: accuracyBase)
        } catch let error as NNError {
            throw ToolError("\(path): \(error)")
        }
        let summary = ClosingSummary(closing, base: accuracyBase, half: command.split)
        return command.json
            ? try JSONOutput.text(summary) : "selection \(selected)\n" + summary.text
    }
}
