/// Where the user of the one-image data-encrypted baseline puts its image in the slots, so that the owner's conv1
/// is a few ct⊙pt products and three rotations (the "convolution representation" of LoLa).
///
/// conv1's output vector (channel-major, `channels · positions` values, L for short) is laid out periodically with
/// period P, the power of two ≥ L, as ``SlotMatrix`` reads its inputs. The N/2 slots hold N/(2P) **blocks** of P
/// slots; block b of input ciphertext j stands for conv1 tap τ = j · blocks + b, and its slot r < L (output channel
/// f, position p) holds the value that tap reads for position p — the user knows its image, so every shifted copy
/// is free. The owner multiplies ciphertext j by the plaintext whose slot r of block b is filter f's weight for tap
/// τ, sums the products of all ciphertexts, and folds the blocks (log₂(blocks) rotate-and-add steps by P, 2P, …):
/// every block then holds Σ_τ w[f][τ] · x_τ[p], conv1's output, in exactly the layout the next layer reads.
/// Taps beyond the kernel and slots r ≥ L are zero on both sides.
struct TapBlockLayout: Sendable, Equatable {
    let geometry: StageGeometry
    /// N/2.
    let slots: Int
    /// P: the period of conv1's output.
    let period: Int
    /// conv1's outputs: channels × positions.
    let outputs: Int
    /// conv1's taps per filter (input channels × window²).
    let taps: Int

    /// - Throws: ``InferenceError`` when conv1's outputs do not fit the slots.
    init(geometry: StageGeometry, slots: Int) throws {
        let positions = geometry.conv1Side * geometry.conv1Side
        outputs = geometry.conv1Channels * positions
        period = SlotMatrix.period(outputs)
        guard period <= slots else {
            throw InferenceError.invalidArgument("conv1's \(outputs) outputs do not fit \(slots) slots")
        }
        self.geometry = geometry
        self.slots = slots
        taps = geometry.inputChannels * geometry.conv1.window * geometry.conv1.window
    }

    /// Blocks of P slots per ciphertext.
    var blocks: Int { slots / period }

    /// Ciphertexts the user sends per image.
    var ciphertexts: Int { (taps + blocks - 1) / blocks }

    /// The fold steps P, 2P, … < N/2.
    var foldSteps: [Int] { Array(sequence(first: period, next: { $0 * 2 }).prefix { $0 < slots }) }

    /// What slot s of ciphertext j stands for: conv1 tap τ (input channel, row and column offsets in the window),
    /// output channel f and position p; nil for an empty slot.
    func term(ciphertext j: Int, slot s: Int) -> (channel: Int, dy: Int, dx: Int, filter: Int, position: Int)? {
        let tap = j * blocks + s / period, r = s % period
        guard tap < taps, r < outputs else { return nil }
        let window = geometry.conv1.window, positions = outputs / geometry.conv1Channels
        return (tap / (window * window), tap % (window * window) / window, tap % window, r / positions, r % positions)
    }
}
