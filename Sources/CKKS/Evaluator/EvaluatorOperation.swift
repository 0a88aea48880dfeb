/// The evaluator operations by their command-line names.
///
/// One entry point checks which operands each needs. The `privdnn ckks eval` command and the vector tests dispatch
/// through it.
package enum EvaluatorOperation: String, CaseIterable, Sendable {
    /// ``Evaluator/add(_:_:)``.
    case add
    /// ``Evaluator/sub(_:_:)``.
    case sub
    /// ``Evaluator/negate(_:)``.
    case negate
    /// ``Evaluator/multiply(_:_:)``.
    case multiply
    /// ``Evaluator/square(_:)``.
    case square
    /// ``Evaluator/relinearize(_:relinKeys:)``.
    case relinearize
    /// ``Evaluator/rescaleToNext(_:)``.
    case rescale
    /// ``Evaluator/modSwitchToNext(_:)-(Ciphertext)``.
    case modSwitch = "mod-switch"
    /// ``Evaluator/multiplyPlain(_:_:)``.
    case multiplyPlain = "multiply-plain"
    /// ``Evaluator/addPlain(_:_:)``.
    case addPlain = "add-plain"
    /// ``Evaluator/subPlain(_:_:)``.
    case subPlain = "sub-plain"
    /// ``Evaluator/rotateVector(_:steps:galoisKeys:)``.
    case rotate
    /// ``Evaluator/complexConjugate(_:galoisKeys:)``.
    case conjugate

    /// How many ciphertext operands the operation takes (1 or 2).
    package var ciphertextCount: Int {
        switch self {
        case .add, .sub, .multiply: 2
        default: 1
        }
    }

    /// Whether the operation takes a plaintext operand.
    package var needsPlaintext: Bool { self == .multiplyPlain || self == .addPlain || self == .subPlain }

    /// The operands of one operation; which are required depends on the operation.
    package struct Operands: Sendable {
        /// One or two ciphertexts.
        package var ciphertexts: [Ciphertext]
        /// The plaintext of the `-plain` operations.
        package var plain: Plaintext?
        /// Relinearization keys for `relinearize`.
        package var relinKeys: RelinKeys?
        /// Galois keys for `rotate` and `conjugate`.
        package var galoisKeys: GaloisKeys?
        /// The rotation step for `rotate`.
        package var steps: Int?

        /// Operands for an operation.
        /// - Parameters:
        ///   - ciphertexts: one or two ciphertexts.
        ///   - plain: the plaintext operand, if any.
        ///   - relinKeys: relinearization keys, if any.
        ///   - galoisKeys: Galois keys, if any.
        ///   - steps: the rotation step, if any.
        package init(
            ciphertexts: [Ciphertext], plain: Plaintext? = nil, relinKeys: RelinKeys? = nil,
            galoisKeys: GaloisKeys? = nil, steps: Int? = nil
        ) {
            self.ciphertexts = ciphertexts
            self.plain = plain
            self.relinKeys = relinKeys
            self.galoisKeys = galoisKeys
            self.steps = steps
        }
    }

    /// Runs the operation.
    /// - Parameters:
    ///   - evaluator: the evaluator to use.
    ///   - operands: the inputs.
    /// - Returns: the result ciphertext.
    /// - Throws: ``CKKSError/invalidArgument(_:)`` naming a missing operand, or what the operation throws.
    package func apply(_ evaluator: Evaluator, _ operands: Operands) throws -> Ciphertext {
        guard operands.ciphertexts.count == ciphertextCount else {
            throw CKKSError.invalidArgument(
                "\(rawValue) takes \(ciphertextCount) ciphertext(s), got \(operands.ciphertexts.count)")
        }
        let a = operands.ciphertexts[0]
        func required<T>(_ value: T?, _ what: String) throws -> T {
            guard let value else { throw CKKSError.invalidArgument("\(rawValue) needs \(what)") }
            return value
        }
        switch self {
        case .add: return try evaluator.add(a, operands.ciphertexts[1])
        case .sub: return try evaluator.sub(a, operands.ciphertexts[1])
        case .negate: return try evaluator.negate(a)
        case .multiply: return try evaluator.multiply(a, operands.ciphertexts[1])
        case .square: return try evaluator.square(a)
        case .relinearize:
            return try evaluator.relinearize(a, relinKeys: required(operands.relinKeys, "relinearization keys"))
        case .rescale: return try evaluator.rescaleToNext(a)
        case .modSwitch: return try evaluator.modSwitchToNext(a)
        case .multiplyPlain: return try evaluator.multiplyPlain(a, required(operands.plain, "a plaintext"))
        case .addPlain: return try evaluator.addPlain(a, required(operands.plain, "a plaintext"))
        case .subPlain: return try evaluator.subPlain(a, required(operands.plain, "a plaintext"))
        case .rotate:
            return try evaluator.rotateVector(
                a, steps: required(operands.steps, "a rotation step"),
                galoisKeys: required(operands.galoisKeys, "Galois keys"))
        case .conjugate:
            return try evaluator.complexConjugate(a, galoisKeys: required(operands.galoisKeys, "Galois keys"))
        }
    }
}
