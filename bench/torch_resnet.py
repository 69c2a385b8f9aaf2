#!/usr/bin/python3
"""gan.c's "resnet" preset (models/resnet.gan) in PyTorch: the mirror module whose
state_dict names are the checkpoint's (generator.<i>.main.<j>.weight ...), and a
timing loop of its training step for later comparisons (not yet in bench_seed's
driver: the loss is hinge and Adam's betas are (0, 0.9)).

  Generator:     Linear(128, 12544) Unflatten(256, 7, 7)
                 2 x ResBlock(up): main = BN ReLU Upsample Conv3x3 BN ReLU Conv3x3,
                                   shortcut = Upsample Conv1x1          (7 -> 14 -> 28)
                 BN ReLU Conv3x3(256, 1) Tanh                           -> 1x28x28
  Discriminator: ResBlock(main = Conv3x3 ReLU Conv3x3 AvgPool, shortcut = AvgPool Conv1x1)
                 ResBlock(main = ReLU Conv3x3 ReLU Conv3x3 AvgPool, shortcut = Conv1x1 AvgPool)
                 2 x ResBlock(main = ReLU Conv3x3 ReLU Conv3x3, identity shortcut)
                 ReLU, sum over H and W, Linear(128, 1)       every conv and the linear SN
  BatchNorm2d with PyTorch's defaults (gan.c: momentum=0.9 eps=1e-5).

    /usr/bin/python3 bench/torch_resnet.py --batch-size 64 --steps 20 --threads 2
    python3 bench/torch_resnet.py --device cuda --size 64 --channels 3 --precision tf32

  --size above 32 builds the 64x64 schedule gan.c writes for such data (write_resnet in
  src/spec/auto.c): G's width halves per up-sampling block, D's doubles per down-sampling one.
"""
import argparse
import time

import torch
from torch import nn
from torch.nn.utils import spectral_norm


class Block(nn.Module):
    """A gan.c residual block: main(x) + shortcut(x) (an empty shortcut is the identity)."""

    def __init__(self, main, shortcut=()):
        super().__init__()
        self.main = nn.Sequential(*main)
        self.shortcut = nn.Sequential(*shortcut)

    def forward(self, x):
        return self.main(x) + self.shortcut(x)


class SumPool(nn.Module):
    def forward(self, x):
        return x.sum(dim=(2, 3))


def stages(size):
    """R = s 2^k with s in 4..7 (src/spec/auto.c dcgan_stages): (s, k)."""
    k = 0
    while size > 7 and size % 2 == 0:
        size //= 2
        k += 1
    return size, k


def generator(latent=128, ch=256, channels=1, size=28):
    """Up to 32 px: `ch` channels at every size (SN-GAN's CIFAR G; 28 px is resnet.gan).
    Above 32 px: the width halves per up-sampling block from min(64 2^k, 1024) (the
    64x64 schedule gan.c writes for the data, src/spec/auto.c write_resnet)."""
    s, k = stages(size)
    wide = size > 32
    width = min(64 << k, 1024) if wide else ch
    first = width

    def up_block(cin, cout):
        return Block([nn.BatchNorm2d(cin), nn.ReLU(), nn.Upsample(scale_factor=2),
                      nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                      nn.Conv2d(cout, cout, 3, padding=1)],
                     [nn.Upsample(scale_factor=2), nn.Conv2d(cin, cout, 1)])

    blocks = []
    for _ in range(k):
        out = max(width // 2, 16) if wide else width
        blocks.append(up_block(width, out))
        width = out
    return nn.Sequential(nn.Linear(latent, first * s * s), nn.Unflatten(1, (first, s, s)),
                         *blocks, nn.BatchNorm2d(width), nn.ReLU(),
                         nn.Conv2d(width, channels, 3, padding=1), nn.Tanh())


def discriminator(ch=128, channels=1, size=28):
    def conv(cin, cout, k):
        return spectral_norm(nn.Conv2d(cin, cout, k, padding=k // 2))

    s, _ = stages(size)
    wide = size > 32
    width = 64 if wide else ch
    layers = [Block([conv(channels, width, 3), nn.ReLU(), conv(width, width, 3), nn.AvgPool2d(2)],
                    [nn.AvgPool2d(2), conv(channels, width, 1)])]
    last = s if wide else 8
    cur = size // 2
    while cur > last and cur % 2 == 0:
        out = min(2 * width, 1024) if wide else width
        layers.append(Block([nn.ReLU(), conv(width, out, 3), nn.ReLU(), conv(out, out, 3),
                             nn.AvgPool2d(2)], [conv(width, out, 1), nn.AvgPool2d(2)]))
        width = out
        cur //= 2
    for _ in range(1 if wide else 2):
        layers.append(Block([nn.ReLU(), conv(width, width, 3), nn.ReLU(), conv(width, width, 3)]))
    return nn.Sequential(*layers, nn.ReLU(), SumPool(), spectral_norm(nn.Linear(width, 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--size", type=int, default=28, help="image size R (28: resnet.gan)")
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"],
                    help="fp32 (TF32 off), tf32, or bf16 autocast")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--compile", action="store_true", help="torch.compile both networks")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.device != "cpu":
        torch.backends.cuda.matmul.allow_tf32 = a.precision == "tf32"
        torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
        torch.backends.cudnn.benchmark = a.precision != "fp32"
    g = generator(channels=a.channels, size=a.size).to(a.device)
    d = discriminator(channels=a.channels, size=a.size).to(a.device)
    mf = torch.channels_last if a.channels_last else torch.contiguous_format
    g, d = g.to(memory_format=mf), d.to(memory_format=mf)
    gs, ds = (torch.compile(g), torch.compile(d)) if a.compile else (g, d)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.9))
    real = torch.rand(a.batch_size, a.channels, a.size, a.size, device=a.device) * 2 - 1
    real = real.contiguous(memory_format=mf)  # timing only
    autocast = torch.autocast(a.device.split(":")[0], dtype=torch.bfloat16,
                              enabled=a.precision == "bf16")
    warm = 5 if a.compile else 2
    t0 = None
    for step in range(a.steps + warm):
        if step == warm:  # after warm-up
            if a.device != "cpu":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            t0 = time.perf_counter()
        z = torch.randn(a.batch_size, 128, device=a.device)
        with autocast:
            fake = gs(z)
            loss_d = torch.relu(1 - ds(real)).mean() + torch.relu(1 + ds(fake.detach())).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        with autocast:
            loss_g = -ds(fake).float().mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    if a.device != "cpu":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**20 if a.device != "cpu" else float("nan")
    print(f"torch resnet {a.channels}x{a.size}x{a.size} {a.precision}"
          f"{' channels_last' if a.channels_last else ''}{' compile' if a.compile else ''}: "
          f"{a.steps} steps of batch {a.batch_size} in {dt:.2f} s: "
          f"{a.steps * a.batch_size / dt:.1f} images/s, {1000 * dt / a.steps:.2f} ms/step, "
          f"peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
