import CKKS
import Foundation
import NN
import TestSupport
import Testing

@testable import PrivateInference

/// The one engine on every PrivDNN network: conv1 with 1 or 3 input channels, padding 0 or 1, with or without a pool,
/// bias or folded batch norm; conv2 pooled (LeNet-5) or not, padded or not.
///
/// Random-initialised models and seeded random images at N = 1024 (toy ring, no security), decrypted results against
/// the plaintext model.
@Suite struct EngineArchitectureTests {
    /// (architecture, normalization, selection): the selections differ between layer 1 and layer 2.
    static let cases: [(Architecture, Normalization, [Int: [Int]])] = [
        (.lenet5EMNIST, .unit, [1: [3], 2: [1, 17]]),
        (.alexNetGTSRB, .imageNet, [1: [5, 90], 2: [200]]),
        (.vgg16CIFAR10, .symmetric, [1: [0], 2: [7, 63]]),
        (.resNet18TinyImageNet, .unit, [1: [2, 40], 2: [9]]),
    ]

    static func context() throws -> HEContext {
        try HEContext(
            parameters: try EncryptionParameters(polyModulusDegree: 1024, bitSizes: [60, 60, 60, 60, 60, 60]),
            securityLevel: .none)
    }

    /// A random-initialised model whose batch norms hold non-trivial statistics (so that folding is tested).
    static func model(_ architecture: Architecture, seed: UInt64) -> Model {
        let model = Model(architecture, seed: seed)
        var generator = Xoshiro256(seed: seed + 100)
        for (name, parameter) in model.stateTensors where name.hasPrefix("bn1.") {
            for i in parameter.value.data.indices {
                let u = Float(generator.next() >> 11) / Float(1 << 53)
                parameter.value.data[i] =
                    name.hasSuffix("running_var") ? 0.5 + u : (name.hasSuffix("weight") ? 0.5 + u : u - 0.5)
            }
        }
        return model
    }

