import NN
import Testing

/// Seeded LeNet-5 training on a few hundred real MNIST images.
@Suite struct TrainingSmokeTests {
    /// 512 training images, 10 epochs of Adam at 3e-3 with batch 32: the model must generalise to real held-out
    /// test images well above chance (10%), and the run must be reproducible bit for bit.
    @Test func lenet5LearnsRealMNIST() throws {
        let train = try MNISTFixture.load("train", count: 512)
        let test = try MNISTFixture.load("t10k", count: 1000)
        func run() throws -> (Model, [EpochReport]) {
            let model = Model(.lenet5MNIST, seed: 42)
            let recipe = TrainingRecipe(optimizer: .adam, learningRate: 3e-3, momentum: 0, epochs: 10, batchSize: 32)
            let trainer = Trainer(model: model, recipe: recipe, seed: 42)
            let reports = (0..<recipe.epochs).map { trainer.trainEpoch($0, images: train.images, labels: train.labels) }
            return (model, reports)
        }
        let (model, reports) = try run()
        let accuracy = try model.evaluate(images: test.images, labels: test.labels).accuracy
        #expect(reports.last?.loss ?? 9 < reports[0].loss / 2, "loss \(reports.map(\.loss))")
        #expect(accuracy > 80, "held-out accuracy \(accuracy)%")
        let (again, _) = try run()
        #expect(again.logits(test.images.items(0..<10)) == model.logits(test.images.items(0..<10)))
    }
}
