/// conv1's source plane: the values each row of encrypted conv1 encodes, from the batch's input bytes.
extension UserEvaluator {
    /// The encoded source plane's values of one row for conv1: `count` images' values at (row, col) of input
    /// channel c, in the source plane's padded coordinates (2×2 means after a pool), or `nil` where every image's
    /// value is zero.
    func sourceValues(pixels: [UInt8], count: Int, channel c: Int, row: Int, col: Int) -> [Double]? {
        Self.sourceValues(
            geometry: geometry, inputShift: inputShift, pixels: pixels, count: count, channel: c, row: row, col: col)
    }

    /// ``sourceValues(pixels:count:channel:row:col:)`` for any geometry and input shift.
    static func sourceValues(
        geometry: StageGeometry, inputShift: [Double], pixels: [UInt8], count: Int, channel c: Int, row: Int, col: Int
    ) -> [Double]? {
        let side = geometry.inputSide, channels = geometry.inputChannels, p = geometry.conv1Padding
        let shift = inputShift[c]
        let reach = geometry.conv1Pooled ? 2 : 1
        // The input rows and columns this source value reads, clipped to the image (padding reads zero).
        let rows = Self.clipped(row - p, reach, side), cols = Self.clipped(col - p, reach, side)
        guard !rows.isEmpty, !cols.isEmpty else { return nil }
        let weight = geometry.conv1Pooled ? 0.25 : 1.0
        let taken = Double(rows.count * cols.count)
        var values = [Double](repeating: 0, count: count)
        var any = false
        let stride = channels * side * side, first = c * side * side + rows.lowerBound * side + cols.lowerBound
        pixels.withUnsafeBufferPointer { p in
            if rows.count == 2 && cols.count == 2 {
                // A whole 2×2 block (the common case): four reads, as the box form was first written.
                for b in 0..<count {
                    let at = b * stride + first
                    let sum = Int(p[at]) + Int(p[at + 1]) + Int(p[at + side]) + Int(p[at + side + 1])
                    let value = weight * (Double(sum) - taken * shift)
                    any = any || value != 0
                    values[b] = value
                }
                return
            }
            for b in 0..<count {
                var sum = 0
                for r in 0..<rows.count { for x in 0..<cols.count { sum += Int(p[b * stride + first + r * side + x]) } }
                let value = weight * (Double(sum) - taken * shift)
                any = any || value != 0
                values[b] = value
            }
        }
        return any ? values : nil
    }
}
