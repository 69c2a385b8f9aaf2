#!/usr/bin/python3
"""64x64 RGB DCGAN training on the CPU, gan.c against PyTorch, side by side.

gan.c:   gan train --model dcgan --resolution 64 --init dcgan on the emoji folder
         (the dcgan preset written for 3x64x64: the Radford et al. stack,
         src/spec/auto.c), batch 64;
PyTorch: the same model (ConvTranspose2d/Conv2d with bias, BatchNorm2d with
         PyTorch's defaults, N(0, 0.02) init), the same step (D on the real and
         the fake batch separately, then G through the updated D), Adam(2e-4,
         (0.5, 0.999), eps 1e-7), on random uint8 images of the same shape
         (7,572 x 3 x 64 x 64; the pixel values do not change the cost).

Each runs as a child process with the same threads; images/s counts the steps
after the first WARMUP, peak memory is the child's maximum RSS (wait4).

    bench/bench_dcgan64.py --gan build/gan --data data/emoji [--steps 30] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

WARMUP = 5


def torch_child(a):
    import torch
    from torch import nn
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    bn = nn.BatchNorm2d
    g = nn.Sequential(nn.Unflatten(1, (100, 1, 1)),
                      nn.ConvTranspose2d(100, 512, 4, 1, 0), bn(512), nn.ReLU(),
                      nn.ConvTranspose2d(512, 256, 4, 2, 1), bn(256), nn.ReLU(),
                      nn.ConvTranspose2d(256, 128, 4, 2, 1), bn(128), nn.ReLU(),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), bn(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 3, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 4, 2, 1), bn(128), nn.LeakyReLU(0.2),
                      nn.Conv2d(128, 256, 4, 2, 1), bn(256), nn.LeakyReLU(0.2),
                      nn.Conv2d(256, 512, 4, 2, 1), bn(512), nn.LeakyReLU(0.2),
                      nn.Conv2d(512, 1, 4, 1, 0), nn.Flatten())
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
    B = a.batch
    data = torch.randint(0, 256, (7572, 3, 64, 64), dtype=torch.uint8)
    bce = nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)
    perm = torch.randperm(data.shape[0])
    t_warm = None
    for step in range(a.steps):
        if step == WARMUP:
            t_warm = time.perf_counter()
        idx = perm[(step * B) % (data.shape[0] - B):][:B]
        real = data[idx].float().sub_(127.5).div_(127.5)
        fake = g(torch.randn(B, 100))
        opt_d.zero_grad(set_to_none=True)
        loss_d = (bce(d(real), ones) + bce(d(fake.detach()), zeros)) / 2
        loss_d.backward()
        opt_d.step()
        for p in d.parameters():
            p.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        loss_g = bce(d(fake), ones)
        loss_g.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)
    dt = time.perf_counter() - t_warm
    print(json.dumps({"images_per_s": (a.steps - WARMUP) * B / dt, "torch": torch.__version__,
                      "loss_d": float(loss_d), "loss_g": float(loss_g)}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gan", default="build/gan")
    ap.add_argument("--data", default="data/emoji")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_child:
        return torch_child(a)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        # the shaped pack once, outside the timing
        subprocess.run([a.gan, "data", "info", a.data, "--resolution", "64"], check=True,
                       capture_output=True)
        cmds = {
            "gan.c": [a.gan, "train", "--model", "dcgan", "--data", a.data, "--resolution", "64",
                      "--init", "dcgan", "--batch-size", str(a.batch), "--steps", str(a.steps),
                      "--threads", str(a.threads), "--log-every", str(WARMUP), "--quiet",
                      "--checkpoint-every", "0", "--out", os.path.join(tmp, "run")],
            "PyTorch": [sys.executable, os.path.abspath(__file__), "--torch-child", "--steps",
                        str(a.steps), "--batch", str(a.batch), "--threads", str(a.threads)],
        }
        for name, cmd in cmds.items():
            print(f"bench_dcgan64: {' '.join(cmd)}", file=sys.stderr, flush=True)
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, status, ru = os.wait4(p.pid, 0)
            out, err = p.stdout.read(), p.stderr.read()
            if status != 0:
                sys.exit(f"bench_dcgan64: {name} failed: {err.strip()[-500:]}")
            if name == "gan.c":
                rows = [json.loads(l) for l in open(os.path.join(tmp, "run", "log.jsonl"))
                        if '"loss_d"' in l]
                first, last = rows[0], rows[-1]
                ips = (last["step"] - first["step"]) * a.batch / (last["seconds"] - first["seconds"])
            else:
                ips = json.loads(out.strip().splitlines()[-1])["images_per_s"]
            results[name] = {"images_per_s": ips, "peak_mb": ru.ru_maxrss / 1024}
    r = results
    print(f"| engine | images/s | peak RSS MB |\n|---|---:|---:|")
    for name in ("gan.c", "PyTorch"):
        print(f"| {name} | {r[name]['images_per_s']:.1f} | {r[name]['peak_mb']:.0f} |")
    print(f"\ngan.c / PyTorch: {r['gan.c']['images_per_s'] / r['PyTorch']['images_per_s']:.2f}x "
          f"images/s, {r['gan.c']['peak_mb'] / r['PyTorch']['peak_mb']:.2f}x memory "
          f"(batch {a.batch}, {a.steps} steps, {a.threads} threads, first {WARMUP} steps not timed)")


if __name__ == "__main__":
    main()
