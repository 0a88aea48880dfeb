import Foundation

/// Random geometric changes applied to each training batch as a tensor (not part of the original MNIST recipe;
/// see `models/README.md`).
///
/// The spec's own per-epoch flips and grayscale are ``Augmentation``, on 8-bit images.
public enum BatchAugmentation: Sendable, Equatable, Codable {
    /// Images are used as they are (the original recipe: ToTensor only).
    case none
    /// Each image is translated by a uniform random offset in `-maxPixels...maxPixels` per axis, zero filled.
    case randomShift(maxPixels: Int)
    /// Each image is rotated by up to ±`degrees`, scaled by a factor in `1 ± scale` and shifted by up to
    /// ±`shift` pixels per axis about its centre, with bilinear sampling and zero fill.
    case randomAffine(degrees: Float, scale: Float, shift: Float)

    /// Applies the augmentation to a batch in place.
    /// - Parameters:
    ///   - batch: `[N, C, H, W]`.
    ///   - generator: the seeded stream for the random parameters.
    public func apply(to batch: inout Tensor, generator: inout Xoshiro256) {
        guard batch.rank == 4 else { return }
        let n = batch.shape[0]
        for i in 0..<n {
            switch self {
            case .none:
                return
            case .randomShift(let m):
                guard m > 0 else { return }
                let span = UInt64(2 * m + 1)
                let dy = Float(Int(generator.next(upperBound: span)) - m)
                let dx = Float(Int(generator.next(upperBound: span)) - m)
                warp(&batch, image: i, matrix: (1, 0, 0, 1), shift: (dx, dy))
            case .randomAffine(let degrees, let scale, let shift):
                let angle = generator.nextSymmetric(degrees) * .pi / 180
                let factor = 1 + generator.nextSymmetric(scale)
                let dx = generator.nextSymmetric(shift), dy = generator.nextSymmetric(shift)
                let c = Foundation.cos(angle) / factor, s = Foundation.sin(angle) / factor
                // Inverse map: output pixel → source pixel.
                warp(&batch, image: i, matrix: (c, s, -s, c), shift: (dx, dy))
            }
        }
    }

    /// Resamples image `image` of `batch`: output `(x, y)` reads source `M·(p − centre − shift) + centre`
    /// bilinearly, with zeros outside the image.
    private func warp(
        _ batch: inout Tensor, image: Int, matrix m: (Float, Float, Float, Float), shift: (Float, Float)
    ) {
        let c = batch.shape[1], h = batch.shape[2], w = batch.shape[3]
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        let base = image * c * h * w
        let source = Array(batch.data[base..<(base + c * h * w)])
        for y in 0..<h {
            for x in 0..<w {
                let px = Float(x) - cx - shift.0, py = Float(y) - cy - shift.1
                let sx = m.0 * px + m.1 * py + cx, sy = m.2 * px + m.3 * py + cy
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                for ch in 0..<c {
                    let plane = ch * h * w
                    func at(_ yy: Int, _ xx: Int) -> Float {
                        yy >= 0 && yy < h && xx >= 0 && xx < w ? source[plane + yy * w + xx] : 0
                    }
                    let top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
                    let bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
                    batch.data[base + plane + y * w + x] = top * (1 - fy) + bottom * fy
                }
            }
        }
    }
}
