/// The geometry of one 2-D convolution or pooling window over an NCHW input.
@usableFromInline
struct ConvGeometry: Sendable, Equatable {
    @usableFromInline let channels: Int
    @usableFromInline let height: Int
    @usableFromInline let width: Int
    @usableFromInline let kernel: Int
    @usableFromInline let stride: Int
    @usableFromInline let padding: Int

    @inlinable var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    @inlinable var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    @inlinable var outPixels: Int { outHeight * outWidth }
    @inlinable var patch: Int { channels * kernel * kernel }
    @inlinable var inPixels: Int { height * width }

    @inlinable
    init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// Unfolds `images` consecutive images into `col`, a `patch × (images·outPixels)` row-major matrix whose
    /// column `n·outPixels + p` holds the receptive field of output pixel `p` of image `n` (zero padded).
    @inlinable
    func im2col(_ input: UnsafePointer<Float>, images: Int, into col: UnsafeMutablePointer<Float>) {
        let oh = outHeight, ow = outWidth, columns = images * outPixels
        for c in 0..<channels {
            for ki in 0..<kernel {
                for kj in 0..<kernel {
                    let row = col + ((c * kernel + ki) * kernel + kj) * columns
                    for n in 0..<images {
                        let plane = input + (n * channels + c) * inPixels
                        let dst = row + n * outPixels
                        for oy in 0..<oh {
                            let iy = oy * stride - padding + ki
                            let line = dst + oy * ow
                            if iy < 0 || iy >= height {
                                for ox in 0..<ow { line[ox] = 0 }
                                continue
                            }
                            let src = plane + iy * width
                            if stride == 1 {
                                // Contiguous run: zero the padded ends, copy the middle. Runs are short (8–32
                                // floats), so plain loops beat memcpy/memset calls.
                                let lo = min(ow, max(0, padding - kj)), hi = max(lo, min(ow, width + padding - kj))
                                let from = src + (kj - padding)
                                for ox in 0..<lo { line[ox] = 0 }
                                for ox in lo..<hi { line[ox] = from[ox] }
                                for ox in hi..<ow { line[ox] = 0 }
                            } else {
                                for ox in 0..<ow {
                                    let ix = ox * stride - padding + kj
                                    line[ox] = (ix >= 0 && ix < width) ? src[ix] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Folds a `patch × (images·outPixels)` column matrix back onto `images` NCHW images, adding overlaps
    /// (the adjoint of ``im2col(_:images:into:)``).
    ///
    /// `output` must be zeroed or hold values to add to.
    @inlinable
    func col2im(_ col: UnsafePointer<Float>, images: Int, into output: UnsafeMutablePointer<Float>) {
        let oh = outHeight, ow = outWidth, columns = images * outPixels
        for c in 0..<channels {
            for ki in 0..<kernel {
                for kj in 0..<kernel {
                    let row = col + ((c * kernel + ki) * kernel + kj) * columns
                    for n in 0..<images {
                        let plane = output + (n * channels + c) * inPixels
                        let srcRow = row + n * outPixels
                        for oy in 0..<oh {
                            let iy = oy * stride - padding + ki
                            if iy < 0 || iy >= height { continue }
                            let line = srcRow + oy * ow
                            let dst = plane + iy * width
                            if stride == 1 {
                                // The in-bounds run, as in im2col, without a bounds test per element.
                                let lo = min(ow, max(0, padding - kj)), hi = max(lo, min(ow, width + padding - kj))
                                let to = dst + (kj - padding)
                                for ox in lo..<hi { to[ox] += line[ox] }
                                continue
                            }
                            for ox in 0..<ow {
                                let ix = ox * stride - padding + kj
                                if ix >= 0 && ix < width { dst[ix] += line[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}
