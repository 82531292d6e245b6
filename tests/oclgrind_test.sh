#!/usr/bin/env bash
# tests/oclgrind_test.sh: mrank's kernels under Oclgrind, an OpenCL device simulator that runs each
# work-item as a GPU may and reports data races, out-of-bounds accesses and API misuse (PoCL runs a
# work-group's items one after another, so none of that can show on it). Oclgrind also fuses what
# a GPU may fuse (mad): the MLP's model bytes must still be PoCL's, at both vector widths and with
# the work-group sizes fixed at build time. Fails on any Oclgrind diagnostic.
# usage: tests/oclgrind_test.sh path/to/mrank [path/to/test_tensors]
set -euo pipefail
mrank=$1
tensors=${2:-}
kernels=$(cd "$(dirname "$0")/../kernels" && pwd)
if ! command -v oclgrind >/dev/null; then
  echo "oclgrind_test: oclgrind is not installed (apt-get install oclgrind); skipped"
  exit 0
fi
# Oclgrind preloads itself before the program: an AddressSanitizer build refuses to start so
if ldd "$mrank" | grep -q libasan; then
  echo "oclgrind_test: $mrank is built with AddressSanitizer, which cannot run under Oclgrind; skipped"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export MRANK_NO_CACHE=1 # every program built for the device under test, none from a cache
grind=(oclgrind --data-races --uniform-writes --check-api --local-mem-size 65536)
passed=0
fail() { echo "oclgrind_test: $*" >&2; exit 1; }
quiet_run() { # description, command...: fails on a non-zero status or any diagnostic
  local what=$1
  shift
  if ! "$@" >out.txt 2>err.txt || [ -s err.txt ]; then
    cat err.txt >&2
    fail "$what"
  fi
  passed=$((passed + 1))
}

"$mrank" synth --queries 6 --docs 4 --features 3 --seed 2 --out tiny.txt >/dev/null
mlp=(train --scorer mlp --train tiny.txt --epochs 2 --hidden 8 --bins 0 --holdout 0 --gemm dense
     --quiet)
for vw in 8 16; do
  for reqd in 0 1; do
    MRANK_MLP_VW=$vw MRANK_REQD_WORK_GROUP=$reqd "$mrank" "${mlp[@]}" --model "pocl-$vw-$reqd.model"
    MRANK_MLP_VW=$vw MRANK_REQD_WORK_GROUP=$reqd quiet_run "MLP under Oclgrind (vw $vw, reqd $reqd)" \
      "${grind[@]}" "$mrank" "${mlp[@]}" --model "grind-$vw-$reqd.model"
    cmp "pocl-$vw-$reqd.model" "grind-$vw-$reqd.model" ||
      fail "the MLP's model bytes differ between PoCL and Oclgrind (vw $vw, reqd $reqd)"
    "$mrank" "${mlp[@]}" --device host --model "host-$vw-$reqd.model"
    cmp "pocl-$vw-$reqd.model" "host-$vw-$reqd.model" ||
      fail "the MLP's model bytes differ between PoCL and the host (vw $vw, reqd $reqd)"
  done
done
"$mrank" train --train tiny.txt --epochs 2 --holdout 0 --quiet --model pocl-linear.model
quiet_run "linear scorer under Oclgrind" "${grind[@]}" "$mrank" train --train tiny.txt --epochs 2 \
  --holdout 0 --quiet --model grind-linear.model
cmp pocl-linear.model grind-linear.model || fail "the linear scorer's bytes differ"
# the operator over the simulator's default shape (a CPU's: Oclgrind reports every device type, and
# a device that is a CPU takes the CPU's choices) at small sizes, every reduction and op
quiet_run "validate under Oclgrind" "${grind[@]}" "$mrank" validate --n 1,63,64,65,4097,20000 \
  --margin 1
# every data and label type
quiet_run "validate under Oclgrind, every type" "${grind[@]}" "$mrank" validate --n 65,4097 \
  --dtype f32,f16,bf16,f64 --labels f32,i32,i8 --margin 1
# the GPU's choices as a GPU makes them unforced: its default shape, and --gemm auto (CLBlast)
MRANK_ASSUME_DEVICE_TYPE=gpu quiet_run "validate under Oclgrind, the GPU's default shape" \
  "${grind[@]}" "$mrank" validate --n 1,63,64,65,4097,20000 --margin 1
MRANK_ASSUME_DEVICE_TYPE=gpu quiet_run "the MLP under Oclgrind with a GPU's --gemm auto" \
  "${grind[@]}" "$mrank" train --scorer mlp --train tiny.txt --epochs 1 --hidden 8 --bins 0 \
  --holdout 0 --profile --model gpu.model
grep -q "layers: clblast" out.txt || fail "a GPU's --gemm auto did not choose CLBlast: $(cat out.txt)"
# the local summation pass (the accelerators' default) with two work-group sizes
for shape in epw=1,vw=1,wg=64,sum=local epw=4,vw=4,wg=128,sum=local; do
  MRANK_VARIANT=$shape quiet_run "validate under Oclgrind, shape $shape" "${grind[@]}" "$mrank" \
    validate --n 63,4097 --op forward,fused --reduction sum,mean --margin 1
done
# a device that allows fewer than 64 work-items a group (a GPU kernel under register pressure):
# the local pass takes what it allows (every mean and sum failed with CL_INVALID_WORK_ITEM_SIZE);
# and one with 20,000 bytes of local memory: the pass for float (16.6 KB), direct for double
MRANK_VARIANT=epw=1,vw=1,wg=64,sum=local quiet_run "the local pass in groups of 16" \
  oclgrind --data-races --max-wgsize 16 --local-mem-size 65536 "$mrank" validate --n 63,4097 \
  --op forward,fused --reduction sum --dtype f32,f64 --margin 1
MRANK_VARIANT=epw=1,vw=1,wg=64,sum=local quiet_run "the local pass in 20,000 bytes" \
  oclgrind --data-races --local-mem-size 20000 "$mrank" validate --n 4097 --op fused \
  --reduction sum,mean --dtype f32,f64 --margin 1
# the tensor kernels (strides, broadcasting, gathers and scatters), through their own tests
if [ -n "$tensors" ]; then
  # Criterion prints its summary on stderr: anything else there is Oclgrind's
  if ! "${grind[@]}" "$tensors" --jobs 1 >out.txt 2>err.txt ||
    grep -v -E '^\[(====|----)\]' err.txt | grep -q .; then
    cat err.txt >&2
    fail "the tensor tests under Oclgrind"
  fi
  passed=$((passed + 1))
fi
# the control: the same pass with its barrier removed must be reported as a race
planted=$work/planted
mkdir -m 700 "$planted"
cp "$kernels"/*.cl "$planted/"
line=$(grep -n "barrier(CLK_LOCAL_MEM_FENCE)" "$planted/margin_ranking.cl" | head -n 1 | cut -d: -f1)
sed -i "${line}s|barrier(CLK_LOCAL_MEM_FENCE);|/* planted: no barrier */|" "$planted/margin_ranking.cl"
MRANK_KERNEL_DIR=$planted MRANK_VARIANT=epw=1,vw=1,wg=64,sum=local "${grind[@]}" "$mrank" \
  validate --n 4097 --op forward --reduction sum --margin 1 >out.txt 2>err.txt || true
grep -q "data race" err.txt || fail "a barrier removed on purpose was not reported"
passed=$((passed + 1))
echo "oclgrind_test: $passed passed, 0 failed"
