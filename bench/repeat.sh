#!/usr/bin/env bash
# bench/repeat.sh: does `mrank bench` repeat itself? Runs it twice with the same options and
# prints, for every row, the two ratios and their difference, then the largest difference.
# usage: bench/repeat.sh MRANK [bench options...]   (default options: --n 2^22,2^24)
# Exit status 1 when some ratio differs by more than 0.05 (the target of `mrank bench`).
set -euo pipefail
mrank=${1:?usage: bench/repeat.sh MRANK [bench options...]}
shift
[ $# -gt 0 ] || set -- --n 2^22,2^24
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for run in 1 2; do
  "$mrank" bench "$@" --csv "$dir/run$run.csv" >/dev/null
done
# key: op, of, reduction, dtype, labels, api, kind, n; value: ratio (column 17)
python3 - "$dir/run1.csv" "$dir/run2.csv" <<'PY'
import csv, sys
def rows(path):
    with open(path) as f:
        return {tuple(r[k] for k in ("op","of","reduction","dtype","labels","api","kind","n")): r
                for r in csv.DictReader(f)}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
worst = 0.0
print(f"{'op':9} {'red':4} {'api':6} {'n':>9} {'ratio 1':>8} {'ratio 2':>8} {'diff':>6}")
for key in a:
    if key not in b or not a[key]["ratio"] or not b[key]["ratio"] or a[key]["kind"] != "throughput":
        continue
    r1, r2 = float(a[key]["ratio"]), float(b[key]["ratio"])
    worst = max(worst, abs(r1 - r2))
    print(f"{key[0]:9} {key[2]:4} {key[5]:6} {key[7]:>9} {r1:8.3f} {r2:8.3f} {abs(r1-r2):6.3f}")
print(f"largest difference: {worst:.3f} (target: 0.05)")
sys.exit(1 if worst > 0.05 else 0)
PY
