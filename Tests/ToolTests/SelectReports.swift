import Foundation
import TestSupport
import Testing

@testable import Tool

/// Runs `privdnn select` in process and reads back its `--report`, for the select command suites.
enum SelectReports {
    /// The committed LeNet-5 and the committed MNIST folder.
    static let committedModel = RepositoryPaths.root.appendingPathComponent("models/lenet5-mnist.safetensors").path
    static let mnist = RepositoryPaths.data.appendingPathComponent("mnist").path

    /// Runs `select arguments --report <temporary> --json` and returns the report JSON.
    static func run(_ arguments: [String]) throws -> [String: Any] {
        let report = temporaryPath("report.json")
        defer { try? FileManager.default.removeItem(atPath: report) }
        try SelectCommand.parse(arguments + ["--report", report, "--json"]).run()
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report)))
        return try #require(object as? [String: Any])
    }
}
