import ArgumentParser
import Foundation
import NN

/// `--dataset`: which of the five data sets (and so which network and input normalization) a command works on.
///
/// Its own group because `owner package` needs the data set's normalization but reads no data folder.
struct DatasetOption: ParsableArguments {
    @Option(help: "The data set.")
    var dataset: Dataset = .mnist
}

/// `--dataset` and `--data-dir`, the same two options in every command that reads a data set.
struct DataOptions: ParsableArguments {
    @OptionGroup var choice: DatasetOption

    @Option(help: "The data set's folder (default: data/<dataset> under the current directory).")
    var dataDir: String?

    /// The spellings `--data` (inference, demo) and `--data-root` (recover) had before `--data-dir`: parsed only to
    /// refuse them with the new name (without it the parser would suggest `--dataset`, the closest name).
    @Option(name: [.customLong("data"), .customLong("data-root")], help: .private)
    var oldSpelling: String?

    /// The data set (`--dataset`).
    var dataset: Dataset { choice.dataset }

    func validate() throws {
        if oldSpelling != nil { throw ValidationError("--data and --data-root are now --data-dir") }
    }

    /// The folder the data set is read from: `--data-dir`, else `data/<dataset>` under the current directory.
    var root: URL { dataDir.map { URL(fileURLWithPath: $0) } ?? dataset.defaultRoot }

    /// One part of the data set, read from ``root``.
    /// - Throws: ``DataFileError`` naming the missing or bad file.
    func load(_ subset: Dataset.Subset) throws -> LabeledImages {
        try dataset.load(subset, root: root)
    }

    /// One part of the data set as normalized model input and integer labels, read from ``root``.
    /// - Throws: ``DataFileError`` naming the missing or bad file.
    func tensors(_ subset: Dataset.Subset) throws -> (images: Tensor, labels: [Int]) {
        try dataset.tensors(subset, root: root)
    }
}

/// `--model`: the trained model file a command reads.
///
/// Optional here because the commands differ: `test`, `select` and `owner package` need it, `recover` needs it for
/// every attack but scratch, `inference --synthetic` makes a random one without it, and `demo` reads the committed
/// LeNet-5 by default; each says so where it uses ``required()`` or ``path(default:)``.
struct ModelOption: ParsableArguments {
    @Option(help: "The trained model (safetensors).")
    var model: String?

    /// `--model`, for a command that cannot run without one.
    /// - Throws: `ValidationError` when it is missing.
    func required() throws -> String {
        guard let model else { throw ValidationError("Missing expected argument '--model <model>'") }
        return model
    }

    /// `--model`, else `fallback`.
    func path(default fallback: String) -> String { model ?? fallback }
}