    static func pixels(_ architecture: Architecture, count: Int, seed: UInt64) -> [UInt8] {
        var generator = Xoshiro256(seed: seed)
        let shape = architecture.inputShape
        return (0..<(count * shape.reduce(1, *))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    /// One case's engine at N = 1024 with fresh keys, two seeded images and the plaintext activations entering conv2.
    struct Fixture {
        let selection: SelectedNeurons
        let model: Model
        let context: HEContext
        let geometry: StageGeometry
        let keys: OwnerKeyMaterial
        let evaluator: UserEvaluator
        let structure: EncryptedStructure
        let count = 2
        let pixels: [UInt8]
        let activations: Tensor

        init(_ index: Int) throws {
            let (architecture, normalization, filters) = EngineArchitectureTests.cases[index]
            selection = try SelectedNeurons(filters)
            model = EngineArchitectureTests.model(architecture, seed: 11)
            context = try EngineArchitectureTests.context()
            let kernels = try LayerKernels(model: model, normalization: normalization)
            geometry = kernels.geometry
            keys = try context.generateKeys()
            let (plan, weights) = try context.prepare(kernels, selection: selection, secret: keys.secret)
            evaluator = UserEvaluator(
                context: context, plan: plan, weights: weights, relinKeys: { [keys] in keys.relinKeys },
                geometry: geometry, inputShift: kernels.inputShift)
            pixels = EngineArchitectureTests.pixels(architecture, count: count, seed: 5)
            let shape = architecture.inputShape, image = shape.reduce(1, *), plane = shape[1] * shape[2]
            let x = Tensor(
                shape: [count] + shape,
                data: pixels.enumerated().map { i, byte in
                    let c = i % image / plane
                    return Float((Double(byte) / 255 - normalization.mean(c)) / normalization.std(c))
                })
            structure = try EncryptedStructure(model)
            activations = model.network.forward(x, from: 0, through: structure.squareIndex, training: false)
        }
    }

    @Test(arguments: 0..<4)
    func encryptedConvolutionsMatchThePlaintextModel(index: Int) throws {
        let f = try Fixture(index)
        let (architecture, selection, context, keys, g, count) = (
            Self.cases[index].0, f.selection, f.context, f.keys, f.geometry, f.count
        )
        let reference = f.structure.conv2(f.model, f.activations)
        var times = PhaseTimes()
        let outputs = try f.evaluator.evaluate(pixels: f.pixels, count: count, times: &times) { _ in f.activations.data
        }
        let decryptor = try Decryptor(context: context.ckks, secretKey: keys.secret)
        var worst = 0.0, largest = 0.0
        #expect(outputs.count == selection[2].count)
        for (i, o) in selection[2].enumerated() {
            #expect(outputs[i].count == g.positions)
            for pos in 0..<g.positions {
                let ct = outputs[i][pos]
                let values = try context.decodeCoefficients(
                    try context.decryptToCoefficients(ct, decryptor: decryptor), primes: PipelineLevels.finalPrimes,
                    scale: ct.scale)
                for b in 0..<count {
                    let expected = Double(reference.data[(b * g.conv2Channels + o) * g.positions + pos])
                    worst = max(worst, abs(values[b] - expected))
                    largest = max(largest, abs(expected))
                }
            }
        }
        print("\(architecture.rawValue): conv2 side \(g.conv2Side), max |encrypted − plaintext| \(worst) of \(largest)")
        #expect(largest > 1e-2)
        #expect(worst < 1e-3 * max(1, largest))
    }

    /// Every network through the whole two-party exchange at N = 1024 with a random-initialised model and the
    /// automatic packing for three images (pixels): the encrypted predictions equal the separate model's.
    ///
    /// For ResNet-18 the owner also decrypts the encrypted conv1 channels' squares, which the residual shortcut reads:
    /// in the pixels packing the lanes holding conv2's centre tap, in the batch packing (run too, on the same images)
    /// one ciphertext per position. (The batch packing of the others: ``ChunkedExchangeTests``.)
    @Test(arguments: 0..<4)
    func exchangeAgreesWithTheSeparateModel(index: Int) throws {
        let (architecture, normalization, filters) = Self.cases[index]
        let selection = try SelectedNeurons(filters)
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = dir.appendingPathComponent("model.safetensors")
        try Data(Self.model(architecture, seed: 4).fileBytes()).write(to: modelURL)
        let dataset = try #require(Dataset.allCases.first { $0.architecture == architecture })
        let residual = architecture == .resNet18TinyImageNet
        for packing in residual ? [nil, .batch] : [nil] as [Packing?] {
            let report = try ExchangeRun.run(
                modelURL: modelURL, selection: selection, images: dataset.synthetic(count: 3, seed: 2),
                parameters: try Self.context().parameters, security: .none, normalization: normalization,
                packing: packing)
            #expect(report.packing == packing ?? .pixels)
            print(
                "\(architecture.rawValue) exchange (\(report.packing.rawValue)): agreement \(report.agreement) %, max |Δ logit| \(report.maxLogitDifference)"
            )
            #expect(report.images == 3)
            #expect(report.agreement == 100)
            #expect(report.maxLogitDifference < 1e-2)
        }
    }

    /// A data set in its standard format goes through the same loading and exchange: a generated CIFAR-10
    /// `test_batch.bin` (label byte + 3,072 pixel bytes per record) in a data folder, VGG-16 at N = 1024.
    @Test func standardFormatDataRunsThroughTheExchange() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        var generator = Xoshiro256(seed: 21)
        var batch: [UInt8] = []
        for i in 0..<8 {
            batch.append(UInt8(i % 10))
            batch += (0..<3072).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        let data = dir.appendingPathComponent("cifar10")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data(batch).write(to: data.appendingPathComponent("test_batch.bin"))
        let images = try Dataset.cifar10.load(.test, root: data)
        #expect(images.count == 4 && images.channels == 3 && images.height == 32)
        let modelURL = dir.appendingPathComponent("model.safetensors")
        try Data(Self.model(.vgg16CIFAR10, seed: 8).fileBytes()).write(to: modelURL)
        let report = try ExchangeRun.run(
            modelURL: modelURL, selection: try SelectedNeurons([1: [3], 2: [5]]), images: images,
            parameters: try Self.context().parameters, security: .none, normalization: Dataset.cifar10.normalization)
        #expect(report.images == 4)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
    }

    /// GTSRB in its distributed layout (`Final_Test/Images/GT-final_test.csv` and PPM images of other sizes, resized
    /// to 32 × 32) through the loader and the whole exchange: AlexNet at N = 1024.
    @Test func gtsrbStandardFormatRunsThroughTheExchange() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("gtsrb/Final_Test/Images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var generator = Xoshiro256(seed: 31)
        var csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
        for i in 0..<8 {
            let (width, height) = (30 + 3 * i, 41 - 2 * i)
            let image = RGBImage(
                width: width, height: height,
                pixels: (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            let name = String(format: "%05d.ppm", i)
            try Data(PPM.encode(image)).write(to: images.appendingPathComponent(name))
            csv += "\(name);\(width);\(height);1;1;\(width - 2);\(height - 2);\(i * 5)\n"
        }
        try Data(csv.utf8).write(to: images.appendingPathComponent("GT-final_test.csv"))
        let loaded = try Dataset.gtsrb.load(.test, root: dir.appendingPathComponent("gtsrb"))
        #expect(loaded.count == 4 && loaded.channels == 3 && loaded.height == 32 && loaded.width == 32)
        let modelURL = dir.appendingPathComponent("model.safetensors")
        try Data(Self.model(.alexNetGTSRB, seed: 12).fileBytes()).write(to: modelURL)
        let report = try ExchangeRun.run(
            modelURL: modelURL, selection: try SelectedNeurons([1: [4], 2: [30]]), images: loaded,
            parameters: try Self.context().parameters, security: .none, normalization: Dataset.gtsrb.normalization)
        #expect(report.images == 4)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
    }

    /// TinyImageNet in its distributed layout (`train/<wnid>/images/*.JPEG`, `val/images` with
    /// `val_annotations.txt`), decoded by libjpeg, through the loader and the whole exchange: ResNet-18 at N = 1024,
    /// where the owner also decrypts the encrypted conv1 channels the residual shortcut reads.
    @Test func tinyImageNetStandardFormatRunsThroughTheExchange() throws {
        let dir = EncryptedProtocolTests.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("tiny-imagenet-200")
        let classes = ["n01443537", "n01629819"]
        var generator = Xoshiro256(seed: 41)
        func jpeg() throws -> Data {
            let image = RGBImage(
                width: 64, height: 64,
                pixels: (0..<(64 * 64 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            return Data(try JPEG.encode(image, quality: 90))
        }
        for wnid in classes {
            let folder = root.appendingPathComponent("train/\(wnid)/images")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try jpeg().write(to: folder.appendingPathComponent("\(wnid)_0.JPEG"))
        }
        let val = root.appendingPathComponent("val/images")
        try FileManager.default.createDirectory(at: val, withIntermediateDirectories: true)
        var annotations = ""
        for i in 0..<4 {
            try jpeg().write(to: val.appendingPathComponent("val_\(i).JPEG"))
            annotations += "val_\(i).JPEG\t\(classes[i % 2])\t0\t0\t63\t63\n"
        }
        try Data(annotations.utf8).write(to: root.appendingPathComponent("val/val_annotations.txt"))
        let loaded = try Dataset.tinyimagenet.load(.test, root: dir)
        #expect(loaded.count == 2 && loaded.channels == 3 && loaded.height == 64)
        let modelURL = dir.appendingPathComponent("model.safetensors")
        try Data(Self.model(.resNet18TinyImageNet, seed: 13).fileBytes()).write(to: modelURL)
        let report = try ExchangeRun.run(
            modelURL: modelURL, selection: try SelectedNeurons([1: [7], 2: [3]]), images: loaded,
            parameters: try Self.context().parameters, security: .none,
            normalization: Dataset.tinyimagenet.normalization)
        #expect(report.images == 2)
        #expect(report.agreement == 100)
        #expect(report.maxLogitDifference < 1e-2)
    }

    /// The geometry of each network as the original describes it (spec §3).
    @Test func geometriesOfTheFiveNetworks() throws {
        func geometry(_ a: Architecture) throws -> StageGeometry { try StageGeometry(model: Model(a, seed: 1)) }
        let lenet = try geometry(.lenet5MNIST)
        #expect(lenet.conv1Side == 12 && lenet.conv2Side == 4 && lenet.conv1Pooled && lenet.conv2Pooled)
        #expect(lenet.pairsAlignWithEvenColumns && lenet.foldsInputShift)
        let alex = try geometry(.alexNetGTSRB)
        #expect(alex.conv1Side == 15 && alex.conv2Side == 15 && alex.conv1Pooled && !alex.conv2Pooled)
        #expect(alex.conv1Taps == 75 && alex.conv2Plain.pairedTaps == 6 && !alex.foldsInputShift)
        let vgg = try geometry(.vgg16CIFAR10)
        #expect(
            vgg.conv1Side == 32 && vgg.conv2Side == 32 && !vgg.conv1Pooled && vgg.conv2Cipher.pairStarts.count == 34)
        let resnet = try geometry(.resNet18TinyImageNet)
        #expect(resnet.conv1Side == 64 && resnet.conv2Side == 64 && resnet.positions == 4096)
        #expect(try EncryptedStructure(Model(.resNet18TinyImageNet, seed: 1)).conv1Norm != nil)
    }
}
