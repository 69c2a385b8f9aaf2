#!/usr/bin/env python3
"""Benchmark gan.c against PyTorch on one GPU: the seed model (mlp), dcgan and dcgan64
(the dcgan preset written for 3x64x64 data: the Radford et al. stack; --models dcgan64
--batches 64 for the issue's 64x64 RGB DCGAN at batch 64).

For each model and batch size it times a training iteration of

  gan.c       bench/bench_gpu.c: gan_trainer_step on the GPU (dataset on the GPU,
              the whole step replayed from a CUDA graph) in each --precision: fp32,
              tf32 and bf16;
  PyTorch     the same models (mirroring src/presets.c): eager float32 with TF32 off
              for matmuls and cuDNN ("torch eager"), eager with TF32 on ("torch tf32"),
              AMP bf16 autocast with channels_last tensors ("torch bf16 cl", TF32 on
              outside autocast), and torch.compile of the float32 models; the same
              batch composition (D on [real; fake], then
              G through the updated D with D's parameters frozen), Adam(2e-4, (0.5,
              0.999), eps 1e-7), data as a uint8 tensor on the GPU gathered by the
              epoch's permutation, noise from torch.randn on the GPU, losses summed
              on the GPU (no .item() per step): eager, and with torch.compile on G
              and D (default mode);

and prints ms/step (median of repeats), images/s, peak GPU memory, the ratios and the
achieved TFLOP/s (the step's convolution and matrix-product FLOPs, counted from the
layer shapes: G forward + backward, D forward on real and fake with backward, and D
forward + data gradient for G's step) with its share of the card's dense peak for
that precision (H100/H200 SXM: fp32 67, tf32 495, bf16 989 TFLOP/s).
Peak memory: torch.cuda.max_memory_allocated for PyTorch; for gan.c the backend's
peak allocation (models, dataset, step buffers) and, in brackets, the drop in free
device memory from before the trainer was made (which adds cuBLAS's and the graph's
own allocations).

    python3 bench/bench_gpu.py --bench build/bench_gpu --data DIR [--json FILE]

Each PyTorch configuration runs in its own process (fresh peak-memory counter, a
hung compile cannot stop the rest); --budget SECONDS skips what would start after it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

def log(msg):
    print(f"bench_gpu: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- PyTorch child


def torch_child(a):
    """Time one PyTorch configuration; print one JSON line."""
    import gzip
    import struct

    import numpy as np
    import torch
    from torch import nn

    tensor_cores = a.mode in ("tf32", "bf16cl")
    torch.backends.cuda.matmul.allow_tf32 = tensor_cores
    torch.backends.cudnn.allow_tf32 = tensor_cores
    torch.backends.cudnn.benchmark = tensor_cores  # fp32 eager: as the earlier baseline
    amp = a.mode == "bf16cl"
    cl = torch.channels_last if amp and a.model != "mlp" else torch.contiguous_format
    torch.manual_seed(1)
    dev = torch.device("cuda")
    B = a.batch

    def load(path):
        if os.path.isdir(path):
            for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"):
                if os.path.exists(os.path.join(path, name)):
                    path = os.path.join(path, name)
                    break
        if a.model == "dcgan64":  # timing only: random RGB pixels (the content costs nothing)
            return torch.randint(0, 256, (60000 if path == "synthetic" else 7572, 3, 64, 64),
                                 dtype=torch.uint8)
        if path == "synthetic" or os.path.isdir(path):  # no images file: random pixels
            n = 60000
            return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8)
        raw = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
        _, n, h, w = struct.unpack(">IIII", raw[:16])
        return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, h, w).copy())

    def bn1(c):
        return nn.BatchNorm1d(c, eps=1e-3, momentum=0.01)

    def bn2(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)

    class View(nn.Module):
        def __init__(self, *shape):
            super().__init__()
            self.shape = shape

        def forward(self, x):
            return x.view(x.shape[0], *self.shape)

    if a.model == "mlp":
        g = nn.Sequential(nn.Linear(100, 256), nn.LeakyReLU(0.2), bn1(256),
                          nn.Linear(256, 512), nn.LeakyReLU(0.2), bn1(512),
                          nn.Linear(512, 1024), nn.LeakyReLU(0.2), bn1(1024),
                          nn.Linear(1024, 784), nn.Tanh(), View(1, 28, 28))
        d = nn.Sequential(nn.Flatten(), nn.Linear(784, 1024), nn.LeakyReLU(0.2),
                          nn.Linear(1024, 512), nn.LeakyReLU(0.2),
                          nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    elif a.model == "dcgan64":  # models/dcgan.gan written for 3x64x64 (src/spec/auto.c)
        def bnp(c):  # PyTorch's defaults, as the written spec
            return nn.BatchNorm2d(c)

        g = nn.Sequential(View(100, 1, 1), nn.ConvTranspose2d(100, 512, 4, 1, 0), bnp(512), nn.ReLU(),
                          nn.ConvTranspose2d(512, 256, 4, 2, 1), bnp(256), nn.ReLU(),
                          nn.ConvTranspose2d(256, 128, 4, 2, 1), bnp(128), nn.ReLU(),
                          nn.ConvTranspose2d(128, 64, 4, 2, 1), bnp(64), nn.ReLU(),
                          nn.ConvTranspose2d(64, 3, 4, 2, 1), nn.Tanh())
        d = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                          nn.Conv2d(64, 128, 4, 2, 1), bnp(128), nn.LeakyReLU(0.2),
                          nn.Conv2d(128, 256, 4, 2, 1), bnp(256), nn.LeakyReLU(0.2),
                          nn.Conv2d(256, 512, 4, 2, 1), bnp(512), nn.LeakyReLU(0.2),
                          nn.Conv2d(512, 1, 4, 1, 0), nn.Flatten())
    else:
        g = nn.Sequential(nn.Linear(100, 7 * 7 * 128), View(128, 7, 7), bn2(128), nn.ReLU(),
                          nn.ConvTranspose2d(128, 64, 4, 2, 1), bn2(64), nn.ReLU(),
                          nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
        d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                          nn.Conv2d(64, 128, 4, 2, 1), bn2(128), nn.LeakyReLU(0.2),
                          nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    g, d = g.to(dev, memory_format=cl).train(), d.to(dev, memory_format=cl).train()
    if a.compile:
        # inductor's channels-last layout choice breaks this model's transposed
        # convolution backward (PyTorch 2.11: a stride assertion); keep NCHW
        import torch._inductor.config as inductor_config
        inductor_config.layout_optimization = False
        gc, dc = torch.compile(g, dynamic=False), torch.compile(d, dynamic=False)
    else:
        gc, dc = g, d
    bce = nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    d_params = list(d.parameters())
    data = load(a.data).to(dev)
    n = data.shape[0]
    per_epoch = n // B
    targets_d = torch.cat([torch.ones(B, 1), torch.zeros(B, 1)]).to(dev)
    ones = torch.ones(B, 1, device=dev)
    sums = torch.zeros(2, device=dev)
    state = {"step": 0, "perm": None}

    def step():
        i = state["step"] % per_epoch
        if i == 0:
            state["perm"] = torch.randperm(n, device=dev)
        real = data[state["perm"][i * B:(i + 1) * B]].float().sub_(127.5).div_(127.5)
        if amp:
            real = real.contiguous(memory_format=cl)
        z = torch.randn(B, 100, device=dev)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            fake = gc(z)
        opt_d.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            if a.model == "mlp":
                out_d = dc(torch.cat([real, fake.detach()]))
            else:  # D with batch norm: real and fake as separate batches, as gan.c does
                out_d = torch.cat([dc(real), dc(fake.detach())])
        loss_d = bce(out_d.float(), targets_d)
        loss_d.backward()
        opt_d.step()
        for p in d_params:
            p.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            out_g = dc(fake)
        loss_g = bce(out_g.float(), ones)
        loss_g.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)
        sums[0] += loss_d.detach()
        sums[1] += loss_g.detach()
        state["step"] += 1

    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.warmup):
        step()
    torch.cuda.synchronize()
    warm_s = time.perf_counter() - t0
    times = []
    for _ in range(a.repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(a.steps):
            step()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / a.steps)
    ms = statistics.median(times)
    print(json.dumps({
        "engine": "torch.compile" if a.compile else TORCH_ENGINES[a.mode], "model": a.model, "batch": B,
        "steps": a.steps, "repeats": a.repeats, "ms_per_step": ms, "ms_min": min(times),
        "ms_max": max(times), "images_per_s": B * 1e3 / ms, "warmup_s": warm_s,
        "peak_bytes": torch.cuda.max_memory_allocated(), "torch": torch.__version__,
        "loss_d": float(sums[0]) / state["step"], "loss_g": float(sums[1]) / state["step"],
        "gpu": torch.cuda.get_device_name()}), flush=True)


# ---------------------------------------------------------------------- driver


def run_json(cmd, timeout):
    log(" ".join(cmd))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (p.stderr or p.stdout).strip().splitlines()[-8:]
    return {"error": f"exit {p.returncode}: " + " | ".join(tail)}


TORCH_ENGINES = {"fp32": "torch eager", "tf32": "torch tf32", "bf16cl": "torch bf16 cl"}
PEAK_TFLOPS = {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4}  # H100/H200 SXM, dense


def precision_of(engine):
    for p in ("bf16", "tf32"):
        if p in engine:
            return p
    return "fp32"


def forward_flops(model):
    """Forward FLOPs per image of (G, D): 2 x the multiply-adds of the linear,
    convolution and transposed-convolution layers (the rest is memory-bound)."""
    def lin(i, o):
        return 2 * i * o

    def conv(cin, cout, k, out_hw):  # per output position: cin k k MACs per channel
        return 2 * cin * cout * k * k * out_hw * out_hw

    def convt(cin, cout, k, in_hw):  # per input position: cout k k MACs per channel
        return 2 * cin * cout * k * k * in_hw * in_hw

    if model == "mlp":
        return (lin(100, 256) + lin(256, 512) + lin(512, 1024) + lin(1024, 784),
                lin(784, 1024) + lin(1024, 512) + lin(512, 256) + lin(256, 1))
    if model == "dcgan64":
        return (convt(100, 512, 4, 1) + convt(512, 256, 4, 4) + convt(256, 128, 4, 8)
                + convt(128, 64, 4, 16) + convt(64, 3, 4, 32),
                conv(3, 64, 4, 32) + conv(64, 128, 4, 16) + conv(128, 256, 4, 8)
                + conv(256, 512, 4, 4) + conv(512, 1, 4, 1))
    return (lin(100, 6272) + convt(128, 64, 4, 7) + convt(64, 1, 4, 14),
            conv(1, 64, 4, 14) + conv(64, 128, 4, 7) + lin(6272, 1))


def step_flops(model, batch):
    """G: forward + backward (2x); D: forward on real and fake + backward (2x) on
    both; G's step: D forward on fake + its data gradient."""
    g, d = forward_flops(model)
    return batch * (3 * g + 2 * d + 4 * d + 2 * d)


