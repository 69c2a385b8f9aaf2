#!/usr/bin/env bash
# train_seed.sh - the main job: set up (packages, data, build), then train the seed
# GAN on Fashion-MNIST and write sample grids to runs/fashion/samples/.
# Extra arguments go to `gan train` (e.g. --epochs 30 --out runs/fashion30).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
build/gan train --data data/fashion --epochs 10 --out runs/fashion --overwrite "$@"
echo "samples: runs/fashion/samples.png (one grid per epoch in runs/fashion/samples/)"
