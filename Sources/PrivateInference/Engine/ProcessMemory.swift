import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide allocator setting for the encrypted pipeline.
public enum ProcessMemory {
    /// Makes every thread allocate from glibc's one main heap (`M_ARENA_MAX` = 1).
    ///
    /// The pipeline allocates and frees hundreds of 0.25–1 MiB word buffers on every worker thread; with one
    /// arena per thread, buffers freed in one arena cannot serve another thread, and the resident set grows
    /// by tens of MiB of free chunks ((1,1) exchange: 288 → 249 MiB peak, with fewer page faults). Call it at
    /// process start, before any worker thread allocates; elsewhere (not glibc) it does nothing.
    public static func useOneHeap() {
        #if canImport(Glibc)
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mArenaMax: Int32 = -8  // malloc.h M_ARENA_MAX, which the Glibc module does not export
            guard let symbol = dlsym(nil, "mallopt") else { return }
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mArenaMax, 1)
        #endif
    }
}
