#!/usr/bin/env bash
# bench_contention.sh - training throughput of the seed model (mlp, batch 64)
# on a quiet machine and beside 1 and 2 CPU-bound processes (`yes >/dev/null`),
# for gan.c under several OpenMP waiting policies and for PyTorch
# (bench/torch_seed.py, Debian's python3-torch), side by side: for each
# number of busy processes, every variant runs once per repeat, interleaved,
# so that a noisy machine shifts them alike. images/s is measured from the
# runs' log.jsonl lines after the first (start-up and loading excluded).
#
# usage: bench/bench_contention.sh [--steps N] [--repeats R] [--busy "0 1 2"]
#          [--variants "gan:default gan:passive gan:spin=10000 torch"]
#          [--threads T] [--data PATH] [--gan build/gan] [--torch-steps N]
#          [--timeout S]   (a run still going after S seconds (180) is stopped and
#                           measured on the log lines it wrote)
# Variants: gan:auto (the CLI as shipped: its own policy), gan:default (libgomp's
# default spinning, GAN_OMP_POLICY=libgomp), gan:passive (OMP_WAIT_POLICY=passive),
# gan:spin=N (GOMP_SPINCOUNT=N), torch. Prints a table of median images/s and the
# share of the quiet figure; raw runs go to $OUT/runs.txt (OUT default
# /tmp/bench_contention).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps=400 torch_steps="" repeats=3 run_timeout=180 busy_levels="0 1 2" threads=2 gan=build/gan
variants="gan:auto gan:default gan:passive gan:spin=10000 torch"
data=${GAN_DATA_DIR:-data}/fashion
while (($#)); do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --torch-steps) torch_steps=$2; shift 2 ;;
    --timeout) run_timeout=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --busy) busy_levels=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --gan) gan=$2; shift 2 ;;
    *) echo "usage: see the top of $0" >&2; exit 2 ;;
  esac
done
out=${OUT:-/tmp/bench_contention}
rm -rf "$out"; mkdir -p "$out"
runs=$out/runs.txt
: >"$runs"
images_file=$data
[[ -d $data ]] && images_file=$(ls "$data"/train-images-idx3-ubyte* | head -1)
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

busy_pids=()
stop_busy() { for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null || true; done; busy_pids=(); }
trap stop_busy EXIT

# images/s from a log.jsonl: steps after the first line over the time they took
rate() {
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
a, b = rows[0], rows[-1]
print(f"{(b['step'] - a['step']) * 64 / (b['seconds'] - a['seconds']):.1f}" if len(rows) > 1 else "nan")
PY
}

run_variant() { # variant dir
  local v=$1 dir=$2
  case $v in
    torch)
      timeout "$run_timeout" env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT /usr/bin/python3 bench/torch_seed.py \
        --steps "${torch_steps:-$steps}" --threads "$threads" --log-every 10 --data "$images_file" --out "$dir" \
        >/dev/null 2>&1 ;;
    gan:*)
      local envs=(-u OMP_WAIT_POLICY -u GOMP_SPINCOUNT)
      case ${v#gan:} in
        auto) ;;
        default) envs+=(GAN_OMP_POLICY=libgomp) ;;
        passive) envs+=(OMP_WAIT_POLICY=passive) ;;
        spin=*) envs+=(GOMP_SPINCOUNT=${v#gan:spin=}) ;;
      esac
      timeout "$run_timeout" env "${envs[@]}" "$gan" train --data "$data" --out "$dir" --steps "$steps" \
        --threads "$threads" --log-every 10 --checkpoint-every 1000000 --quiet >/dev/null 2>&1 ;;
  esac
}

echo "bench_contention: $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), steps $steps, threads $threads" | tee "$out/summary.txt"
for b in $busy_levels; do
  stop_busy
  for ((i = 0; i < b; i++)); do yes >/dev/null & busy_pids+=($!); done
  for ((r = 1; r <= repeats; r++)); do
    for v in $variants; do
      dir=$out/run_${b}_${r}_${v//[:=]/_}
      run_variant "$v" "$dir" || true
      if [[ -s $dir/log.jsonl ]]; then
        echo "$b $v $(rate "$dir/log.jsonl")" >>"$runs"
      else
        echo "$b $v nan" >>"$runs"
      fi
      rm -rf "$dir"
    done
  done
  stop_busy
done

python3 - "$runs" "$busy_levels" "$variants" <<'PY' | tee -a "$out/summary.txt"
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
busy = sys.argv[2].split(); variants = sys.argv[3].split()
med = {}
for b in busy:
    for v in variants:
        xs = [float(r[2]) for r in runs if r[0] == b and r[1] == v and r[2] != "nan"]
        med[b, v] = statistics.median(xs) if xs else float("nan")
print(f"{'variant':<18}" + "".join(f"{b + ' busy':>16}" for b in busy) + "   (median images/s; share of quiet)")
for v in variants:
    q = med.get(("0", v), float("nan"))
    cells = []
    for b in busy:
        m = med[b, v]
        cells.append(f"{m:9.0f}" + (f" ({m / q:4.0%})" if b != "0" and q == q and q > 0 else "       "))
    print(f"{v:<18}" + "".join(f"{c:>16}" for c in cells))
PY
