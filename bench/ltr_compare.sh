#!/usr/bin/env bash
# bench/ltr_compare.sh: held-out NDCG@10 of mrank's defaults, mrank tune (refit), LightGBM
# lambdarank and XGBoost rank:pairwise (both with their defaults; PyPI, tooling only) and the best
# single feature, on the same query splits of both shared sets, scored by one implementation
# (mrank eval; the peers' predictions through --scores). For each set and split seed: 80/20 by
# query; the 80% is all any method sees (tune splits it again 80/20 to choose, then refits on all
# of it); the 20% is scored once. Prints each split, then mean, sample standard deviation and range.
# usage: bench/ltr_compare.sh [path/to/mrank] [seeds]   (needs ../shared/data; pip install
#        lightgbm xgboost for the peers, skipped with a message otherwise)
set -euo pipefail
mrank=${1:-build/mrank}
seeds=${2:-"1 2 3 4 5 6 7 8 9 10"}
here=$(cd "$(dirname "$0")" && pwd)
data=${MRANK_SHARED_DATA:-$(cd "$here/../.." && pwd)/shared/data}
[ -d "$data" ] || { echo "ltr_compare: $data is not here; skipped"; exit 0; }
peers=1
python3 -c "import lightgbm, xgboost" 2>/dev/null || {
  echo "ltr_compare: lightgbm or xgboost is missing (pip install lightgbm xgboost): peers skipped"
  peers=0
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ndcg() { sed 's/.*"ndcg@10": \([0-9.]*\).*/\1/'; }
methods="defaults mlp tune best-feature"
[ $peers = 1 ] && methods="$methods lightgbm xgboost"
# LTR_METHODS="defaults mlp" runs only those; torch-mlp and torch-linear (PyTorch from PyPI) are the
# issue-16 pipeline's MLP and linear scorer, run only when named there; LTR_MLP_OPTIONS="--bins 0"
# gives the mlp method's run those options
methods=${LTR_METHODS:-$methods}
printf '%-9s %4s' set seed
for m in $methods; do printf ' %12s' "$m"; done
echo
results="$work/results"
for set in lightgbm mq2008; do
  for seed in $seeds; do
    if [ "$set" = lightgbm ]; then
      "$mrank" split --data "$data/lightgbm-lambdarank/rank.train" \
        --query "$data/lightgbm-lambdarank/rank.train.query" --train "$work/all" \
        --test "$work/test" --seed "$seed" >/dev/null
    else
      "$mrank" split --data "$data/mq2008-fold1/vali.txt" --train "$work/all" --test "$work/test" \
        --seed "$seed" >/dev/null
    fi
    line=$(printf '%-9s %4s' "$set" "$seed")
    for m in $methods; do
      case $m in
        defaults)
          "$mrank" train --train "$work/all" --model "$work/model" --quiet
          v=$("$mrank" eval --model "$work/model" --data "$work/test" --json | ndcg) ;;
        mlp)
          # shellcheck disable=SC2086 # LTR_MLP_OPTIONS is a list of options
          "$mrank" train --scorer mlp ${LTR_MLP_OPTIONS:-} --train "$work/all" --model "$work/model" \
            --quiet
          v=$("$mrank" eval --model "$work/model" --data "$work/test" --json | ndcg) ;;
        tune)
          "$mrank" split --data "$work/all" --train "$work/inner" --test "$work/valid" \
            --seed $((seed + 100)) >/dev/null
          "$mrank" tune --train "$work/inner" --valid "$work/valid" --model "$work/model" \
            --grid lr=0.02,0.1 --grid l2=0.0001,0.01,0.1 --grid margin=0.5,1 --grid average=0,1 \
            >/dev/null 2>&1
          v=$("$mrank" eval --model "$work/model" --data "$work/test" --json | ndcg) ;;
        best-feature)
          v=$("$mrank" eval --baseline best-feature --train "$work/all" --data "$work/test" \
            --json | ndcg) ;;
        lightgbm | xgboost | torch-mlp | torch-linear)
          python3 "$here/ltr_peers.py" "$m" "$work/all" "$work/test" "$work/scores" "$seed"
          v=$("$mrank" eval --scores "$work/scores" --data "$work/test" --json | ndcg) ;;
      esac
      line="$line $(printf ' %12.4f' "$v")"
      echo "$set $m $v" >>"$results"
    done
    echo "$line"
  done
done
echo
echo "mean +- sample sd (range) of held-out NDCG@10 over the seeds:"
awk '{ n[$1" "$2]++; s[$1" "$2]+=$3; q[$1" "$2]+=$3*$3;
       if (!($1" "$2 in lo) || $3 < lo[$1" "$2]) lo[$1" "$2]=$3;
       if (!($1" "$2 in hi) || $3 > hi[$1" "$2]) hi[$1" "$2]=$3 }
     END { for (k in n) { m = s[k]/n[k]; v = n[k] > 1 ? (q[k] - n[k]*m*m)/(n[k]-1) : 0;
           printf "%-22s %.4f +- %.4f (%.4f to %.4f)\n", k, m, sqrt(v > 0 ? v : 0), lo[k], hi[k] } }' \
  "$results" | sort
