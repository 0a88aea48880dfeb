import NN
import TestSupport
import Testing

/// Seeded LeNet-5 training on a few hundred real MNIST images.
@Suite struct TrainingSmokeTests {
    /// 512 training images, 10 epochs of Adam at 3e-3 with batch 32: the model must reach 80% on 1,000 real
    /// held-out test images (chance is 10%), the loss must halve, and the run must be reproducible bit for bit.
    @Test func lenet5LearnsRealMNIST() throws {
        let root = RepositoryPaths.data.appendingPathComponent("mnist")
        let train = try Dataset.mnist.loadOfficial(train: true, root: root)
        let test = try Dataset.mnist.loadOfficial(train: false, root: root)
        let images = train.tensor(0..<512), labels = Array(train.intLabels[0..<512])
        let testImages = test.tensor(0..<1000), testLabels = Array(test.intLabels[0..<1000])
        func run() -> (Model, [EpochReport]) {
            let model = Model(.lenet5MNIST, seed: 42)
            let recipe = TrainingRecipe(optimizer: .adam, learningRate: 3e-3, momentum: 0, epochs: 10, batchSize: 32)
            let trainer = Trainer(model: model, recipe: recipe, seed: 42)
            let reports = (0..<recipe.epochs).map { trainer.trainEpoch($0, images: images, labels: labels) }
            return (model, reports)
        }
        let (model, reports) = run()
        let accuracy = try model.evaluate(images: testImages, labels: testLabels).accuracy
        #expect(reports.last?.loss ?? 9 < reports[0].loss / 2, "loss \(reports.map(\.loss))")
        #expect(accuracy > 80, "held-out accuracy \(accuracy)%")
        let (again, _) = run()
        #expect(again.logits(testImages.items(0..<10)) == model.logits(testImages.items(0..<10)))
    }

    /// The shift augmentation turns each image into a zero-filled translation of itself by at most 2 pixels.
    @Test func shiftAugmentationTranslates() throws {
        let root = RepositoryPaths.data.appendingPathComponent("mnist")
        let images = try Dataset.mnist.loadOfficial(train: true, root: root).tensor(0..<8)
        var batch = images.items(0..<8)
        var generator = Xoshiro256(seed: 3)
        BatchAugmentation.randomShift(maxPixels: 2).apply(to: &batch, generator: &generator)
        for i in 0..<8 {
            let before = images.items(i..<(i + 1)).data, after = batch.items(i..<(i + 1)).data
            let offsets = (-2...2).flatMap { dy in (-2...2).map { dx in (dx, dy) } }
            let matches = offsets.contains { dx, dy in
                (0..<28).allSatisfy { y in
                    (0..<28).allSatisfy { x in
                        let sy = y - dy, sx = x - dx
                        let expected: Float = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? before[sy * 28 + sx] : 0
                        return after[y * 28 + x] == expected
                    }
                }
            }
            #expect(matches, "image \(i) is not a ±2 px translation of itself")
        }
        #expect(batch != images.items(0..<8))
    }

    /// Optimiser steps and the schedule against hand-computed PyTorch updates.
    @Test func optimizerAndScheduleKnownAnswers() {
        func parameter() -> Parameter {
            let p = Parameter(Tensor(shape: [2], data: [1, 2]))
            p.grad = Tensor(shape: [2], data: [0.5, -1])
            return p
        }
        // SGD, momentum 0.9: buf = g, then 0.9·g + g = 1.9·g.
        let s = parameter()
        let sgd = SGD([s], learningRate: 0.1, momentum: 0.9)
        sgd.step()
        #expect(abs(s.value.data[0] - 0.95) < 1e-6 && abs(s.value.data[1] - 2.1) < 1e-6)
        sgd.step()
        #expect(abs(s.value.data[0] - 0.855) < 1e-6 && abs(s.value.data[1] - 2.29) < 1e-6)
        // Adam with a constant gradient: bias-corrected m̂ = g and v̂ = g², so each step moves lr·sign(g).
        let a = parameter()
        let adam = Adam([a], learningRate: 0.1)
        adam.step()
        adam.step()
        #expect(abs(a.value.data[0] - 0.8) < 1e-5 && abs(a.value.data[1] - 2.2) < 1e-5)
        adam.zeroGrad()
        #expect(a.grad.data == [0, 0])
        let cosine = CosineAnnealing(initial: 1e-3, periodEpochs: 128)
        #expect(cosine.learningRate(epoch: 0) == 1e-3)
        #expect(abs(cosine.learningRate(epoch: 64) - 5e-4) < 1e-9)
        #expect(cosine.learningRate(epoch: 128) < 1e-12)
    }
}
