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


def generator(latent=128, ch=256):
    def up_block():
        return Block([nn.BatchNorm2d(ch), nn.ReLU(), nn.Upsample(scale_factor=2),
                      nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ReLU(),
                      nn.Conv2d(ch, ch, 3, padding=1)],
                     [nn.Upsample(scale_factor=2), nn.Conv2d(ch, ch, 1)])

    return nn.Sequential(nn.Linear(latent, ch * 7 * 7), nn.Unflatten(1, (ch, 7, 7)),
                         up_block(), up_block(), nn.BatchNorm2d(ch), nn.ReLU(),
                         nn.Conv2d(ch, 1, 3, padding=1), nn.Tanh())


def discriminator(ch=128):
    def conv(cin, cout, k):
        return spectral_norm(nn.Conv2d(cin, cout, k, padding=k // 2))

    def plain():
        return Block([nn.ReLU(), conv(ch, ch, 3), nn.ReLU(), conv(ch, ch, 3)])

    return nn.Sequential(
        Block([conv(1, ch, 3), nn.ReLU(), conv(ch, ch, 3), nn.AvgPool2d(2)],
              [nn.AvgPool2d(2), conv(1, ch, 1)]),
        Block([nn.ReLU(), conv(ch, ch, 3), nn.ReLU(), conv(ch, ch, 3), nn.AvgPool2d(2)],
              [conv(ch, ch, 1), nn.AvgPool2d(2)]),
        plain(), plain(), nn.ReLU(), SumPool(), spectral_norm(nn.Linear(ch, 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g, d = generator().to(a.device), discriminator().to(a.device)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.9))
    real = torch.rand(a.batch_size, 1, 28, 28, device=a.device) * 2 - 1  # timing only
    t0 = None
    for step in range(a.steps + 2):
        if step == 2:  # after warm-up
            if a.device != "cpu":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        z = torch.randn(a.batch_size, 128, device=a.device)
        fake = g(z)
        loss_d = torch.relu(1 - d(real)).mean() + torch.relu(1 + d(fake.detach())).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -d(fake).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    if a.device != "cpu":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    print(f"torch resnet: {a.steps} steps of batch {a.batch_size} in {dt:.2f} s: "
          f"{a.steps * a.batch_size / dt:.1f} images/s")


if __name__ == "__main__":
    main()
