#!/usr/bin/env bash
# bench/startup.sh: time from process start to the first results (`mrank demo --n 1 --no-train`: a
# context, the kernels, forward and backward checked on one element, no training), median of R runs:
#   cold      empty mrank cache and empty PoCL cache (a first run after install)
#   warm      mrank's disk cache filled by an earlier run
#   no-cache  MRANK_NO_CACHE=1 (mrank builds from source each run; PoCL's own cache is warm)
# usage: bench/startup.sh [path/to/mrank] [R]   (device: $MRANK_DEVICE or the default)
set -euo pipefail
mrank=${1:-build/mrank}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%N | awk '{printf "%.1f", $1 / 1e6}'; }
one_run() { # prints milliseconds
  local start end
  start=$(now_ms)
  "$@" demo --n 1 --no-train >/dev/null
  end=$(now_ms)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f\n", b - a}'
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

cold() {
  for _ in $(seq "$runs"); do
    rm -rf "$work/mrank" "$work/pocl"
    MRANK_CACHE_DIR="$work/mrank" POCL_CACHE_DIR="$work/pocl" one_run "$mrank"
  done | median
}
warm() {
  MRANK_CACHE_DIR="$work/mrank" POCL_CACHE_DIR="$work/pocl" "$mrank" demo --n 1 --no-train >/dev/null
  for _ in $(seq "$runs"); do
    MRANK_CACHE_DIR="$work/mrank" POCL_CACHE_DIR="$work/pocl" one_run "$mrank"
  done | median
}
no_cache() {
  for _ in $(seq "$runs"); do
    MRANK_NO_CACHE=1 POCL_CACHE_DIR="$work/pocl" one_run "$mrank"
  done | median
}
device=$("$mrank" demo --n 1 --no-train | sed -n 's/.* demo on "\(.*\)"/\1/p')
c=$(cold); w=$(warm); n=$(no_cache)
printf 'start-up to first result on "%s" (median of %s runs)\n' "$device" "$runs"
printf '  cold (empty caches)   %8.1f ms\n' "$c"
printf '  warm (mrank cache)    %8.1f ms   %.2fx of cold\n' "$w" "$(awk -v a="$w" -v b="$c" 'BEGIN{print a/b}')"
printf '  MRANK_NO_CACHE=1      %8.1f ms   %.2fx of cold\n' "$n" "$(awk -v a="$n" -v b="$c" 'BEGIN{print a/b}')"
