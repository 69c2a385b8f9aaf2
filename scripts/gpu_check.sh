#!/usr/bin/env bash
# gpu_check.sh - everything to run on a GPU machine, in one go (about 5-6
# minutes on an H100): configure + build (Release, Ninja), the CUDA tests
# with a GPU required, the CPU unit tests, a short `gan train --device cuda`
# of each preset with a resume and `gan sample` on both devices, the refusal
# without a GPU, then the benchmark against PyTorch (bench/bench_gpu.py).
#
# usage: bash scripts/gpu_check.sh DATA_DIR [STAGE...]
#   DATA_DIR: a folder with Fashion-MNIST's IDX files (train-images-idx3-ubyte.gz, ...)
#   STAGE:    any of build cuda unit cli gemm bench (default: all but gemm, in that order;
#             gemm: bench_gpu with GAN_CUDA_GEMM=blas against auto, mlp 64 and dcgan 1024)
#   BENCH_ARGS (environment): extra arguments of bench/bench_gpu.py (--models, --engines, ...)
# Results go to $OUT when it is set (else ./gpu_check_out): summary.txt,
# bench_gpu.txt and .json, ctest_cuda.log, and every log in logs.tar.gz; the
# last lines printed are the summary of every stage.
set -u
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: bash scripts/gpu_check.sh DATA_DIR [build|cuda|unit|cli|gemm|bench ...]" >&2
    exit 2
fi
DATA=$(cd "$1" && pwd)
shift
STAGES=${*:-build cuda unit cli bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${OUT:-$ROOT/gpu_check_out}
LOGS=$(mktemp -d /tmp/gpu_check.XXXXXX)
BUILD=$ROOT/build-gpu
RUNS=$LOGS/runs
mkdir -p "$RESULTS" "$RUNS"
cd "$ROOT"
export OPENBLAS_CORETYPE=Haswell GAN_FASHION_DIR=$DATA GAN_FASHION_MNIST_DIR=$DATA
T0=$(date +%s)
SUMMARY=()

note() { echo "== $*"; }
elapsed() { echo $(( $(date +%s) - T0 ))s; }
result() { SUMMARY+=("$(printf '%-6s %-4s %s (at %s)' "$1" "$2" "$3" "$(elapsed)")"); }
want() { case " $STAGES " in *" $1 "*) return 0;; esac; return 1; }

{
    echo "date: $(date -u)"; uname -a
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1
    nvcc --version 2>&1 | tail -1; gcc --version | head -1; cmake --version | head -1
    git -C "$ROOT" log --oneline -1 2>/dev/null
} > "$LOGS/machine.txt" 2>&1
cat "$LOGS/machine.txt"

if want build; then
    note "build (Release, Ninja) -> $BUILD"
    if cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=ON \
            > "$LOGS/configure.log" 2>&1 &&
       cmake --build "$BUILD" -j16 > "$LOGS/build.log" 2>&1; then
        result build ok "$(grep -c 'warning' "$LOGS/build.log") warnings"
    else
        tail -40 "$LOGS/configure.log" "$LOGS/build.log"
        cp "$LOGS/configure.log" "$LOGS/build.log" "$RESULTS/"
        result build FAIL "see build.log"
        printf '%s\n' "${SUMMARY[@]}"
        exit 1
    fi
fi

if want cuda; then
    note "CUDA tests (GAN_TEST_REQUIRE_CUDA=1)"
    if (cd "$BUILD" && GAN_TEST_REQUIRE_CUDA=1 timeout 240 ctest -L cuda -V) \
            > "$LOGS/ctest_cuda.log" 2>&1; then
        result cuda ok "$(grep -E 'tests passed' "$LOGS/ctest_cuda.log")"
    else
        result cuda FAIL "$(grep -E 'tests passed|tests failed' "$LOGS/ctest_cuda.log")"
    fi
    grep -E "one step|graph replays|samples:|after 30 steps|out of memory:|device error:|CHECK \
failed|FAILED|Passed|Failed" "$LOGS/ctest_cuda.log" | sed 's/^[0-9]*: //' | head -60
fi

