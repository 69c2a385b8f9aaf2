#!/usr/bin/python3
"""Train the seed GAN (Keras semantics) in PyTorch: the reference for bench/bench_seed.py.

The model, optimizer, data pipeline and log format mirror `gan train` of gan.c:

  Generator:     Linear(100,256) LeakyReLU(0.2) BatchNorm1d(256, eps=1e-3, momentum=0.01)
                 Linear(256,512) LeakyReLU(0.2) BatchNorm1d(512, ...)
                 Linear(512,1024) LeakyReLU(0.2) BatchNorm1d(1024, ...)
                 Linear(1024,784) Tanh
  Discriminator: Flatten Linear(784,1024) LeakyReLU(0.2) Linear(1024,512) LeakyReLU(0.2)
                 Linear(512,256) LeakyReLU(0.2) Linear(256,1)   (a logit)
  Loss: BCEWithLogits.  Adam(lr=2e-4, betas=(0.5, 0.999), eps=1e-7) for both networks.

One iteration: z ~ N(0,1) (B,100); fake = G(z); D step on cat(real, fake.detach())
with targets 1/0 (mean loss over 2B); then the G step, loss_g = BCE(D(fake), 1),
through the updated discriminator whose parameters are frozen (requires_grad off,
as Keras' trainable=False: no weight gradients are computed for D, D is not stepped).

Writes OUT/log.jsonl like gan.c: one JSON object every --log-every steps, at each
epoch's end and at the last step:
  {"step", "epoch", "loss_d", "loss_g", "d_real", "d_fake", "images_per_s", "seconds"}
`step` counts steps done (from 1), `epoch` counts from 1 (the epoch the step belongs to, as gan.c), losses and D outputs (d_real,
d_fake: mean sigmoid of D's logits on the real / generated half of the D step, i.e.
before D's update) are means over the steps since the previous line, `images_per_s` is
over that interval, `seconds` is wall time since the training loop started (after data
loading and model creation).

Usage: bench/torch_seed.py --batch-size 64 --steps 600 --threads 2 --out /tmp/t --log-every 50
"""
import os
import sys

# Must be in the environment before OpenBLAS is loaded (it is loaded with torch).
# OpenBLAS of Debian 12 misdetects Zen 5; force the Haswell kernels.
os.environ["OPENBLAS_CORETYPE"] = "Haswell"

import argparse
import gzip
import json
import re
import struct
import time

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train the seed GAN in PyTorch (benchmark reference).")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (and OpenMP threads)")
    p.add_argument("--out", required=True, help="output folder; log.jsonl is written there")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--data", default=DEFAULT_DATA, help="train images, IDX3 (gzip or plain)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--unfrozen-d", action="store_true",
                   help="compute D's weight gradients in the G step too (plain PyTorch idiom; "
                        "slower; D is still not stepped). Default: D frozen, as Keras")
    a = p.parse_args(argv)
    if a.batch_size < 1 or a.steps < 1 or a.threads < 1 or a.log_every < 1:
        p.error("--batch-size, --steps, --threads and --log-every must be >= 1")
    return a


ARGS = parse_args()
# OpenMP reads this when the runtime starts; torch.set_num_threads sets it again below.
os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def loaded_blas():
    """Paths of the BLAS libraries mapped into this process (from /proc/self/maps)."""
    pat = re.compile(r"(libblas|libopenblas|openblas-openmp|openblas-pthread|libmkl|libgomp)")
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6:
                path = parts[5].strip()
                if pat.search(path) and path not in paths:
                    paths.append(path)
    return [(p, os.path.realpath(p)) for p in paths]


def load_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 16:
        raise SystemExit(f"{path}: truncated IDX header")
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    if magic != 0x00000803:
        raise SystemExit(f"{path}: bad magic number 0x{magic:08x} (expected 0x00000803)")
    if len(raw) != 16 + n * h * w:
        raise SystemExit(f"{path}: {len(raw) - 16} pixel bytes, expected {n}x{h}x{w}")
    arr = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, h, w)
    return torch.from_numpy(arr.copy())  # uint8, N x 1 x H x W


