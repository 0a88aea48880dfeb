#!/usr/bin/env bash
# Times the rotation of one ciphertext by k steps (k = 1, 4, 8, 16): Swift's hoisted call on both cores and
# pinned to one (taskset -c 0), Swift's k rotateVector calls, and SEAL's k rotate_vector calls (seal-python
# 4.4.0, one thread), alternating per (set, k) so all four see the same load. Prints a Markdown table of the
# fastest samples (steadier under load than medians) with the medians beside them, and the ratios.
# Usage: Benchmarks/run_rotate_hoisted.sh [--quick]     (--quick: N = 8192 only, 3 samples)
set -euo pipefail
cd "$(dirname "$0")/.."
sets=("n=8192" "n=16384")
samples=10
if [[ "${1:-}" == "--quick" ]]; then sets=("n=8192"); samples=3; fi
export OPENBLAS_NUM_THREADS=1
# A build without -enable-testing, apart from the test build in .build.
touch Benchmarks/CKKSBenchmarks/*.swift
swift build -c release --build-path .build-bench --product CKKSBenchmarks >&2
bench=.build-bench/release/CKKSBenchmarks
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
sampling=(--samples "$samples" --min-time 0.000001)
for set in "${sets[@]}"; do
  for k in 1 4 8 16; do
    "$bench" --filter "$set " --filter "/ Rotations x$k hoisted" "${sampling[@]}" | tee -a "$out/swift.jsonl" >&2
    taskset -c 0 "$bench" --filter "$set " --filter "/ Rotations x$k hoisted" "${sampling[@]}" \
      | sed 's/ hoisted"/ hoisted, 1 core"/' | tee -a "$out/swift.jsonl" >&2
    "$bench" --filter "$set " --filter "/ Rotations x$k single" "${sampling[@]}" | tee -a "$out/swift.jsonl" >&2
    python3 Benchmarks/seal_ckks.py --filter "$set / log(q)" --filter "/ Rotations x$k single" \
      | tee -a "$out/seal.jsonl" >&2
  done
done
python3 - "$out/swift.jsonl" "$out/seal.jsonl" <<'PY'
import json, sys
swift = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
seal = {r["name"]: r for r in map(json.loads, open(sys.argv[2]))}
def cell(r):
    return f"{r['min_ns'] / 1e6:.2f} ({r['median_ns'] / 1e6:.2f})"
print("| ring | k | SEAL k × rotate_vector | Swift k × rotateVector | Swift hoisted, 2 cores | Swift hoisted, 1 core"
      " | SEAL / hoisted 2 cores | SEAL / hoisted 1 core | single / hoisted 1 core |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, s in seal.items():
    single = swift.get(name)
    two = swift.get(name.replace(" single", " hoisted"))
    one = swift.get(name.replace(" single", " hoisted, 1 core"))
    if not (single and two and one):
        continue
    ring = name.split(" / CKKS")[0]
    k = name.split("Rotations x")[1].split()[0]
    print(f"| {ring} | {k} | {cell(s)} | {cell(single)} | {cell(two)} | {cell(one)} | "
          f"{s['min_ns'] / two['min_ns']:.2f} | {s['min_ns'] / one['min_ns']:.2f} | "
          f"{single['min_ns'] / one['min_ns']:.2f} |")
PY
