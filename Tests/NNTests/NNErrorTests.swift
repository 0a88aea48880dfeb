import NN
import Testing

@Test func shapeErrorMessage() {
    #expect(NNError.shapeMismatch("conv1.weight").description.contains("conv1.weight"))
}
