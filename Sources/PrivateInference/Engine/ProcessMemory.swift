import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide allocator setting for the encrypted pipeline.
public enum ProcessMemory {
    /// Makes every thread allocate from glibc's one main heap (`M_ARENA_MAX` = 1) and keeps freed memory
    /// there for reuse (`M_MMAP_THRESHOLD` 32 MiB, `M_TRIM_THRESHOLD` off).
    ///
    /// The pipeline allocates and frees hundreds of 0.25–1 MiB word buffers on every worker thread; with one
    /// arena per thread, buffers freed in one arena cannot serve another thread, and the resident set grows
    /// by tens of MiB of free chunks ((1,1) exchange: 288 → 249 MiB peak, with fewer page faults). Call it at
    /// process start, before any worker thread allocates; elsewhere (not glibc) it does nothing.
    ///
    /// Without the thresholds, glibc serves each 1 MiB buffer with its own `mmap` and unmaps it on free (the
    /// dynamic threshold only rises to the largest size freed so far), so every buffer's pages are faulted in
    /// and zeroed by the kernel again: ~170k minor faults and 0.6 s of system time per (1,1) exchange, against
    /// ~60k and 0.4 s when freed buffers stay in the heap. The peak resident set is unchanged.
    public static func useOneHeap() {
        #if canImport(Glibc)
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            // malloc.h constants, which the Glibc module does not export.
            let mArenaMax: Int32 = -8, mTrimThreshold: Int32 = -1, mMmapThreshold: Int32 = -3
            guard let symbol = dlsym(nil, "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(mArenaMax, 1)
            _ = mallopt(mMmapThreshold, 32 << 20)  // glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)
            _ = mallopt(mTrimThreshold, Int32.max)
        #endif
    }

    /// Returns the heap's free memory to the system (`malloc_trim(0)`), once one party's work is done in a process that
    /// plays both (the exchange run, the demo): otherwise the owner's freed packaging buffers stay resident under
    /// ``useOneHeap()`` and count towards the user's peak.
    ///
    /// Does nothing where unsupported.
    public static func releaseFreeMemory() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(nil, "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// CPU seconds the process has used so far, on every thread (`CLOCK_PROCESS_CPUTIME_ID`).
    public static func cpuSeconds() -> Double {
        var spec = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec) == 0 else { return 0 }
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
