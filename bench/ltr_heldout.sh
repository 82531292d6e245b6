#!/usr/bin/env bash
# bench/ltr_heldout.sh: held-out quality of `mrank train` on the shared data, next to two baselines
# computed the same way. For each data set and split seed: 80/20 split by query (mrank split);
# the 80% split again 80/20 into train and validation; `mrank tune` on those (grid below); the best
# model, the best single feature (chosen on the train part) and random order evaluated on the 20%.
# usage: bench/ltr_heldout.sh [path/to/mrank] [seeds]      (needs ../shared/data)
set -euo pipefail
mrank=${1:-build/mrank}
seeds=${2:-"1 2 3 4 5"}
data=${MRANK_SHARED_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
[ -d "$data" ] || { echo "ltr_heldout: $data is not here; skipped"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
field() { sed "s/.*\"$1\": \([0-9.]*\).*/\1/"; }
printf '%-10s %4s | %-33s | %-33s | %-33s\n' "data" "seed" "model: NDCG@1 @3 @5 @10, pairacc" \
  "best single feature" "random order"
for set in lightgbm mq2008; do
  for seed in $seeds; do
    if [ "$set" = lightgbm ]; then
      "$mrank" split --data "$data/lightgbm-lambdarank/rank.train" \
        --query "$data/lightgbm-lambdarank/rank.train.query" --train "$work/all" --test "$work/test" \
        --seed "$seed" >/dev/null
    else
      "$mrank" split --data "$data/mq2008-fold1/vali.txt" --train "$work/all" --test "$work/test" \
        --seed "$seed" >/dev/null
    fi
    "$mrank" split --data "$work/all" --train "$work/train" --test "$work/valid" --seed 99 >/dev/null
    "$mrank" tune --train "$work/train" --valid "$work/valid" --model "$work/model" \
      --grid lr=0.02,0.1 --grid l2=0.0001,0.01,0.1 --grid margin=0.5,1 --grid average=0,1 \
      >/dev/null 2>&1
    line="$(printf '%-10s %4s' "$set" "$seed")"
    for how in "--model $work/model" "--baseline best-feature --train $work/train" \
      "--baseline random"; do
      # shellcheck disable=SC2086
      json=$("$mrank" eval $how --data "$work/test" --json)
      line="$line | $(printf '%.3f %.3f %.3f %.3f, %.3f' "$(echo "$json" | field 'ndcg@1')" \
        "$(echo "$json" | field 'ndcg@3')" "$(echo "$json" | field 'ndcg@5')" \
        "$(echo "$json" | field 'ndcg@10')" "$(echo "$json" | field pair_accuracy)")"
    done
    echo "$line"
  done
done
