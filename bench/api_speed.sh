#!/usr/bin/env bash
# api_speed.sh OLD_MRANK NEW_MRANK [ROUNDS] [small]: mrank train's wall time through two builds on
# the same data, alternating (old then new, then new then old, ...) so that the shared machine's
# drift falls on both: a synthetic set of 500,000 documents (10,000 queries of 50, 136 features, as MSLR-WEB's
# shape) and the shared collections where ../shared/data has them. Prints each run's seconds and
# the ratio of the medians (new / old).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bench/api_speed.sh OLD_MRANK NEW_MRANK [ROUNDS (default 3)] [small (no 500k set)]" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
rounds=${3:-3}
work=$(mktemp -d /tmp/mrank-api-speed.XXXXXX)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")/.." && pwd)
shared="$here/../shared/data"
sets=()
if [ "${4:-}" != small ]; then
  "$new" synth --out "$work/big.txt" --queries 10000 --docs 50 --features 136 --seed 11 >/dev/null
  sets+=("synthetic-500k|$work/big.txt|--holdout 0 --epochs 5")
fi
for file in train.txt vali.txt; do
  if [ -f "$shared/mq2008-fold1/$file" ]; then
    sets+=("mq2008-$file-defaults|$shared/mq2008-fold1/$file|")
    break
  fi
done
if [ -f "$shared/lightgbm-lambdarank/rank.train" ]; then
  sets+=("lightgbm-defaults|$shared/lightgbm-lambdarank/rank.train --query $shared/lightgbm-lambdarank/rank.train.query|")
fi
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for entry in "${sets[@]}"; do
  IFS='|' read -r name data options <<<"$entry"
  : >"$work/old.times"
  : >"$work/new.times"
  for ((r = 1; r <= rounds; r++)); do
    order="old new"
    [ $((r % 2)) = 0 ] && order="new old"
    for which in $order; do
      binary=$old
      [ "$which" = new ] && binary=$new
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$binary" train --train $data --model "$work/$which.model" --quiet $options
      echo "$(date +%s.%N) - $start" | bc >>"$work/$which.times"
    done
  done
  o=$(median <"$work/old.times")
  n=$(median <"$work/new.times")
  printf '%-20s old %s s  new %s s  (median of %d: new/old %.3f)\n' "$name" \
    "$(paste -sd' ' "$work/old.times")" "$(paste -sd' ' "$work/new.times")" "$rounds" \
    "$(echo "$n / $o" | bc -l)"
  cmp -s "$work/old.model" "$work/new.model" && echo "  (the same model bytes)" ||
    echo "  (the models differ)"
done