def steps_for(model, batch, engine):
    """Steps per timed repeat: about 0.3-1 s each."""
    if engine == "gan.c":
        return {("mlp", 64): 2000, ("mlp", 256): 1000, ("mlp", 1024): 500, ("dcgan", 64): 1000,
                ("dcgan", 256): 400, ("dcgan", 1024): 100, ("dcgan64", 64): 150,
                ("dcgan64", 256): 40}.get((model, batch), 100)
    if model == "dcgan64":
        return {64: 60, 256: 20}.get(batch, 20)
    return {64: 150, 256: 100, 1024: 40}.get(batch, 40)


def mib(b):
    return f"{b / 2**20:,.0f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", default="build/bench_gpu", help="the bench_gpu binary")
    p.add_argument("--data", default="synthetic", help="Fashion-MNIST folder or images file")
    p.add_argument("--models", default="mlp,dcgan,dcgan64")
    p.add_argument("--batches", default="64,256,1024", help="for mlp and dcgan (28x28)")
    p.add_argument("--batches64", default="64,256", help="for dcgan64 (64x64 RGB)")
    p.add_argument("--engines", default="gan.c,gan.c tf32,gan.c bf16,torch eager,torch tf32,"
                   "torch bf16 cl,torch.compile", help="which rows to run")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    p.add_argument("--no-torch", action="store_true", help="gan.c only")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--budget", type=float, default=900,
                   help="seconds; PyTorch rows that would start later are skipped (default 900: the "
                   "whole default set, torch.compile rows included, at 5 repeats)")
    p.add_argument("--json", help="write all results here")
    # internal: one PyTorch configuration
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    p.add_argument("--warmup", type=int, default=20, help=argparse.SUPPRESS)
    p.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mode", default="fp32", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.torch_child:
        return torch_child(a)

    t_start = time.time()
    models = [m for m in a.models.split(",") if m]
    batches28 = [int(b) for b in a.batches.split(",") if b]
    batches64 = [int(b) for b in a.batches64.split(",") if b]
    configs = [(m, b) for m in models for b in (batches64 if m == "dcgan64" else batches28)]
    wanted = [e.strip() for e in a.engines.split(",") if e.strip()]
    if a.no_compile and "torch.compile" in wanted:
        wanted.remove("torch.compile")
    if a.no_torch:
        wanted = [e for e in wanted if e.startswith("gan.c")]
    results = []

    def over_budget(what):
        if time.time() - t_start > a.budget:
            log(f"skipped {what}: over the {a.budget:.0f} s budget")
            return True
        return False

    # gan.c first (fast), then PyTorch eager, then torch.compile (slow to warm up)
    for model, b in configs:
        for engine in [e for e in wanted if e.startswith("gan.c")]:
            cmd = [a.bench, model, str(b), str(steps_for(model, b, "gan.c")), a.data,
                   "--repeats", str(a.repeats), "--precision", precision_of(engine)]
            r = run_json(cmd, 120)
            r.update({"engine": engine, "model": model, "batch": b})
            results.append(r)
    modes = {v: k for k, v in TORCH_ENGINES.items()}
    for name in [e for e in wanted if not e.startswith("gan.c")]:
        for model, b in configs:
            if over_budget(f"{name} {model} {b}"):
                results.append({"engine": name, "model": model, "batch": b, "error": "skipped (budget)"})
                continue
            cmd = [sys.executable, os.path.abspath(__file__), "--torch-child", "--model", model,
                   "--batch", str(b), "--steps", str(steps_for(model, b, "torch")),
                   "--data", a.data, "--repeats", str(a.repeats),
                   "--mode", modes.get(name, "fp32")]
            if name == "torch.compile":
                cmd += ["--compile", "--warmup", "8"]
            r = run_json(cmd, 240 if name == "torch.compile" else 90)
            r.update({"engine": name, "model": model, "batch": b})
            results.append(r)

    def find(engine, model, b):
        for r in results:
            if r["engine"] == engine and r["model"] == model and r["batch"] == b and "error" not in r:
                return r
        return None

    gpu = next((r["gpu"] for r in results if "gpu" in r), "unknown GPU")
    tv = next((r["torch"] for r in results if "torch" in r), "?")
    print(f"GPU: {gpu}; PyTorch {tv}; float32 (TF32 off) unless marked tf32 or bf16; "
          f"ms/step = median of {a.repeats} repeats after warm-up")
    print()
    hdr = ("model", "batch", "engine", "ms/step", "images/s", "peak MiB", "TFLOP/s (% peak)",
           "x eager", "x best torch")
    rows = []
    known_peak = any(k in gpu for k in ("H100", "H200"))
    for model, b in configs:
            eager = find("torch eager", model, b)
            torch_rows = [find(e, model, b) for e in wanted if not e.startswith("gan.c")]
            torch_rows = [r for r in torch_rows if r]
            best = min(torch_rows, key=lambda r: r["ms_per_step"]) if torch_rows else None
            for engine in wanted:
                r = next((x for x in results if x["engine"] == engine and x["model"] == model
                          and x["batch"] == b), None)
                if r is None:
                    continue
                if "error" in r:
                    rows.append((model, str(b), engine, "-", "-", "-", "-", "-", r["error"][:60]))
                    continue
                if engine.startswith("gan.c"):
                    peak = f"{mib(r['backend_peak_bytes'])} ({mib(r['device_used_delta_bytes'])})"
                else:
                    peak = mib(r["peak_bytes"])
                ms = r["ms_per_step"]
                tf = step_flops(model, b) / (ms * 1e-3) / 1e12
                r["tflops"] = tf
                share = f" ({100 * tf / PEAK_TFLOPS[precision_of(engine)]:.1f}%)" if known_peak else ""
                xe = f"{eager['ms_per_step'] / ms:.2f}x" if eager else "-"
                xc = f"{best['ms_per_step'] / ms:.2f}x" if best else "-"
                rows.append((model, str(b), engine, f"{ms:.3f}", f"{r['images_per_s']:,.0f}", peak,
                             f"{tf:.1f}{share}", xe, xc))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
    print("  ".join(h.ljust(w) for h, w in zip(hdr, widths)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()
    print("x eager / x best torch: torch eager's (fp32) and the fastest PyTorch row's ms/step over "
          "this row's (>1: this row is faster).")
    print("TFLOP/s: the step's FLOPs (bench_gpu.py step_flops) per second; % of the dense peak of "
          "the row's precision.")
    print("gan.c peak: backend allocations (drop in free device memory since before the trainer).")
    aims = []
    for model, b in configs:
        gans = [find(e, model, b) for e in wanted if e.startswith("gan.c")]
        gans = [r for r in gans if r]
        torch_rows = [find(e, model, b) for e in wanted if not e.startswith("gan.c")]
        torch_rows = [r for r in torch_rows if r]
        if gans and torch_rows:
            g = min(gans, key=lambda r: r["ms_per_step"])
            t = min(torch_rows, key=lambda r: r["ms_per_step"])
            x = t["ms_per_step"] / g["ms_per_step"]
            aims.append(f"{model} b{b}: fastest gan.c ({g['engine']}) {x:.2f}x the fastest PyTorch "
                        f"({t['engine']}) (aim 2x) {'MET' if x >= 2 else 'not met'}")
        r, e = find("gan.c", model, b), find("torch eager", model, b)
        if r and e:
            x = e["ms_per_step"] / r["ms_per_step"]
            aim = 20 if (model, b) == ("mlp", 64) else 3
            aims.append(f"{model} b{b}: gan.c fp32 {x:.2f}x torch eager fp32 (aim {aim}x) "
                        f"{'MET' if x >= aim else 'not met'}")
    for line in aims:
        print(line)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": results, "elapsed_s": time.time() - t_start}, f, indent=1)
    return 1 if any("error" in r and not r["error"].startswith("skipped") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
