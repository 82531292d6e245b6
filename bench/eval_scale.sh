#!/usr/bin/env bash
# bench/eval_scale.sh: mrank eval's time on one query of N documents, for N = 1,000 ... 256,000
# (pair accuracy and MAP must grow as N log N, not N^2), and, with a second mrank given, the same
# beside it in the same run (the build before the change: OLD=path/to/old/mrank).
# usage: bench/eval_scale.sh path/to/mrank [path/to/old/mrank]
set -euo pipefail
mrank=$1
old=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%10s %12s %12s\n' documents "eval (s)" "old (s)"
for n in 1000 4000 16000 64000 256000; do
  awk -v n="$n" 'BEGIN { srand(1); for (i = 0; i < n; ++i)
    printf "%d qid:1 1:%.4f 2:%.4f\n", int(rand() * 5), rand(), rand() }' > "$work/q.txt"
  "$mrank" train --train "$work/q.txt" --model "$work/m" --holdout 0 --epochs 1 \
    --pairs-per-query 100 --quiet
  start=$(date +%s.%N)
  "$mrank" eval --model "$work/m" --data "$work/q.txt" > /dev/null
  new=$(echo "$(date +%s.%N) - $start" | bc)
  past="-"
  if [ -n "$old" ] && [ "$n" -le 64000 ]; then # the quadratic loop: 14 s at 60,000 already
    start=$(date +%s.%N)
    "$old" eval --model "$work/m" --data "$work/q.txt" > /dev/null
    past=$(echo "$(date +%s.%N) - $start" | bc)
  fi
  [ "$past" = "-" ] || past=$(printf '%.3f' "$past")
  printf '%10s %12.3f %12s\n' "$n" "$new" "$past"
done
