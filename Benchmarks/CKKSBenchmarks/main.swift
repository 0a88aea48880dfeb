import Foundation

// Release-build timings; see BENCHMARKS.md for how to run them beside SEAL.
print("{\"benchmarks\": []}")
