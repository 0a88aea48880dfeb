import Foundation

/// The encrypted ("core") neurons of a model: for each conv layer (numbered from 1), the filter indices (from 0).
///
/// Coded as PrivDNN's `selected_neurons.json`, `{"1": [4], "2": [8, 11]}`: keys are layer numbers as strings,
/// values are filter indices. Indices are kept sorted and unique here (the original kept selection order, which no
/// computation depends on). Layers absent from the map, or present with `[]`, have nothing selected.
public struct SelectedNeurons: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Layer number (1-based) → sorted, unique filter indices.
    public private(set) var layers: [Int: [Int]]

    /// Creates a selection, sorting each layer's indices.
    ///
    /// - Throws: ``NNError.invalidSelection(_:)`` for a layer number below 1, a negative index or a repeated index.
    public init(_ layers: [Int: [Int]] = [:]) throws {
        var clean: [Int: [Int]] = [:]
        for (layer, filters) in layers {
            guard layer >= 1 else {
                throw NNError.invalidSelection("selection layer \(layer): layers are numbered from 1")
            }
            let sorted = filters.sorted()
            if let negative = sorted.first, negative < 0 {
                throw NNError.invalidSelection("selection layer \(layer): negative filter index \(negative)")
            }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a == b {
                throw NNError.invalidSelection("selection layer \(layer): filter \(a) listed twice")
            }
            clean[layer] = sorted
        }
        self.layers = clean
    }

    /// Wraps lists already known to be sorted, unique and non-negative (enumeration fast path).
    init(validated layers: [Int: [Int]]) {
        self.layers = layers
    }

    /// The selected filters of `layer` (empty when none).
    public subscript(layer: Int) -> [Int] { layers[layer] ?? [] }

    /// The layer numbers present, ascending (including layers listed with no filter).
    public var layerNumbers: [Int] { layers.keys.sorted() }

    /// The layers that have at least one selected filter, ascending.
    public var selectedLayers: [Int] { layers.filter { !$0.value.isEmpty }.keys.sorted() }

    /// Total number of selected filters over all layers.
    public var count: Int { layers.values.reduce(0) { $0 + $1.count } }

    /// Whether `filter` of `layer` is selected.
    public func contains(layer: Int, filter: Int) -> Bool {
        self[layer].contains(filter)
    }

    /// This selection with `filters` added to `layer`.
    ///
    /// - Throws: ``NNError.invalidSelection(_:)`` if a filter is already selected or negative.
    public func adding(_ filters: [Int], toLayer layer: Int) throws -> SelectedNeurons {
        var copy = layers
        copy[layer, default: []] += filters
        return try SelectedNeurons(copy)
    }

    /// Checks every layer and index against the model's conv layer widths.
    ///
    /// - Parameter layerSizes: output filters per encryptable layer; `layerSizes[0]` is layer 1's.
    /// - Throws: ``NNError.invalidSelection(_:)`` naming the first layer that does not exist or index out of range.
    public func validate(layerSizes: [Int]) throws {
        for layer in layerNumbers {
            guard layer <= layerSizes.count else {
                throw NNError.invalidSelection(
                    "selection layer \(layer): the model has \(layerSizes.count) selectable layers")
            }
            if let last = self[layer].last, last >= layerSizes[layer - 1] {
                throw NNError.invalidSelection(
                    "selection layer \(layer): filter \(last) outside 0..<\(layerSizes[layer - 1])")
            }
        }
    }

    /// PrivDNN's JSON text, `{"1": [4], "2": [8, 11]}` (Python `json.dump` spacing, layers ascending).
    public var jsonString: String {
        let body = layerNumbers.map { layer in
            "\"\(layer)\": [\(self[layer].map(String.init).joined(separator: ", "))]"
        }
        return "{" + body.joined(separator: ", ") + "}"
    }

    /// Same as ``jsonString``.
    public var description: String { jsonString }

    /// Reads a selection file.
    ///
    /// - Throws: ``DataFileError`` naming the file when it is missing, is not JSON of this shape, or fails
    ///   ``init(_:)``'s checks.
    public init(contentsOf url: URL) throws {
        let bytes = try FileBytes.read(url)
        do {
            self = try JSONDecoder().decode(SelectedNeurons.self, from: Data(bytes))
        } catch let error as NNError {
            throw DataFileError(file: url.path, problem: error.description)
        } catch {
            throw DataFileError(
                file: url.path, problem: "not a selection file (expected {\"<layer>\": [<filter>, …], …})")
        }
    }

    /// Writes ``jsonString`` (plus a newline) to `url` atomically.
    ///
    /// - Throws: ``DataFileError`` if the file cannot be written.
    public func write(to url: URL) throws {
        try FileBytes.write(Array((jsonString + "\n").utf8), to: url)
    }

    private struct LayerKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes `{"<layer>": [<filter>, …]}`.
    ///
    /// - Throws: `DecodingError` for keys that are not positive integers, ``NNError`` for bad indices.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: LayerKey.self)
        var layers: [Int: [Int]] = [:]
        for key in container.allKeys {
            guard let layer = Int(key.stringValue) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "layer key '\(key.stringValue)' is not a number")
            }
            layers[layer] = try container.decode([Int].self, forKey: key)
        }
        try self.init(layers)
    }

    /// Encodes as `{"<layer>": [<filter>, …]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: LayerKey.self)
        for layer in layerNumbers {
            try container.encode(self[layer], forKey: LayerKey(stringValue: String(layer)))
        }
    }
}
