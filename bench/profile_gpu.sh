#!/usr/bin/env bash
# profile_gpu.sh - where a gan.c training step spends its GPU time: runs
# bench_gpu under Nsight Systems (graph nodes traced one by one) and prints
# the kernels by total time. Lab tool; needs nsys (CUDA toolkit or Nsight).
# usage: bash bench/profile_gpu.sh BENCH_GPU MODEL BATCH [STEPS] [DATA]
set -u
BENCH=$1 MODEL=$2 BATCH=$3 STEPS=${4:-200} DATA=${5:-synthetic}
NSYS=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys \
       /usr/local/cuda/nsight-systems-*/bin/nsys 2>/dev/null | head -1)
if [ -z "$NSYS" ]; then echo "profile_gpu: no nsys found" >&2; exit 1; fi
REP=/tmp/profile_${MODEL}_${BATCH}
"$NSYS" profile -o "$REP" --force-overwrite true --cuda-graph-trace=node -t cuda \
    "$BENCH" "$MODEL" "$BATCH" "$STEPS" "$DATA" --repeats 1 > /dev/null 2>&1 || exit 1
echo "== $MODEL batch $BATCH: kernels by total GPU time over $((STEPS + 30)) steps"
"$NSYS" stats --report cuda_gpu_kern_sum --format column --force-export true "$REP.nsys-rep" \
    2>/dev/null | cut -c1-200 | head -45
