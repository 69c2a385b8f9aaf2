"""load_in_pytorch.py - load the generator of a gan.c checkpoint into the
PyTorch model of the same architecture (the seed "mlp" preset) and check that
it makes the same images as `gan sample` for the same noise.

    gan sample RUN --n 64 --seed 5 --float --out samples.npy --save-noise z.npy
    python3 docs/examples/load_in_pytorch.py RUN/checkpoint.safetensors z.npy samples.npy

Needs only torch and numpy (Debian: python3-torch); the safetensors file is
parsed by hand, it is that simple: 8-byte header length, JSON header, raw data.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": np.float32, "I64": np.int64, "U64": np.uint64}
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
        tensors[name] = torch.from_numpy(a.copy()) if a.dtype == np.float32 else a
    return tensors, meta


def mlp_generator(latent=100):
    # The "mlp" preset (src/presets.c); batch norm with gan.c's epsilon 1e-3.
    return nn.Sequential(
        nn.Linear(latent, 256), nn.LeakyReLU(0.2), nn.BatchNorm1d(256, eps=1e-3),
        nn.Linear(256, 512), nn.LeakyReLU(0.2), nn.BatchNorm1d(512, eps=1e-3),
        nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.BatchNorm1d(1024, eps=1e-3),
        nn.Linear(1024, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))


def main(checkpoint, z_path, samples_path):
    tensors, meta = load_safetensors(checkpoint)
    print("model:", meta["model"], "| step:", meta["state.step"], "| gan.c", meta["gan_c_version"])
    g = mlp_generator(int(meta["latent_dim"]))
    state = {k[len("generator."):]: v for k, v in tensors.items() if k.startswith("generator.")}
    missing, unexpected = g.load_state_dict(state, strict=False)
    # PyTorch's batch norm also counts batches; gan.c has no such tensor.
    assert all(k.endswith("num_batches_tracked") for k in missing) and not unexpected
    g.eval()  # inference mode: batch norm uses the running statistics
    z = torch.from_numpy(np.load(z_path))
    with torch.no_grad():
        images = g(z).numpy()[:, 0]          # [N, 28, 28] in [-1, 1]
    ours = np.load(samples_path)              # `gan sample --float`: [N, 28, 28]
    diff = np.abs(images - ours).max()
    print(f"{len(z)} images; largest difference PyTorch vs gan.c: {diff:.3g}")
    as_bytes = lambda x: np.clip(np.round((x + 1) * 127.5), 0, 255).astype(np.uint8)
    print("identical as 8-bit images:", bool((as_bytes(images) == as_bytes(ours)).all()))
    return 0 if diff < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
