#!/bin/sh
# bench_mpi.sh - data-parallel training on the CPU: N ranks of 1 thread each
# (mpirun -np N, OMP_NUM_THREADS=1) against 1 process of N threads, the same
# model, data, global batch and steps, images/s side by side (the mean of
# the log's images_per_s after the first line, the warm-up). Prints a
# Markdown table for bench/RESULTS.md.
#
#   bench/bench_mpi.sh [GAN] [MODEL] [BATCH] [STEPS] [N]
#   defaults:           build/gan mlp 64 600 2
# Data: $GAN_DATA_DIR/fashion (data/fashion). Needs mpirun (openmpi-bin).
set -eu
GAN=${1:-build/gan}
MODEL=${2:-mlp}
BATCH=${3:-64}
STEPS=${4:-600}
N=${5:-2}
DATA=${GAN_DATA_DIR:-data}/fashion
MPIRUN="mpirun --oversubscribe --allow-run-as-root"
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
EVERY=$((STEPS / 6))

# the mean images/s of a run folder's log after its first line
rate() {
  python3 -c 'import json,sys
r=[json.loads(l)["images_per_s"] for l in open(sys.argv[1]) if "\"step\"" in l][1:]
print("%.0f" % (sum(r)/len(r)))' "$1/log.jsonl"
}

ARGS="--data $DATA --model $MODEL --batch-size $BATCH --steps $STEPS --log-every $EVERY --quiet --checkpoint-every 0"
OMP_NUM_THREADS=$N "$GAN" train $ARGS --threads "$N" --out "$TMP/threads"
$MPIRUN -np "$N" -x OMP_NUM_THREADS=1 -x OPENBLAS_CORETYPE "$GAN" train $ARGS --threads 1 --out "$TMP/ranks"
$MPIRUN -np 1 -x OMP_NUM_THREADS=1 -x OPENBLAS_CORETYPE "$GAN" train $ARGS --threads 1 --out "$TMP/one"
T=$(rate "$TMP/threads")
R=$(rate "$TMP/ranks")
O=$(rate "$TMP/one")
echo "| model | global batch | steps | 1 rank x 1 thread | 1 process x $N threads | $N ranks x 1 thread | ranks / threads |"
echo "|---|---:|---:|---:|---:|---:|---:|"
python3 -c "import sys; o,t,r=map(float,sys.argv[1:4]); print('| %s | %s | %s | %.0f | %.0f | %.0f | **%.2fx** |' % (sys.argv[4], sys.argv[5], sys.argv[6], o, t, r, r/t))" \
  "$O" "$T" "$R" "$MODEL" "$BATCH" "$STEPS"
