import Foundation

// Release-build timings as JSON lines; see BENCHMARKS.md for running them beside SEAL and PyTorch.
// Each file adds its group here.
let groups: [any BenchmarkGroup.Type] = [
    NTTBenchmarks.self,
    CKKSBenchmarks.self,
    RotateHoistedBenchmarks.self,
    NNBenchmarks.self,
    SelectionBenchmarks.self,
]
exit(Harness.main(groups: groups, arguments: CommandLine.arguments))
