#!/usr/bin/env bash
# Times the Swift CKKS operations (release build) and SEAL's (seal-python 4.4.0) in the same session, one
# operation at a time and alternating the two libraries (the machine is shared, so this keeps both under the
# same load), and prints the ratios Swift / SEAL of the medians and of the fastest samples (on a loaded
# machine the minimum is the steadier estimate).
# Usage: Benchmarks/run_ckks.sh [--quick]     (--quick: N = 8192 only, fewer samples)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=()
sets=("n=8192" "n=16384")
# One call per sample, as seal_ckks.py times SEAL: on a shared machine a 20 ms batch is almost always preempted
# somewhere, a single ~1 ms call often is not, so only equal sampling makes the two minimums comparable.
swift_sampling=(--samples 30 --min-time 0.000001)
if [[ "${1:-}" == "--quick" ]]; then quick=(--quick); sets=("n=8192"); swift_sampling=(--min-time 0.000001); fi
export OPENBLAS_NUM_THREADS=1
touch Benchmarks/CKKSBenchmarks/*.swift
swift build -c release --product CKKSBenchmarks >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
ops=(Encode EncryptPublic EncryptSymmetric DecryptDecode Add MultiplyPlain Multiply Relinearize Rescale Rotate)
for set in "${sets[@]}"; do
  for op in "${ops[@]}"; do
    .build/release/CKKSBenchmarks --filter "$set " --filter "/ CKKS / $op" "${quick[@]}" "${swift_sampling[@]}" | tee -a "$out/swift.jsonl" >&2
    python3 Benchmarks/seal_ckks.py --filter "$set / log(q)" --filter "/ CKKS / $op" "${quick[@]}" | tee -a "$out/seal.jsonl" >&2
  done
done
python3 - "$out/swift.jsonl" "$out/seal.jsonl" <<'PY'
import json, sys
swift = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
seal = {r["name"]: r for r in map(json.loads, open(sys.argv[2]))}
print("| benchmark | Swift median µs | SEAL median µs | ratio | Swift min µs | SEAL min µs | ratio of mins |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, s in seal.items():
    mine = swift.get(name)
    if mine is None:
        continue
    a, b = mine["median_ns"] / 1000, s["median_ns"] / 1000
    c, d = mine["min_ns"] / 1000, s["min_ns"] / 1000
    print(f"| {name} | {a:.0f} | {b:.0f} | {a / b:.2f} | {c:.0f} | {d:.0f} | {c / d:.2f} |")
PY
