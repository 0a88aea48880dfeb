#!/usr/bin/env bash
# privdnn inference split over a Slurm job array: task k runs shard k/SHARDS of the selected test images and writes
# results/shard-k.json; a merge job that starts when every task has succeeded writes results/merged.json and prints
# the whole run's JSON to its log. See deploy/README.md.
#
# Submit from the repository root (on a shared file system), after `swift build -c release --product privdnn`:
#   bash deploy/slurm-array.sh selection.json [SHARDS]
set -euo pipefail
selection=$(realpath "${1:?usage: deploy/slurm-array.sh SELECTION.json [SHARDS]}")
shards=${2:-4}
privdnn=${PRIVDNN:-$PWD/.build/release/privdnn}
mkdir -p results
# --array=0-(n-1): SLURM_ARRAY_TASK_ID counts from 0, as --shard does.
array=$(sbatch --parsable --job-name=privdnn-shard --array=0-$((shards - 1)) --cpus-per-task=2 --mem=4G \
  --output=results/shard-%a.log --wrap="$privdnn inference --dataset mnist --data-dir $PWD/data/mnist \
--model $PWD/models/lenet5-mnist.safetensors --selection $selection \
--shard \$SLURM_ARRAY_TASK_ID/$shards --out results/shard-\$SLURM_ARRAY_TASK_ID.json --json")
# afterok: the merge runs only when every task of the array has succeeded; merge also refuses a missing shard.
sbatch --job-name=privdnn-merge --dependency=afterok:"$array" --output=results/merged.log \
  --wrap="$privdnn merge --out results/merged.json results/shard-*.json"
echo "submitted array $array ($shards shards) and its merge; result in results/merged.json"
