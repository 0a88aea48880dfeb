import ArgumentParser

/// The `privdnn` root command: every subcommand lives in `Commands/`.
struct PrivDNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privdnn",
        abstract: "Privacy-preserving DNN inference with partial CKKS encryption (a Swift PrivDNN).",
        version: "0.1.0",
        subcommands: [
            TrainCommand.self,
            TestCommand.self,
            SelectCommand.self,
            RecoverCommand.self,
            OwnerCommand.self,
            UserCommand.self,
            InferenceCommand.self,
            MergeCommand.self,
            DemoCommand.self,
            CleanCommand.self,
            CKKSCommand.self,
        ]
    )
}
