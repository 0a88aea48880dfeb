#!/usr/bin/env bash
# The large networks' encrypted inference at given shares, on seeded random-initialised models and seeded random
# images of each data set's shape (time and memory do not depend on the weights or the pixels), then the
# time-versus-share chart beside the original's recorded times.
#   Benchmarks/run_networks.sh [CONFIG ...]      CONFIG = dataset:share:images, default the issue's nine runs
# Appends one JSON line per run to Benchmarks/InferenceBenchmarks/networks.jsonl and writes networks.svg there.
# Release build without -enable-testing, in its own build path; each run in its own process (peak RSS per run).
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/InferenceBenchmarks/networks.jsonl
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
    configs=(cifar10:10:5000 gtsrb:10:6315 tinyimagenet:10:2500 cifar10:50:5000 gtsrb:50:6315 tinyimagenet:50:2500
             cifar10:100:5000 gtsrb:100:6315 tinyimagenet:100:2500)
fi
swift build -c release --build-path .build-bench --product privdnn
swift build -c release --build-path .build-bench --product InferenceBenchmarks
for config in "${configs[@]}"; do
    IFS=: read -r dataset share images <<<"$config"
    line=$(.build-bench/release/privdnn inference --dataset "$dataset" --synthetic "$images" --share "$share" --json)
    echo "$line" | tee -a "$out"
done
.build-bench/release/InferenceBenchmarks --networks-chart "$out" --out Benchmarks/InferenceBenchmarks/networks.svg
