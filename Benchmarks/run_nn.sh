#!/usr/bin/env bash
# Times LeNet5-MNIST in Swift (release build, both cores) and in PyTorch CPU (pip package `torch`) in the same
# session on real MNIST, and prints the Swift / PyTorch time ratios.
# Usage: Benchmarks/run_nn.sh [--quick] [--model models/lenet5-mnist.safetensors]
set -euo pipefail
cd "$(dirname "$0")/.."
quick=()
model=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=(--quick); shift ;;
        --model) model=(--model "$2"); shift 2 ;;
        *) echo "usage: $0 [--quick] [--model FILE]" >&2; exit 2 ;;
    esac
done
# The NN kernels split batches over the cores themselves and call OpenBLAS single-threaded.
export OPENBLAS_NUM_THREADS=1
swift build -c release --product CKKSBenchmarks >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
.build/release/CKKSBenchmarks --filter "LeNet5" --samples 3 "${quick[@]}" | tee "$out/swift.jsonl" >&2
# PyTorch at 1 thread and at every core: its OpenMP threads spin-wait and collapse on a busy machine, so the
# table compares against the faster of the two for each benchmark.
python3 Benchmarks/torch_lenet5.py --threads 1 "${quick[@]}" | tee "$out/torch.jsonl" >&2
python3 Benchmarks/torch_lenet5.py --threads "$(nproc)" "${quick[@]}" "${model[@]}" | tee -a "$out/torch.jsonl" >&2
python3 - "$out/swift.jsonl" "$out/torch.jsonl" <<'PY'
import json, sys
swift = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
torch = {}
for r in map(json.loads, open(sys.argv[2])):
    if "median_ns" in r and (r["name"] not in torch or r["median_ns"] < torch[r["name"]]["median_ns"]):
        torch[r["name"]] = r
print(f"{'benchmark':<66} {'Swift ms':>9} {'PyTorch ms':>11} {'threads':>7} {'ratio':>6}")
for name, t in torch.items():
    mine = swift.get(name)
    if mine is None:
        continue
    a, b = mine["median_ns"] / 1e6, t["median_ns"] / 1e6
    print(f"{name:<66} {a:>9.1f} {b:>11.1f} {t['threads']:>7} {a / b:>6.2f}")
PY
