#!/usr/bin/env bash
# Times the Swift NTT (release build) and SEAL's (seal-python 4.4.0) in the same session and prints the
# per-limb ratios Swift / SEAL for a size-2 ciphertext at the first data level.
# Usage: Benchmarks/run_ntt.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
quick=()
if [[ "${1:-}" == "--quick" ]]; then quick=(--quick); fi
# OpenBLAS (linked through NN) starts spinning worker threads at load time; keep it to one so it does not
# steal the core the benchmark runs on.
export OPENBLAS_NUM_THREADS=1
# Touch the benchmark sources so the executable re-inlines the current @inlinable NTT kernels (an
# incremental build may otherwise keep stale inlined copies).
touch Benchmarks/CKKSBenchmarks/*.swift
swift build -c release --product CKKSBenchmarks >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
.build/release/CKKSBenchmarks --filter "/ NTT /" "${quick[@]}" | tee "$out/swift.jsonl" >&2
python3 Benchmarks/seal_ntt.py "${quick[@]}" | tee "$out/seal.jsonl" >&2
python3 - "$out/swift.jsonl" "$out/seal.jsonl" <<'PY'
import json, sys
swift = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
seal = {r["name"]: r for r in map(json.loads, open(sys.argv[2]))}
print(f"{'benchmark':<52} {'Swift ns/limb':>14} {'SEAL ns/limb':>13} {'ratio':>6}")
for name, s in seal.items():
    mine = swift.get(name)
    if mine is None:
        continue
    a, b = mine["median_ns_per_unit"], s["median_ns_per_unit"]
    print(f"{name:<52} {a:>14.0f} {b:>13.0f} {a / b:>6.2f}")
    one = swift.get(name.replace("ciphertext", "one limb"))
    if one is not None:
        print(f"{'  (Swift, one limb alone)':<52} {one['median_ns']:>14.0f}")
PY
