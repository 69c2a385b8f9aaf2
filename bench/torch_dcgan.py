#!/usr/bin/python3
"""Train gan.c's "dcgan" preset in PyTorch: the reference for bench/bench_dcgan.py.

The model mirrors src/presets.c (the layer order and sizes of `gan train --model dcgan`):

  Generator:     Linear(100, 6272) Unflatten(128, 7, 7) BatchNorm2d(128) ReLU
                 ConvTranspose2d(128, 64, 4, stride 2, pad 1) BatchNorm2d(64) ReLU
                 ConvTranspose2d(64, 1, 4, stride 2, pad 1) Tanh            -> 1x28x28
  Discriminator: Conv2d(1, 64, 4, 2, 1) LeakyReLU(0.2)
                 Conv2d(64, 128, 4, 2, 1) BatchNorm2d(128) LeakyReLU(0.2)
                 Flatten Linear(6272, 1)                                    (a logit)
  BatchNorm2d(eps=1e-3, momentum=0.01), i.e. Keras's 0.99; Glorot-uniform weights
  (nn.init.xavier_uniform_) and zero biases, as gan.c.

The D step runs D(real) and D(fake.detach()) as separate batches (D has batch norm;
gan.c does the same). Everything else (data pipeline, the G step
through the updated D with D frozen and in training mode, Adam, the log format and
the options) is bench/torch_seed.py's, which this script runs with the model above.

Usage: bench/torch_dcgan.py --batch-size 64 --steps 300 --threads 2 --out /tmp/t --log-every 15
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_seed  # noqa: E402  (parses the options and loads torch with the thread settings)
from torch import nn  # noqa: E402


def make_models():
    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)  # Keras momentum 0.99

    g = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)), bn(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), bn(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1), bn(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return g, d


if __name__ == "__main__":
    sys.exit(torch_seed.main(torch_seed.ARGS, build=make_models, name="torch_dcgan", split_d=True))
