import Foundation
import NN

/// The data-set, model and selection readers, through the public loaders the commands call (files written into a
/// scratch folder where the loader expects them).
enum NNHarnesses {
    static let all: [Harness] = [
        Harness(
            name: "safetensors",
            summary: "model file: safetensors, then LeNet-5 loading (`Model(contentsOf:architecture:)`)",
            run: { bytes in
                let url = Scratch.root.appendingPathComponent("fuzz.safetensors")
                Scratch.write(bytes, to: url)
                _ = try? Model(contentsOf: url, architecture: .lenet5MNIST)
            },
            seeds: {
                var small = Safetensors(metadata: ["format": "pt", HiddenActivation.metadataKey: "square"])
                try small.setFloats("fc3.bias", [1, -2, 0.5], shape: [3])
                small.tensors["half"] = SafetensorsTensor(
                    dtype: .f16, shape: [2, 2], bytes: [0, 60, 0, 188, 0, 0, 0, 124])
                small.tensors["brain"] = SafetensorsTensor(dtype: .bf16, shape: [2], bytes: [128, 63, 0, 192])
                small.tensors["double"] = SafetensorsTensor(
                    dtype: .f64, shape: [1], bytes: [0, 0, 0, 0, 0, 0, 240, 63])
                small.tensors["empty"] = SafetensorsTensor(dtype: .f32, shape: [0, 3], bytes: [])
                return [
                    ("small", small.serialized()),
                    ("lenet5", try Seeds.file("vectors/nn/torch_lenet5_mnist.safetensors")),
                ]
            }),
        Harness(
            name: "idx", summary: "MNIST IDX, raw or gzipped (`IDXLoader.read`, ranks 3 and 1)",
            run: { bytes in
                let url = Scratch.root.appendingPathComponent("data-idx3-ubyte")
                Scratch.write(bytes, to: url)
                _ = try? IDXLoader.read(url, rank: 3)
                _ = try? IDXLoader.read(url, rank: 1)
            },
            seeds: {
                let images: [UInt8] =
                    [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2] + (0..<12).map { UInt8($0 * 20) }
                let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]
                return [
                    ("images", images), ("labels", labels), ("images-gz", try gzip(images)),
                    ("labels-gz", try gzip(labels)),
                ]
            }),
        Harness(
            name: "cifar10", summary: "CIFAR-10 binary batch and batches.meta.txt (`CIFAR10Loader`)",
            run: { bytes in
                let folder = Scratch.directory("cifar")
                let batch = folder.appendingPathComponent("data_batch_1.bin")
                Scratch.write(bytes, to: batch)
                Scratch.write(bytes, to: folder.appendingPathComponent("batches.meta.txt"))
                _ = try? CIFAR10Loader.load(files: [batch], labelNames: CIFAR10Loader.labelNames(folder: folder))
                _ = try? CIFAR10Loader.load(files: [batch])
            },
            seeds: {
                let record = { (label: UInt8) in [label] + (0..<3072).map { UInt8(truncatingIfNeeded: $0 &* 7) } }
                return [
                    ("two-records", record(3) + record(9)),
                    ("meta", Seeds.text(CIFAR10Loader.defaultLabelNames.joined(separator: "\n") + "\n")),
                ]
            }),
        Harness(
            name: "gtsrb-csv", summary: "GTSRB GT-*.csv annotations with their PPM images (`GTSRBLoader.load`)",
            run: { bytes in
                let folder = gtsrbFolder(csv: bytes, ppm: nil)
                _ = try? GTSRBLoader.load(folder: folder, size: 8, cropToROI: true)
            },
            seeds: {
                [
                    ("two-rows", Seeds.text(csvHeader + "a.ppm;4;3;0;0;3;2;7\nb.ppm;2;2;1;1;1;1;42\n")),
                    ("test-columns", Seeds.text("Filename;ClassId\r\na.ppm;0\r\n")),
                ]
            }),
        Harness(
            name: "ppm", summary: "GTSRB PPM (P6) image, decoded and resized (`GTSRBLoader.load`)",
            run: { bytes in
                let folder = gtsrbFolder(csv: nil, ppm: bytes)
                _ = try? GTSRBLoader.load(folder: folder, size: 8)
            },
            seeds: {
                [("rgb8", ppm8), ("rgb16", Seeds.text("P6\n# comment\n1 2\n65535\n") + (0..<12).map { UInt8($0) })]
            }),
        Harness(
            name: "jpeg", summary: "TinyImageNet JPEG, decoded by libjpeg and resized (`TinyImageNetLoader.load`)",
            run: { bytes in
                let folder = Scratch.directory("tiny")
                let images = folder.appendingPathComponent("n01443537/images")
                Scratch.makeDirectory(images)
                Scratch.write(bytes, to: images.appendingPathComponent("n01443537_0.JPEG"))
                _ = try? TinyImageNetLoader.load(folder: folder, size: 8)
            },
            seeds: {
                let gradient = RGBImage(
                    width: 9, height: 5, pixels: (0..<135).map { UInt8(truncatingIfNeeded: $0 &* 3) })
                return [
                    ("q90", try JPEG.encode(gradient)), ("q10", try JPEG.encode(gradient, quality: 10)),
                    (
                        "flat",
                        try JPEG.encode(RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 200, count: 768)))
                    ),
                ]
            }),
        Harness(
            name: "tinyimagenet-annotations",
            summary: "TinyImageNet val_annotations.txt with its JPEG images (`TinyImageNetLoader.load`)",
            run: { bytes in
                let folder = Scratch.directory("tiny-val")
                let images = folder.appendingPathComponent("images")
                Scratch.makeDirectory(images)
                Scratch.write(tinyJPEG, to: images.appendingPathComponent("val_0.JPEG"))
                Scratch.write(bytes, to: folder.appendingPathComponent("val_annotations.txt"))
                _ = try? TinyImageNetLoader.load(folder: folder, classNames: ["n01", "n02"], size: 4)
                _ = try? TinyImageNetLoader.load(folder: folder, size: 4)
            },
            seeds: { [("two", Seeds.text("val_0.JPEG\tn01\t0\t0\t6\t6\nval_0.JPEG\tn02\t1\t1\t2\t2\n"))] }),
        Harness(
            name: "selection", summary: "selection JSON (`SelectedNeurons(contentsOf:)`, then LeNet-5 layer sizes)",
            run: { bytes in
                let url = Scratch.root.appendingPathComponent("selection.json")
                Scratch.write(bytes, to: url)
                guard let selection = try? SelectedNeurons(contentsOf: url) else { return }
                try? selection.validate(layerSizes: [6, 16])
            },
            seeds: {
                [
                    ("greedy", Seeds.text("{\"1\": [0], \"2\": [15]}")),
                    ("many", Seeds.text("{\"1\":[0,1,2,3,4,5],\"2\":[8,11,3]}\n")), ("empty", Seeds.text("{}")),
                ]
            }),
    ]

    static let csvHeader = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
    static let ppm8 = Seeds.text("P6 4 3 255\n") + (0..<36).map { UInt8($0 &* 7) }
    static let tinyJPEG = setUp("encoding the 6 x 6 JPEG") {
        try JPEG.encode(RGBImage(width: 6, height: 6, pixels: (0..<108).map { UInt8($0) }))
    }

    /// A GTSRB class folder: the CSV (fixed rows for a.ppm and b.ppm unless given) and the images (fixed unless
    /// given; a given one is both a.ppm and b.ppm).
    static func gtsrbFolder(csv: [UInt8]?, ppm: [UInt8]?) -> URL {
        let folder = Scratch.directory("gtsrb")
        let classFolder = folder.appendingPathComponent("00007")
        Scratch.makeDirectory(classFolder)
        Scratch.write(
            csv ?? Seeds.text(csvHeader + "a.ppm;4;3;1;0;3;2;7\nb.ppm;4;3;0;0;3;2;7\n"),
            to: classFolder.appendingPathComponent("GT-00007.csv"))
        for name in ["a.ppm", "b.ppm"] { Scratch.write(ppm ?? ppm8, to: classFolder.appendingPathComponent(name)) }
        return folder
    }

    /// gzip's output for `bytes` (seeds only).
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", "-n"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](result)
    }
}
