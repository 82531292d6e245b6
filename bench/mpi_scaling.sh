#!/usr/bin/env bash
# bench/mpi_scaling.sh: `mrank train --mpi` against the rank count on this machine, and the two
# gradient exchanges on their own (bench/mpi_allreduce.c), the inputs of the README's cost model.
# usage: bench/mpi_scaling.sh [path/to/mrank] [ranks...]   (default ranks: 1 2 4)
# On a machine with fewer cores than ranks x the device's threads the ranks share cores: pairs/s
# then falls with K and the exchange time includes waiting for the slowest rank; the exchange's
# own cost is the mpi_allreduce table (a barrier before each timed exchange).
set -euo pipefail
mrank=$(realpath "${1:-build/mrank}")
shift || true
ranks=("$@")
[ ${#ranks[@]} -gt 0 ] || ranks=(1 2 4)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
run() { local k=$1; shift; mpirun --oversubscribe --allow-run-as-root -n "$k" "$@"; }
"$mrank" --version | tail -n 1
mpicc -O2 -o "$work/mpi_allreduce" "$here/mpi_allreduce.c"
for k in "${ranks[@]}"; do
  [ "$k" -gt 1 ] && run "$k" "$work/mpi_allreduce" 8
done
"$mrank" synth --queries 4000 --docs 40 --features 100 --seed 7 --out "$work/synth.txt" >/dev/null
echo "training: 4000 queries x 40 documents x 100 features, 1.16M pairs an epoch, batches of 8"
echo "queries, 3 epochs (rank 0's line: pairs/s, time a step, time in the exchange)"
for mode in ordered fast; do
  for k in "${ranks[@]}"; do
    printf "%-8s K=%-3s " "$mode" "$k"
    run "$k" "$mrank" train --mpi --allreduce "$mode" --train "$work/synth.txt" --epochs 3 \
      --model "$work/m$k" --quiet | tail -n 1
  done
done
# one core a rank (PoCL on one thread each), K up to the cores: the scaling a cluster's nodes see,
# at two global batch sizes (the larger a step, the smaller the exchange's share of it)
cores=$(nproc)
echo "one core a rank (POCL_MAX_PTHREAD_COUNT=1), ordered:"
for batch in 8 32; do
  for k in "${ranks[@]}"; do
    [ "$k" -le "$cores" ] || continue
    printf "batch %-3s K=%-3s " "$batch" "$k"
    POCL_MAX_PTHREAD_COUNT=1 run "$k" -x POCL_MAX_PTHREAD_COUNT "$mrank" train --mpi \
      --train "$work/synth.txt" --epochs 3 --batch-queries "$batch" --model "$work/c$k" --quiet |
      tail -n 1
  done
done
