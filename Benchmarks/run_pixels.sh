#!/usr/bin/env bash
# One image at a time in the pixels packing through the file exchange (PixelsRun): the owner packages once, the
# user loads the package once, then per image the user's encrypted layers and request, the owner's checked,
# counted and flooded decryption and the user's finish, the median of --repeats runs.
#   Benchmarks/run_pixels.sh [CONFIG ...]    CONFIG = mnist:1,1 | mnist:2,6 | mnist:all | DATASET:SHARE (any of the five, ResNet-18 too)
# MNIST takes the committed trained LeNet-5 and the first test image; the other data sets a seeded
# random-initialised model and image (time does not depend on the weights). Appends one JSON line per run to
# Benchmarks/InferenceBenchmarks/pixels.jsonl. Release build without -enable-testing, one process per run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/InferenceBenchmarks/pixels.jsonl
configs=("$@")
[ ${#configs[@]} -eq 0 ] && configs=(mnist:1,1 mnist:2,6 mnist:all gtsrb:10 cifar10:50 gtsrb:50 tinyimagenet:50)
swift build -c release --build-path .build-bench --product InferenceBenchmarks
for config in "${configs[@]}"; do
    .build-bench/release/InferenceBenchmarks --pixels "$config" --repeats "${REPEATS:-15}" | tee -a "$out"
done
