#!/usr/bin/env bash
# tests/mpi_test.sh: `mrank train --mpi` under mpirun with 1, 2 and 4 ranks on this machine
# (loopback, oversubscribed): ordered gives the bits of one process for every K (qid: data, a
# LightGBM group file, sampled pairs, --valid); fast stays within 1e-6 of ordered; bad data on
# one rank's share, a failure in the middle of the run, and data without a pair end every rank
# with a non-zero status, that rank's message and no model.
# usage: tests/mpi_test.sh path/to/mrank
set -euo pipefail
mrank=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# --allow-run-as-root: CI runs as root; Open MPI refuses it otherwise. Under AddressSanitizer (CI's
# second pass) the ranks skip the leak check only: Open MPI's own start-up allocations, made by MCA
# components it unloads before exit, read as leaks; mrank's own code is leak-checked in process by
# the trainer tests, and ASan's memory checks stay on here.
ranks() {
  local k=$1
  shift
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    mpirun --oversubscribe --allow-run-as-root -x ASAN_OPTIONS -n "$k" "$@"
}
fail() { echo "mpi_test: $*" >&2; exit 1; }
weights() { awk 'found {print} /^weights/ {found = 1}' "$1"; }

"$mrank" synth --queries 90 --docs 20 --features 15 --noise 0.3 --seed 3 --out t.txt >/dev/null
options=(--l2 1e-4 --epochs 4 --batch-queries 6 --pairs-per-query 12 --seed 5 --quiet)
"$mrank" train --train t.txt --holdout 0 "${options[@]}" --model one.model

echo "== ordered: the model bits of one process on 1, 2 and 4 ranks"
for k in 1 2 4; do
  ranks "$k" "$mrank" train --mpi --train t.txt "${options[@]}" --model "mpi$k.model"
  cmp <(weights one.model) <(weights "mpi$k.model") || fail "$k ranks: other weights than one process"
  cmp one.model "mpi$k.model" || fail "$k ranks: another model file than one process"
done

echo "== fast (MPI_Allreduce): within 1e-6 of ordered"
ranks 4 "$mrank" train --mpi --allreduce fast --train t.txt "${options[@]}" --model fast.model
# the largest weight difference over the largest weight: float sums in another grouping differ
# by a few units of 2^-24 per step, which the averaged weights keep well under 1e-6 here
paste <(weights one.model) <(weights fast.model) | awk '
  { d = $1 - $2; if (d < 0) d = -d; a = $1 < 0 ? -$1 : $1; if (d > dmax) dmax = d; if (a > wmax) wmax = a }
  END { printf "  max |fast - ordered| / max |w| = %.3g\n", dmax / wmax; exit !(dmax <= 1e-6 * wmax) }' ||
  fail "fast is not within 1e-6 of ordered"

echo "== a LightGBM group file: each rank reads its lines by byte range"
awk '{ q = $2; sub(/ qid:[^ ]*/, ""); print > "g.txt"; if (q != last && NR > 1) { print n > "g.txt.query"; n = 0 } n++; last = q }
     END { print n > "g.txt.query" }' t.txt
"$mrank" train --train g.txt --query g.txt.query --holdout 0 "${options[@]}" --model gone.model
for k in 2 4; do
  ranks "$k" "$mrank" train --mpi --train g.txt --query g.txt.query "${options[@]}" --model "g$k.model"
  cmp <(weights gone.model) <(weights "g$k.model") || fail "group file, $k ranks: other weights"
done

echo "== --valid: the epoch chosen on every rank's share, the same for any K"
"$mrank" split --data t.txt --train tr.txt --test va.txt --seed 4 >/dev/null
ranks 1 "$mrank" train --mpi --train tr.txt --valid va.txt --patience 2 "${options[@]}" \
  --epochs 10 --model v1.model
ranks 4 "$mrank" train --mpi --train tr.txt --valid va.txt --patience 2 "${options[@]}" \
  --epochs 10 --model v4.model
