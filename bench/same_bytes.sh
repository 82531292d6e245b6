#!/usr/bin/env bash
# same_bytes.sh OLD_MRANK NEW_MRANK: runs a matrix of train, tune, eval and predict runs with two
# builds of mrank and compares what they write (model files, --json outputs, predict's scores)
# byte for byte. It is how a change that moves code (the CLI onto the public ranking API) shows
# it changed nothing a user keeps. Exit 0 when every output is the same, 1 otherwise (the
# differing runs listed).
#
#   git worktree add /tmp/old main && cmake -S /tmp/old -B /tmp/old/build -DMRANK_BUILD_TESTS=OFF \
#     && cmake --build /tmp/old/build -j2
#   bench/same_bytes.sh /tmp/old/build/mrank build/mrank
#
# Small synthetic data (seeded) keeps it to a few minutes on two cores; the MLP runs are cut to
# few epochs. MPI rows run where mpirun is found (K = 1 and 2), the two-device row where PoCL
# gives two devices (POCL_DEVICES="pthread pthread").
set -u
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
  echo "usage: bench/same_bytes.sh OLD_MRANK NEW_MRANK (two built mrank executables)" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
work=$(mktemp -d /tmp/mrank-same-bytes.XXXXXX)
trap 'rm -rf "$work"' EXIT
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$work/pocl}"
export MRANK_CACHE_DIR="$work/cache"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # containers run as root

"$new" synth --out "$work/train.txt" --queries 60 --docs 20 --features 12 --seed 3 >/dev/null
"$new" synth --out "$work/valid.txt" --queries 20 --docs 20 --features 12 --seed 4 >/dev/null
"$new" synth --out "$work/raw.txt" --queries 50 --docs 16 --features 10 --raw --irrelevant 3 \
  --seed 5 >/dev/null
"$new" synth --out "$work/mlp.txt" --queries 40 --docs 12 --features 6 --nonlinear 0.5 \
  --seed 6 >/dev/null

T="$work/train.txt"
V="$work/valid.txt"
M="$work/mlp.txt"
# name | arguments (OUT is the run's output folder)
runs=(
  "linear-defaults|train --train $T --model OUT/model --quiet"
  "linear-holdout0|train --train $T --model OUT/model --holdout 0 --epochs 8 --quiet"
  "linear-valid|train --train $T --valid $V --model OUT/model --quiet"
  "linear-valid-l2|train --train $T --valid $V --l2 0.001 --model OUT/model --quiet"
  "linear-l1|train --train $work/raw.txt --l1 0.001 --model OUT/model --quiet"
  "linear-pairs|train --train $T --pairs-per-query 5 --seed 9 --model OUT/model --quiet"
  "linear-host|train --train $T --device host --model OUT/model --quiet"
  "linear-options|train --train $T --holdout 0 --lr 0.1 --momentum 0.5 --batch-queries 3 --no-average --margin 0.5 --scale max --epochs 5 --model OUT/model --quiet"
  "mlp-holdout0|train --train $M --scorer mlp --holdout 0 --epochs 4 --model OUT/model --quiet"
  "mlp-valid|train --train $M --valid $V --features 12 --scorer mlp --hidden 8 --bins 4 --epochs 4 --model OUT/model --quiet"
  "mlp-folds|train --train $M --scorer mlp --hidden 8,4 --epochs 3 --skip linear --optimizer sgd --model OUT/model --quiet"
  "mlp-base-host|train --train $M --scorer mlp --hidden 6 --epochs 2 --device host --model OUT/model --quiet"
  "tune-folds|tune --train $T --folds 3 --grid lr=0.1,0.01 --grid l2=0.01,0.0001 --epochs 4 --model OUT/model --json"
  "tune-valid|tune --train $T --valid $V --grid l2=0.1,0.001 --epochs 4 --model OUT/model --json"
  "tune-mlp|tune --train $M --scorer mlp --folds 2 --grid hidden=4,8x4 --epochs 2 --model OUT/model --json"
)
if [ "$(POCL_DEVICES="pthread pthread" "$new" devices --select cpu:all 2>/dev/null | grep -c .)" -ge 2 ]; then
  runs+=("linear-two-devices|train --train $T --holdout 0 --epochs 5 --device cpu:all --model OUT/model --quiet")
fi
if command -v mpirun >/dev/null && "$new" --version | grep -q "MPI"; then
  runs+=("mpi-1|MPI1 train --mpi --train $T --epochs 4 --model OUT/model --quiet")
  runs+=("mpi-2|MPI2 train --mpi --train $T --valid $V --epochs 4 --model OUT/model --quiet")
fi

run_one() { # binary out arguments...
  local binary=$1 out=$2
  shift 2
  local args=("${@//OUT/$out}") launcher=()
  case "${args[0]}" in
  MPI1) launcher=(mpirun --oversubscribe -n 1) && args=("${args[@]:1}") ;;
  MPI2) launcher=(mpirun --oversubscribe -n 2) && args=("${args[@]:1}") ;;
  esac
  POCL_DEVICES="pthread pthread" "${launcher[@]}" "$binary" "${args[@]}" >"$out/stdout" 2>"$out/stderr"
  echo $? >"$out/status"
  if [ -f "$out/model" ]; then
    "$binary" predict --model "$out/model" --data "$V" --output "$out/scores" 2>>"$out/stderr"
    # the model's path is in "scored_by": the same name in both
    (cd "$out" && "$binary" eval --model model --data "$V" --json >eval.json 2>>stderr)
  fi
}

different=0
for entry in "${runs[@]}"; do
  name=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  mkdir -p "$work/old/$name" "$work/new/$name"
  run_one "$old" "$work/old/$name" "${args[@]}"
  run_one "$new" "$work/new/$name" "${args[@]}"
  # tune --json prints seconds: those lines are times, not results
  for dir in old new; do
    sed -E 's/"(seconds|setup_seconds|pairs_per_second)": [0-9.eE+-]+/"\1": T/g' \
      "$work/$dir/$name/stdout" >"$work/$dir/$name/stdout.cmp"
  done
  verdict=same
  for file in status model scores eval.json; do
    if [ -e "$work/old/$name/$file" ] || [ -e "$work/new/$name/$file" ]; then
      cmp -s "$work/old/$name/$file" "$work/new/$name/$file" || verdict="DIFFERENT ($file)"
    fi
  done
  case "$entry" in
  *--json*) cmp -s "$work/old/$name/stdout.cmp" "$work/new/$name/stdout.cmp" || verdict="DIFFERENT (--json)" ;;
  esac
  printf '%-20s exit %s  %s\n' "$name" "$(cat "$work/new/$name/status")" "$verdict"
  if [ "$verdict" != same ]; then
    different=1
    sed 's/^/    old: /' "$work/old/$name/stderr" | head -5
    sed 's/^/    new: /' "$work/new/$name/stderr" | head -5
  fi
done
[ "$different" = 0 ] && echo "every output the same" || echo "some outputs differ"
exit "$different"
