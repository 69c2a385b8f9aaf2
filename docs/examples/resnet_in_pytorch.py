"""resnet_in_pytorch.py - load the generator of a gan.c `resnet` checkpoint (residual
blocks) into its PyTorch mirror (bench/torch_resnet.py) and check that it makes the
same images as `gan sample` for the same noise.

    gan sample RUN --n 16 --seed 5 --float --out samples.npy --save-noise z.npy
    python3 docs/examples/resnet_in_pytorch.py RUN/checkpoint.safetensors z.npy samples.npy

A block's tensors are named as the mirror's modules: generator.2.main.3.weight is
the weight of layer 3 of the main branch of item 2 (docs/model-spec.md, Blocks), so
load_state_dict takes them as they are. The moving average of G (the preset keeps
one) is what `gan sample` uses: generator_ema.* when the checkpoint has it.
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
from load_in_pytorch import load_safetensors  # noqa: E402
from torch_resnet import generator  # noqa: E402


def main(checkpoint, z_path, samples_path):
    torch.set_default_dtype(torch.float64)  # the reference in double
    tensors, meta = load_safetensors(checkpoint)
    prefix = "generator_ema." if any(k.startswith("generator_ema.") for k in tensors) else "generator."
    g = generator(int(meta["latent_dim"]))
    state = {k[len(prefix):]: v.double() for k, v in tensors.items() if k.startswith(prefix)}
    missing, unexpected = g.load_state_dict(state, strict=False)
    # PyTorch's batch norm also counts batches; gan.c has no such tensor.
    assert all(k.endswith("num_batches_tracked") for k in missing) and not unexpected, unexpected
    g.eval()  # inference mode: batch norm uses the running statistics
    z = torch.from_numpy(np.load(z_path)).double()
    with torch.no_grad():
        images = g(z).numpy()[:, 0]
    ours = np.load(samples_path)
    diff = np.abs(images - ours).max()
    print(f"{len(z)} images from {prefix[:-1]}; largest difference PyTorch vs gan.c: {diff:.3g}")
    return 0 if diff < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
