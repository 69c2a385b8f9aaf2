#!/usr/bin/python3
"""Benchmark gan.c against PyTorch on the dcgan preset, on the CPU, side by side.

The driver of bench/bench_seed.py (same options, measurements, table and JSON; see
bench/README.md) with the DCGAN model: for each batch size it runs

    <gan> train --model dcgan --data DIR --batch-size B --steps S --threads T ...
    /usr/bin/python3 bench/torch_dcgan.py --batch-size B --steps S --threads T ...

as child processes and reports images/s (after the warm-up), their ratio, the peak
RSS of each, and the 1-minute load average before and after each run.

    bench/bench_dcgan.py --gan build/gan                   # table (~5 minutes)
    bench/bench_dcgan.py --gan build/gan --repeats 3       # medians of 3 interleaved runs
    bench/bench_dcgan.py --engines torch                   # PyTorch only
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_seed  # noqa: E402  (imports neither torch nor numpy: the driver stays small)

bench_seed.configure(
    name="bench_dcgan",
    title="DCGAN (gan.c's dcgan preset)",
    model="dcgan",
    torch_script=os.path.join(bench_seed.HERE, "torch_dcgan.py"),
    # ~19k and ~51k images: PyTorch takes about a minute for each on 2 cores
    default_steps={64: 300, 256: 200},
    default_images=19200,
)

if __name__ == "__main__":
    sys.exit(bench_seed.main())