if want unit; then
    note "CPU unit tests"
    if (cd "$BUILD" && timeout 180 ctest -L unit -j8 --output-on-failure) \
            > "$LOGS/ctest_unit.log" 2>&1; then
        result unit ok "$(grep -E 'tests passed' "$LOGS/ctest_unit.log")"
    else
        result unit FAIL "$(grep -E 'tests passed|tests failed' "$LOGS/ctest_unit.log")"
        grep -E "Failed|CHECK failed" "$LOGS/ctest_unit.log" | head -20
    fi
fi

if want cli; then
    note "gan train / gan sample on the GPU"
    GAN=$BUILD/gan
    ok=1
    rm -rf "$RUNS"/*
    # the seed model, one epoch at batch 64 (937 steps)
    ( time timeout 60 "$GAN" train --data "$DATA" --model mlp --device cuda --epochs 1 --log-every 200 \
        --out "$RUNS/mlp" ) > "$LOGS/train_mlp.log" 2>&1 || ok=0
    # dcgan: 300 steps with checkpoints, then resumed to 400 (on the GPU)
    timeout 60 "$GAN" train --data "$DATA" --model dcgan --device cuda --steps 300 --log-every 100 \
        --checkpoint-every 150 --out "$RUNS/dcgan" > "$LOGS/train_dcgan.log" 2>&1 || ok=0
    timeout 60 "$GAN" train --resume "$RUNS/dcgan" --steps 400 --device cuda --log-every 100 \
        >> "$LOGS/train_dcgan.log" 2>&1 || ok=0
    # the same 400 dcgan steps with TF32 products
    timeout 60 "$GAN" train --data "$DATA" --model dcgan --device cuda --tf32 --steps 400 --log-every 100 \
        --out "$RUNS/dcgan_tf32" >> "$LOGS/train_dcgan.log" 2>&1 || ok=0
    # bf16: 300 steps, resumed to 400 in its precision; another precision is refused (exit 2)
    timeout 60 "$GAN" train --data "$DATA" --model dcgan --device cuda --precision bf16 --steps 300 \
        --log-every 100 --checkpoint-every 150 --out "$RUNS/dcgan_bf16" >> "$LOGS/train_dcgan.log" 2>&1 || ok=0
    timeout 60 "$GAN" train --resume "$RUNS/dcgan_bf16" --steps 400 --device cuda --log-every 100 \
        >> "$LOGS/train_dcgan.log" 2>&1 || ok=0
    timeout 60 "$GAN" train --resume "$RUNS/dcgan_bf16" --steps 500 --device cuda --precision fp32 \
        >> "$LOGS/train_dcgan.log" 2>&1
    [ $? -eq 2 ] || { echo "bf16 resume with --precision fp32 was not refused"; ok=0; }
    "$GAN" sample "$RUNS/dcgan_bf16" --n 64 --out "$RUNS/dcgan_bf16.png" --device cpu \
        >> "$LOGS/sample.log" 2>&1 || ok=0
    tail -4 "$LOGS/train_mlp.log"; grep -E "step (100|300|400)/|contradicts" "$LOGS/train_dcgan.log"
    # samples on both devices from the same checkpoint
    for dev in cpu cuda; do
        "$GAN" sample "$RUNS/mlp" --n 300 --float --out "$RUNS/mlp_$dev.npy" --device $dev \
            >> "$LOGS/sample.log" 2>&1 || ok=0
        "$GAN" sample "$RUNS/dcgan" --n 64 --out "$RUNS/dcgan_$dev.png" --device $dev \
            >> "$LOGS/sample.log" 2>&1 || ok=0
    done
    python3 - "$RUNS/mlp_cpu.npy" "$RUNS/mlp_cuda.npy" <<'PY' >> "$LOGS/sample.log" 2>&1 || ok=0
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
d = float(np.abs(a.astype(np.float64) - b).max())
print(f"gan sample mlp: cpu vs cuda max |d| = {d:.3g} over {a.size} values")
sys.exit(0 if d <= 1e-4 else 1)
PY
    tail -1 "$LOGS/sample.log"
    # no GPU visible: one clear line, non-zero exit
    CUDA_VISIBLE_DEVICES= "$GAN" train --data "$DATA" --device cuda --steps 1 \
        --out "$RUNS/nogpu" > "$LOGS/nogpu.log" 2>&1
    rc=$?
    echo "without a GPU: exit $rc: $(cat "$LOGS/nogpu.log")"
    [ $rc -ne 0 ] && [ "$(wc -l < "$LOGS/nogpu.log")" -eq 1 ] || ok=0
    if [ $ok = 1 ]; then result cli ok "train mlp/dcgan, resume, tf32, bf16 + resume, sample cpu=cuda, no-GPU refusal"
    else result cli FAIL "see train_*.log, sample.log, nogpu.log"; fi
fi

if want gemm; then
    # the products' path (src/cuda/gemm_lt.cu): cuBLAS alone against the per-shape choice,
    # mlp at batch 64 and dcgan at 1024, fp32 and tf32; auto's plans go to gemm_plans.txt
    note "products: GAN_CUDA_GEMM=blas against auto (bench_gpu, same run)"
    ok=1
    : > "$LOGS/gemm_ab.txt"
    for prec in fp32 tf32; do
        for run in "mlp 64 2000" "dcgan 1024 200"; do
            for g in blas auto; do
                line=$(GAN_CUDA_GEMM=$g GAN_CUDA_GEMM_VERBOSE=1 timeout 120 "$BUILD/bench_gpu" \
                    $run synthetic --repeats 3 --precision $prec 2>> "$LOGS/gemm_plans.txt") || ok=0
                echo "GAN_CUDA_GEMM=$g $run $prec: $line" >> "$LOGS/gemm_ab.txt"
            done
        done
    done
    cat "$LOGS/gemm_ab.txt"
    cp "$LOGS/gemm_ab.txt" "$LOGS/gemm_plans.txt" "$RESULTS/" 2>/dev/null
    if [ $ok = 1 ]; then result gemm ok "ms/step blas vs auto in gemm_ab.txt, plans in gemm_plans.txt"
    else result gemm FAIL "see gemm_ab.txt, gemm_plans.txt"; fi
fi

if want bench; then
    note "benchmark: gan.c vs PyTorch (eager, torch.compile) on this GPU"
    PYTHONUNBUFFERED=1 timeout 400 python3 bench/bench_gpu.py --bench "$BUILD/bench_gpu" --data "$DATA" \
        --json "$LOGS/bench_gpu.json" --budget 320 ${BENCH_ARGS:-} 2> "$LOGS/bench_gpu.err" \
        | tee "$LOGS/bench_gpu.txt"
    if [ "${PIPESTATUS[0]}" -eq 0 ]; then
        result bench ok "table in bench_gpu.txt"
    else
        tail -20 "$LOGS/bench_gpu.err"
        result bench FAIL "see bench_gpu.err"
    fi
fi

{
    echo
    echo "== summary ($(elapsed) in all; results in $RESULTS)"
    printf '%s\n' "${SUMMARY[@]}"
} | tee "$RESULTS/summary.txt"
for f in ctest_cuda.log bench_gpu.txt bench_gpu.json; do
    [ -f "$LOGS/$f" ] && cp "$LOGS/$f" "$RESULTS/"
done
tar czf "$RESULTS/logs.tar.gz" -C "$LOGS" --exclude=runs . 2>/dev/null
for s in "${SUMMARY[@]}"; do case "$s" in *" FAIL "*) exit 1;; esac; done
exit 0
