#!/usr/bin/env bash
# bench/train_speed.sh: training pairs per second on the default OpenCL device against --device host
# on the same data, and the device's time split by stage (profiling events), for the shared LightGBM
# data and a synthetic set of 1.16 million pairs an epoch (mrank synth).
# usage: bench/train_speed.sh [path/to/mrank] [epochs]
set -euo pipefail
mrank=${1:-build/mrank}
epochs=${2:-5}
data=${MRANK_SHARED_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$mrank" synth --queries 2000 --docs 40 --features 100 --seed 7 --out "$work/synth.txt" >/dev/null
sets=("synthetic:--train $work/synth.txt")
if [ -d "$data/lightgbm-lambdarank" ]; then
  sets+=("lightgbm:--train $data/lightgbm-lambdarank/rank.train --query $data/lightgbm-lambdarank/rank.train.query")
fi
for entry in "${sets[@]}"; do
  name=${entry%%:*}
  args=${entry#*:}
  for batch in 8 64; do
    echo "== $name, batches of $batch queries, $epochs epochs"
    # shellcheck disable=SC2086
    "$mrank" train $args --model "$work/m" --holdout 0 --epochs "$epochs" --batch-queries "$batch" --quiet --profile
    # shellcheck disable=SC2086
    "$mrank" train $args --model "$work/h" --holdout 0 --epochs "$epochs" --batch-queries "$batch" --quiet --profile \
      --device host | head -n 1 | sed 's/^/host: /'
    # without profiling (events make every step wait): the device's own pace
    # shellcheck disable=SC2086
    "$mrank" train $args --model "$work/m" --holdout 0 --epochs "$epochs" --batch-queries "$batch" \
      | awk '/^epoch/ {last = $0} END {print "device, unprofiled, last epoch: " last}'
  done
done
