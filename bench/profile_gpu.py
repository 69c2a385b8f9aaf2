#!/usr/bin/env python3
"""Where a gan.c training step spends its GPU time, kernel by kernel.

Runs bench_gpu (as the shared library libbench_gpu_lib.so) inside PyTorch's profiler,
whose CUPTI tracing sees every kernel of the process, those replayed from gan.c's CUDA
graph included, and prints the kernels by total GPU time. A lab tool (no nsys needed).

    python3 bench/profile_gpu.py build/libbench_gpu_lib.so MODEL BATCH [STEPS] [DATA] [-- bench args]

STEPS as A:B (e.g. 50:250) profiles two processes, of A and of B steps, and prints the
difference divided by B - A: the steady step alone, without what happens once per run
(cuDNN's algorithm search, cuBLASLt's timed plans, the warm-up, the graph's capture).
"""
import json
import os
import subprocess
import ctypes
import sys

import torch
from torch.profiler import ProfilerActivity, profile


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    lib, model, batch = sys.argv[1:4]
    steps = sys.argv[4] if len(sys.argv) > 4 else "100"
    data = sys.argv[5] if len(sys.argv) > 5 else "synthetic"
    extra = sys.argv[6:]
    if ":" in steps:
        return steady(lib, model, batch, steps, data, extra)
    bench = ctypes.CDLL(lib)
    argv = [b"bench_gpu", model.encode(), batch.encode(), steps.encode(), data.encode(),
            b"--repeats", b"1"] + [a.encode() for a in extra]
    arr = (ctypes.c_char_p * len(argv))(*argv)
    torch.cuda.init()
    torch.zeros(1, device="cuda")
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        rc = bench.bench_gpu_main(len(argv), arr)
    sys.stdout.flush()
    total_steps = int(steps) + 30
    print(f"== {model} batch {batch} {' '.join(extra)}: GPU time by kernel over {total_steps} "
          f"steps (bench rc {rc})")
    rows = []
    for e in prof.key_averages():
        t = getattr(e, "device_time_total", None) or getattr(e, "cuda_time_total", 0)
        if t > 0:
            rows.append((t, e.count, e.key))
    rows.sort(reverse=True)
    if os.environ.get("PROFILE_GPU_JSON"):
        with open(os.environ["PROFILE_GPU_JSON"], "w") as f:
            json.dump(rows, f)
    total = sum(r[0] for r in rows)
    print(f"{'us/step':>9} {'%':>5} {'calls/step':>10}  kernel")
    for t, n, name in rows[:30]:
        print(f"{t / total_steps:9.2f} {100 * t / total:5.1f} {n / total_steps:10.2f}  {name[:110]}")
    print(f"{total / total_steps:9.2f} total us/step of kernel time")
    return 0


def steady(lib, model, batch, steps, data, extra):
    """Per-kernel GPU time of B - A steps: two runs' totals subtracted."""
    a, b = (int(x) for x in steps.split(":"))
    if not 0 < a < b:
        print(f"profile_gpu: steps {steps}: want A:B with 0 < A < B", file=sys.stderr)
        return 2
    totals = []
    for n in (a, b):
        path = f"/tmp/profile_gpu_{os.getpid()}_{n}.json"
        env = dict(os.environ, PROFILE_GPU_JSON=path)
        r = subprocess.run([sys.executable, __file__, lib, model, batch, str(n), data] + extra,
                           env=env, stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            print(f"profile_gpu: the {n}-step run failed (rc {r.returncode})", file=sys.stderr)
            return 1
        with open(path) as f:
            totals.append({name: (t, c) for t, c, name in json.load(f)})
        os.unlink(path)
    ta, tb = totals
    rows = []
    for name, (t, c) in tb.items():
        t0, c0 = ta.get(name, (0, 0))
        rows.append(((t - t0) / (b - a), (c - c0) / (b - a), name))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    print(f"== {model} batch {batch} {' '.join(extra)}: the steady step, GPU time by kernel "
          f"(runs of {b} and {a} steps, subtracted)")
    print(f"{'us/step':>9} {'%':>5} {'calls/step':>10}  kernel")
    for t, n, name in rows[:30]:
        if abs(t) >= 0.05:
            print(f"{t:9.2f} {100 * t / total:5.1f} {n:10.2f}  {name[:110]}")
    print(f"{total:9.2f} total us/step of kernel time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
