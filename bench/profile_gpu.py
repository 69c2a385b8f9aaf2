#!/usr/bin/env python3
"""Where a gan.c training step spends its GPU time, kernel by kernel.

Runs bench_gpu (as the shared library libbench_gpu_lib.so) inside PyTorch's profiler,
whose CUPTI tracing sees every kernel of the process, those replayed from gan.c's CUDA
graph included, and prints the kernels by total GPU time. A lab tool (no nsys needed).

    python3 bench/profile_gpu.py build/libbench_gpu_lib.so MODEL BATCH [STEPS] [DATA] [-- bench args]
"""
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
    total = sum(r[0] for r in rows)
    print(f"{'us/step':>9} {'%':>5} {'calls/step':>10}  kernel")
    for t, n, name in rows[:30]:
        print(f"{t / total_steps:9.2f} {100 * t / total:5.1f} {n / total_steps:10.2f}  {name[:110]}")
    print(f"{total / total_steps:9.2f} total us/step of kernel time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