def bn(c):
    return nn.BatchNorm1d(c, eps=1e-3, momentum=0.01)  # Keras momentum 0.99


def make_models():
    g = nn.Sequential(
        nn.Linear(100, 256), nn.LeakyReLU(0.2), bn(256),
        nn.Linear(256, 512), nn.LeakyReLU(0.2), bn(512),
        nn.Linear(512, 1024), nn.LeakyReLU(0.2), bn(1024),
        nn.Linear(1024, 784), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 1024), nn.LeakyReLU(0.2),
        nn.Linear(1024, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1),
    )
    # Keras defaults: glorot_uniform kernels, zero biases.
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return g, d


def main(a, build=make_models, name="torch_seed", split_d=False):
    """Train the pair that build() returns (bench/torch_dcgan.py passes its own)."""
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    for path, real in loaded_blas():
        print(f"{name}: BLAS loaded: {path}" + (f" -> {real}" if real != path else ""),
              file=sys.stderr)
    print(f"{name}: torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}", file=sys.stderr)

    data = load_idx_images(a.data)
    n = data.shape[0]
    B = a.batch_size
    steps_per_epoch = n // B
    if steps_per_epoch < 1:
        raise SystemExit(f"batch size {B} is larger than the dataset ({n} images)")

    g, d = build()
    g.train()
    d.train()
    bce = nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    targets_d = torch.cat([torch.ones(B, 1), torch.zeros(B, 1)])
    ones = torch.ones(B, 1)
    d_params = list(d.parameters())

    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "log.jsonl"), "w")

    perm = None
    acc = [0.0, 0.0, 0.0, 0.0]
    t0 = time.perf_counter()
    prev_t, prev_step = t0, 0
    for step in range(1, a.steps + 1):
        epoch, i = divmod(step - 1, steps_per_epoch)
        if i == 0:
            perm = torch.randperm(n)
        real = data[perm[i * B:(i + 1) * B]].float().sub_(127.5).div_(127.5)

        z = torch.randn(B, 100)
        fake = g(z).view(B, 1, 28, 28)

        # Discriminator step on real + generated images.
        opt_d.zero_grad(set_to_none=True)
        if split_d:  # D with batch norm: real and fake as separate batches, as gan.c does
            logits = torch.cat([d(real), d(fake.detach())])
        else:
            logits = d(torch.cat([real, fake.detach()]))
        loss_d = bce(logits, targets_d)
        loss_d.backward()
        opt_d.step()

        # Generator step through the updated, frozen discriminator.
        if not a.unfrozen_d:
            for p in d_params:
                p.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        loss_g = bce(d(fake), ones)
        loss_g.backward()
        opt_g.step()
        if not a.unfrozen_d:
            for p in d_params:
                p.requires_grad_(True)

        # Statistics, summed over the steps since the previous log line (as gan.c does).
        with torch.no_grad():
            prob = torch.sigmoid(logits.detach())
            acc[0] += loss_d.item()
            acc[1] += loss_g.item()
            acc[2] += prob[:B].mean().item()
            acc[3] += prob[B:].mean().item()

        if step % a.log_every == 0 or step == a.steps or i == steps_per_epoch - 1:
            now = time.perf_counter()
            k = step - prev_step
            rec = {
                "step": step,
                "epoch": epoch + 1,
                "loss_d": acc[0] / k,
                "loss_g": acc[1] / k,
                "d_real": acc[2] / k,
                "d_fake": acc[3] / k,
                "images_per_s": k * B / (now - prev_t),
                "seconds": now - t0,
            }
            log.write(json.dumps(rec) + "\n")
            log.flush()
            prev_t, prev_step = now, step
            acc = [0.0, 0.0, 0.0, 0.0]
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