cmp v1.model v4.model || fail "--valid: 4 ranks chose another model than 1"
# two validation queries for four ranks: the ranks without one add nothing
awk '{ if ($2 != last) { n++; last = $2 } if (n <= 2) print }' va.txt > va2.txt
ranks 1 "$mrank" train --mpi --train tr.txt --valid va2.txt "${options[@]}" --model w1.model
ranks 4 "$mrank" train --mpi --train tr.txt --valid va2.txt "${options[@]}" --model w4.model
cmp w1.model w4.model || fail "--valid with fewer queries than ranks: another model"

echo "== failures: every rank exits non-zero, rank 0 names the failed rank, no model"
awk 'NR == 1500 { $5 = "5:abc" } { print }' t.txt > bad.txt
set +e
ranks 4 "$mrank" train --mpi --train bad.txt "${options[@]}" --model bad.model 2> err.txt
status=$?
set -e
[ "$status" -ne 0 ] || fail "bad data: mpirun exited 0"
grep -q "rank 3 of 4: bad.txt:1500:" err.txt || fail "bad data: $(head -n 1 err.txt)"
[ ! -e bad.model ] || fail "bad data: a model was written"
set +e
MRANK_MPI_FAIL=1:5 ranks 2 -x MRANK_MPI_FAIL "$mrank" train --mpi --train t.txt "${options[@]}" \
  --model mid.model 2> err.txt
status=$?
set -e
[ "$status" -ne 0 ] || fail "a failure mid-run: mpirun exited 0"
grep -q "rank 1 of 2: failed at gradient sum 5" err.txt || fail "mid-run: $(head -n 1 err.txt)"
[ ! -e mid.model ] || fail "mid-run: a model was written"
awk '{ $1 = 1; print }' t.txt > flat.txt
set +e
ranks 2 "$mrank" train --mpi --train flat.txt "${options[@]}" --model flat.model 2> err.txt
status=$?
set -e
[ "$status" -ne 0 ] || fail "no pair: mpirun exited 0"
grep -q "no pair to learn from" err.txt || fail "no pair: $(head -n 1 err.txt)"
head -n 20 t.txt > one.txt # one query for two ranks
set +e
ranks 2 "$mrank" train --mpi --train one.txt "${options[@]}" --model one-query.model 2> err.txt
status=$?
set -e
[ "$status" -ne 0 ] || fail "more ranks than queries: mpirun exited 0"
grep -q "rank 1 of 2: one.txt: no query starts in this rank's part" err.txt ||
  fail "more ranks than queries: $(head -n 1 err.txt)"
set +e
"$mrank" train --allreduce fast --train t.txt --model x.model 2> err.txt
status=$?
set -e
[ "$status" -eq 2 ] && grep -q "goes with --mpi" err.txt || fail "--allreduce without --mpi"
echo "== a query split between ranks' shares is refused as one process refuses it"
# qid 1 comes back after qid 2: one process says so; each rank alone saw one run of each qid
printf '1 qid:1 1:0.5\n0 qid:2 1:0.2\n1 qid:2 1:0.4\n0 qid:1 1:0.3\n' > split-query.txt
for k in 1 2 4; do
  set +e
  ranks "$k" "$mrank" train --mpi --train split-query.txt --model split.model 2> err.txt
  status=$?
  set -e
  [ "$status" -ne 0 ] && [ ! -e split.model ] || fail "$k ranks: a split query was accepted"
  grep -q "qid 1 comes back after other queries" err.txt ||
    fail "$k ranks, split query: $(head -n 1 err.txt)"
done

echo "== usage errors are printed once, not once per rank"
set +e
ranks 4 "$mrank" train --mpi --model x.model 2> err.txt
set -e
[ "$(grep -c "are required" err.txt)" -eq 1 ] || fail "usage error: $(grep -c "are required" err.txt) times"
set +e
ranks 2 "$mrank" train --mpi --train - --model x.model < /dev/null 2> err.txt
set -e
grep -q "standard input cannot give" err.txt || fail "--train -: $(head -n 1 err.txt)"
echo "mpi_test: passed"
